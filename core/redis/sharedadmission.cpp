#include "core/redis/sharedadmission.h"

#include <QCoreApplication>
#include <QPointer>
#include <QRandomGenerator>

namespace sluice {

namespace {

const QByteArray kProcesses = QByteArrayLiteral("sluice:{fleet}:processes");
const QByteArray kLocalLease = QByteArrayLiteral("local:");

BudgetLimits divided(const BudgetLimits& limits, int n) {
    auto cut = [n](std::vector<RateLevel> levels) {
        for (RateLevel& l : levels) {
            if (l.limit > 0) {
                l.limit = std::max<std::int64_t>(1, l.limit / n);
                l.burst = l.burst / n;
            }
        }
        return levels;
    };
    return BudgetLimits{cut(limits.requests), cut(limits.tokens)};
}

} // namespace

Result<RedisPolicy> parseRedisPolicy(const QString& text) {
    const QString t = text.trimmed().toLower();
    if (t == QLatin1String("closed")) {
        return RedisPolicy::Closed;
    }
    if (t == QLatin1String("open")) {
        return RedisPolicy::Open;
    }
    if (t == QLatin1String("split")) {
        return RedisPolicy::Split;
    }
    return Error::invalid(QStringLiteral("--redis-policy"),
                          QStringLiteral("'%1' is not closed, open or split").arg(text));
}

QString redisPolicyName(RedisPolicy policy) {
    switch (policy) {
    case RedisPolicy::Closed:
        return QStringLiteral("closed");
    case RedisPolicy::Open:
        return QStringLiteral("open");
    case RedisPolicy::Split:
        return QStringLiteral("split");
    }
    return {};
}

SharedAdmission::SharedAdmission(SharedAdmissionConfig config, const Clock* clock, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_ownClock(clock ? nullptr : std::make_unique<SteadyClock>())
    , m_clock(clock ? *clock : *m_ownClock)
    , m_budgetClient(m_config.client)
    , m_leaseClient(m_config.client)
    , m_budget(m_budgetClient)
    , m_leases(m_leaseClient, m_config.leaseTtl) {
    m_processId = QByteArray::number(QCoreApplication::applicationPid()) + ':' +
                  QByteArray::number(QRandomGenerator::system()->generate64(), 36);
    // A process is dead for the queues after as long as it is for the heartbeat.
    m_queue = std::make_unique<SharedQueue>(
        m_budgetClient, m_processId,
        std::max(std::chrono::milliseconds(1000), 4 * m_config.heartbeat));
    // Any failed command or lost connection raises the alarm at once; the heartbeat finds a
    // Redis that went away while nothing else was asked of it.
    for (RedisClient* c : {&m_budgetClient, &m_leaseClient}) {
        connect(c, &RedisClient::down, this, [this](const QString& why) { raise(why); });
    }
    m_heartbeat.setInterval(static_cast<int>(m_config.heartbeat.count()));
    connect(&m_heartbeat, &QTimer::timeout, this, &SharedAdmission::beat);
    m_heartbeat.start();
    m_budgetClient.start();
    m_leaseClient.start();
    beat();
}

SharedAdmission::~SharedAdmission() {
    // Answer what is pending while every member is still whole.
    m_closing = true;
    m_heartbeat.stop();
    m_budgetClient.stop();
    m_leaseClient.stop();
}

void SharedAdmission::raise(const QString& why) {
    if (m_alarm || m_closing) {
        return;
    }
    m_alarm = true;
    m_alarmReason = why;
    ++m_alarms;
    m_splitN = std::max(1, m_processes);
    m_split.clear();
    qWarning("sluice: Redis unreachable (%s): shared limits suspended, policy '%s'%s",
             qPrintable(why), qPrintable(redisPolicyName(m_config.policy)),
             m_config.policy == RedisPolicy::Split
                 ? qPrintable(QStringLiteral(" (1/%1 of each limit)").arg(m_splitN))
                 : "");
    Q_EMIT alarmChanged(true, why);
}

void SharedAdmission::clear() {
    if (!m_alarm) {
        return;
    }
    m_alarm = false;
    m_alarmReason.clear();
    if (m_config.policy == RedisPolicy::Split && !m_split.empty()) {
        m_splitHoldUntil =
            m_clock.now() + 2 * std::chrono::duration_cast<Nanos>(m_config.heartbeat);
    }
    qInfo("sluice: Redis reachable again: shared limits restored");
    Q_EMIT alarmChanged(false, QStringLiteral("Redis reachable again"));
}

void SharedAdmission::beat() {
    if (m_beating) {
        return; // the previous beat is still waiting for its answer (or its timeout)
    }
    m_beating = true;
    QPointer<SharedAdmission> self(this);
    m_leaseClient.send({QByteArrayLiteral("TIME")}, [self](Result<RedisReply> time) {
        if (!self) {
            return;
        }
        if (!time.ok() || time.value().elements.size() != 2) {
            self->m_beating = false;
            self->raise(time.ok() ? QStringLiteral("bad TIME reply") : time.error().message);
            return;
        }
        const qint64 nowUs =
            time.value().elements[0].toInt() * 1000000 + time.value().elements[1].toInt();
        const qint64 nowMs = nowUs / 1000;
        self->m_queue->learnTime(nowUs);
        // Alive = beat within the last 4 heartbeats (at least a second).
        const qint64 stale = nowMs - std::max<qint64>(1000, 4 * self->m_config.heartbeat.count());
        RedisClient& c = self->m_leaseClient;
        c.send(
            {QByteArrayLiteral("ZADD"), kProcesses, QByteArray::number(nowMs), self->m_processId},
            [](Result<RedisReply>) {});
        c.send(
            {QByteArrayLiteral("ZREMRANGEBYSCORE"), kProcesses, "-inf", QByteArray::number(stale)},
            [](Result<RedisReply>) {});
        c.send({QByteArrayLiteral("PEXPIRE"), kProcesses, QByteArrayLiteral("60000")},
               [](Result<RedisReply>) {});
        c.send({QByteArrayLiteral("ZCARD"), kProcesses}, [self](Result<RedisReply> n) {
            if (!self) {
                return;
            }
            self->m_beating = false;
            if (!n.ok()) {
                self->raise(n.error().message);
                return;
            }
            self->m_processes = static_cast<int>(std::max<std::int64_t>(1, n.value().integer));
            if (self->m_budgetClient.isReady()) {
                self->clear();
            }
        });
    });
}

Nanos SharedAdmission::splitHoldWait(const QByteArray& keyHash, Nanos now) const {
    const auto it = m_split.find(keyHash);
    return now < m_splitHoldUntil && it != m_split.end() ? it->second.waitTime(now) : Nanos{0};
}

void SharedAdmission::chargeSplitHold(const QByteArray& keyHash, std::int64_t tokens) {
    const Nanos now = m_clock.now();
    if (const auto it = m_split.find(keyHash); now < m_splitHoldUntil && it != m_split.end()) {
        (void)it->second.admit(tokens, now);
    }
}

SharedVerdict SharedAdmission::decideByPolicy(const QByteArray& keyHash, const BudgetLimits& limits,
                                              std::int64_t tokens, int concurrency) {
    ++m_policyDecisions;
    const Nanos retry = std::chrono::duration_cast<Nanos>(m_config.heartbeat);
    switch (m_config.policy) {
    case RedisPolicy::Closed:
        return SharedVerdict{false, retry, {}, false};
    case RedisPolicy::Open:
        return SharedVerdict{true, Nanos{0}, {}, false};
    case RedisPolicy::Split:
        break;
    }
    const Nanos now = m_clock.now();
    auto it = m_split.find(keyHash);
    if (it == m_split.end()) {
        // A share starts as if this process had just sent one request: N fresh shares would
        // each let one go at once, on top of what the fleet sent a moment ago through Redis.
        it = m_split.emplace(keyHash, RateBudget(divided(limits, m_splitN))).first;
        (void)it->second.admit(tokens, now);
    }
    RateBudget& budget = it->second;
    const Nanos wait = budget.waitTime(now);
    if (wait.count() > 0) {
        return SharedVerdict{false, wait, {}, false};
    }
    QByteArray lease;
    if (concurrency > 0) {
        int& inFlight = m_localInFlight[keyHash];
        if (inFlight >= std::max(1, concurrency / m_splitN)) {
            return SharedVerdict{false, retry, {}, false};
        }
        ++inFlight;
        lease = kLocalLease + keyHash;
    }
    (void)budget.admit(tokens, now);
    return SharedVerdict{true, Nanos{0}, lease, false};
}

void SharedAdmission::admit(const QByteArray& apiKey, const BudgetLimits& limits,
                            std::int64_t tokens, int concurrency, Callback done,
                            std::optional<QueueSpot> spot) {
    const QByteArray keyHash = SharedBudget::keyHash(apiKey);
    if (m_closing) {
        done(SharedVerdict{false, Nanos{0}, {}, false});
        return;
    }
    if (m_alarm) {
        done(decideByPolicy(keyHash, limits, tokens, concurrency));
        return;
    }
    if (const Nanos hold = splitHoldWait(keyHash, m_clock.now()); hold > Nanos{0}) {
        done(SharedVerdict{false, hold, {}, false});
        return;
    }
    std::optional<QueuePlace> place;
    if (spot) {
        place = m_queue->place(keyHash, spot->member, spot->score, concurrency <= 0);
    }
    QPointer<SharedAdmission> self(this);
    m_budget.admit(
        keyHash, limits, tokens,
        [self, keyHash, limits, tokens, concurrency, place,
         done = std::move(done)](Result<SharedDecision> r) mutable {
            if (!self) {
                done(SharedVerdict{false, Nanos{0}, {}, false});
                return;
            }
            if (!r.ok()) {
                if (r.error().kind == Error::Kind::Unavailable) {
                    self->raise(r.error().message);
                } else {
                    qWarning("sluice: shared budget: %s", qPrintable(r.error().text()));
                }
                done(self->decideByPolicy(keyHash, limits, tokens, concurrency));
                return;
            }
            const SharedDecision& d = r.value();
            if (!d.admitted) {
                done(SharedVerdict{false, d.wait, {}, true, d.ahead});
                return;
            }
            self->chargeSplitHold(keyHash, tokens);
            if (concurrency <= 0) {
                done(SharedVerdict{true, Nanos{0}, {}, true});
                return;
            }
            self->m_leases.acquire(
                keyHash, concurrency,
                [self, keyHash, limits, tokens,
                 done = std::move(done)](Result<LeaseDecision> lease) mutable {
                    if (!self) {
                        done(SharedVerdict{false, Nanos{0}, {}, false});
                        return;
                    }
                    if (!lease.ok()) {
                        self->raise(lease.error().message);
                        done(self->decideByPolicy(keyHash, limits, tokens, 1));
                        return;
                    }
                    if (!lease.value().granted) {
                        // The budget was charged for a request that does not go
                        // yet: give it back, and try again shortly.
                        self->m_budget.refund(keyHash, limits, tokens);
                        done(SharedVerdict{false, std::chrono::milliseconds(5), {}, true});
                        return;
                    }
                    done(SharedVerdict{true, Nanos{0}, lease.value().leaseId, true});
                },
                place ? place->queueKey : QByteArray(), place ? place->member : QByteArray());
        },
        place);
}

void SharedAdmission::reconcile(const QByteArray& apiKey, const BudgetLimits& limits,
                                std::int64_t delta) {
    if (delta == 0 || m_alarm) {
        return;
    }
    m_budget.adjust(SharedBudget::keyHash(apiKey), limits, delta, [](Result<SharedDecision>) {});
}

void SharedAdmission::release(const QByteArray& apiKey, const QByteArray& leaseId) {
    const QByteArray keyHash = SharedBudget::keyHash(apiKey);
    if (leaseId.startsWith(kLocalLease)) {
        int& inFlight = m_localInFlight[keyHash];
        inFlight = std::max(0, inFlight - 1);
        return;
    }
    if (!leaseId.isEmpty()) {
        m_leases.release(keyHash, leaseId);
    }
}

SharedStatus SharedAdmission::status() const {
    SharedStatus s;
    s.connected = m_budgetClient.isReady();
    s.alarm = m_alarm;
    s.alarmReason = m_alarmReason;
    s.mode = SharedBudget::modeName(m_budget.mode());
    s.modeReason = m_budget.modeReason();
    s.policy = m_config.policy;
    s.processes = m_processes;
    s.alarms = m_alarms;
    s.policyDecisions = m_policyDecisions;
    return s;
}

} // namespace sluice
