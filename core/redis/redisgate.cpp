#include "core/redis/redisgate.h"

#include <QPointer>

#include <algorithm>

namespace sluice {

namespace {

/// Before Redis time is known (just started), a line looks again after this.
constexpr int kNoTimeRetryMs = 20;

bool limited(const GateAsk& ask) {
    return !ask.limits.requests.empty() || !ask.limits.tokens.empty() || ask.concurrency > 0;
}

} // namespace

RedisGate::RedisGate(SharedAdmissionConfig config, double speed, QObject* parent)
    : QObject(parent)
    , m_speed(speed > 0 ? speed : 1.0) {
    const auto heartbeat = config.heartbeat;
    m_shared = std::make_unique<SharedAdmission>(std::move(config));
    m_refresh.setInterval(static_cast<int>(std::max<qint64>(10, heartbeat.count())));
    connect(&m_refresh, &QTimer::timeout, this, &RedisGate::refresh);
    // Every heartbeat from the start: rank() may want a scope read before anything asks.
    m_refresh.start();
}

RedisGate::~RedisGate() {
    // Nobody is answered any more: the engine that asked is going away with this gate. Its
    // members left in Redis lapse with the process's liveness, as a crashed process's do.
    m_closing = true;
    m_refresh.stop();
    m_waiters.clear();
    m_lines.clear();
    m_shared.reset();
}

BudgetLimits RedisGate::realTime(const BudgetLimits& limits) const {
    BudgetLimits out = limits;
    for (auto* levels : {&out.requests, &out.tokens}) {
        for (RateLevel& l : *levels) {
            l.period =
                Nanos{static_cast<Nanos::rep>(static_cast<double>(l.period.count()) / m_speed)};
        }
    }
    return out;
}

std::uint64_t RedisGate::ask(GateAsk ask, Done done) {
    const std::uint64_t ticket = ++m_next;
    const std::string key = ask.key;
    SharedQueue& queue = m_shared->queue();
    Waiter w;
    w.keyHash = SharedBudget::keyHash(QByteArray::fromStdString(key));
    w.member = queue.member(ticket);
    const auto waitedUs = static_cast<std::int64_t>(
        static_cast<double>(std::max(ask.waited, Nanos{0}).count()) / m_speed / 1000.0);
    w.arrivalLocalUs = queue.localUs() - waitedUs;
    w.queued = limited(ask);
    const int band = std::clamp(ask.priority, 0, 9);
    Line& line = m_lines[key];
    line.unscored.emplace(band, w.arrivalLocalUs, ticket);
    line.positionsStale = true;
    w.ask = std::move(ask);
    w.done = std::move(done);
    m_waiters.emplace(ticket, std::move(w));
    // Registered at once (when Redis time is known), so the fleet's order holds it from now.
    scoreLine(key, line);
    schedule(key);
    return ticket;
}

void RedisGate::scoreLine(const std::string& key, Line& line) {
    (void)key;
    SharedQueue& queue = m_shared->queue();
    if (line.unscored.empty() || !queue.redisUsAt(0)) {
        return;
    }
    std::vector<std::pair<std::int64_t, QByteArray>> batch;
    QByteArray keyHash;
    for (const auto& [band, arrival, ticket] : line.unscored) {
        Waiter& w = m_waiters.at(ticket);
        w.score = SharedQueue::score(band, *queue.redisUsAt(arrival));
        line.order.emplace(*w.score, ticket);
        if (w.queued) {
            batch.emplace_back(*w.score, w.member);
            keyHash = w.keyHash;
        }
    }
    line.unscored.clear();
    line.positionsStale = true;
    // On the budget connection, ahead of any decision about these members.
    queue.add(keyHash, batch);
}

void RedisGate::leaveLine(std::uint64_t ticket, const Waiter& w) {
    const auto it = m_lines.find(w.ask.key);
    if (it == m_lines.end()) {
        return;
    }
    Line& line = it->second;
    if (w.score) {
        line.order.erase({*w.score, ticket});
    } else {
        line.unscored.erase({std::clamp(w.ask.priority, 0, 9), w.arrivalLocalUs, ticket});
    }
    line.positionsStale = true;
}

void RedisGate::withdraw(std::uint64_t ticket) {
    const auto it = m_waiters.find(ticket);
    if (it == m_waiters.end()) {
        return;
    }
    leaveLine(ticket, it->second);
    if (it->second.queued && it->second.score) {
        // After any decision already sent about it (one connection): it leaves for good.
        m_shared->queue().remove(it->second.keyHash, it->second.member);
    }
    // An answer already on its way is undone when it comes.
    m_waiters.erase(it);
}

void RedisGate::settle(const GateAsk& ask, const std::string& lease, std::int64_t usedTokens) {
    const QByteArray key = QByteArray::fromStdString(ask.key);
    if (!lease.empty()) {
        m_shared->release(key, QByteArray::fromStdString(lease));
    }
    if (!ask.limits.tokens.empty() && usedTokens != ask.tokens) {
        m_shared->reconcile(key, realTime(ask.limits), usedTokens - ask.tokens);
    }
}

void RedisGate::schedule(const std::string& key) {
    Line& line = m_lines[key];
    if (line.asking != 0 || line.sleeping) {
        return;
    }
    // From the event loop: never answer inside ask(), and let a burst of asks queue first.
    line.sleeping = true;
    QTimer::singleShot(0, this, [this, key] {
        m_lines[key].sleeping = false;
        next(key);
    });
}

void RedisGate::next(const std::string& key) {
    auto it = m_lines.find(key);
    if (it == m_lines.end() || it->second.asking != 0 || it->second.sleeping) {
        return;
    }
    Line& line = it->second;
    scoreLine(key, line);
    if (line.order.empty() && line.unscored.empty()) {
        if (!watched(key)) {
            m_lines.erase(it);
        }
        return;
    }
    std::uint64_t ticket = 0;
    std::optional<QueueSpot> spot;
    if (!line.order.empty()) {
        ticket = line.order.begin()->second;
        const Waiter& w = m_waiters.at(ticket);
        if (w.queued) {
            spot = QueueSpot{w.member, *w.score};
        }
    } else if (m_shared->alarm()) {
        ticket = std::get<2>(*line.unscored.begin()); // no Redis: the policy decides
    } else {
        // Redis time is not known yet (the first heartbeat is out): look again shortly.
        line.sleeping = true;
        QTimer::singleShot(kNoTimeRetryMs, this, [this, key] {
            m_lines[key].sleeping = false;
            next(key);
        });
        return;
    }
    const Waiter& a = m_waiters.at(ticket);
    line.asking = ticket;
    QPointer<RedisGate> self(this);
    m_shared->admit(
        QByteArray::fromStdString(key), realTime(a.ask.limits), a.ask.tokens, a.ask.concurrency,
        [self, key, ticket](SharedVerdict verdict) {
            if (self && !self->m_closing) {
                self->onVerdict(key, ticket, verdict);
            }
        },
        spot);
}

void RedisGate::onVerdict(const std::string& key, std::uint64_t ticket,
                          const SharedVerdict& verdict) {
    Line& line = m_lines[key];
    line.asking = 0;
    const auto waiter = m_waiters.find(ticket);
    if (waiter == m_waiters.end()) {
        // Withdrawn while Redis decided: give back what it was granted.
        if (verdict.admitted && !verdict.leaseId.isEmpty()) {
            m_shared->release(QByteArray::fromStdString(key), verdict.leaseId);
        }
        schedule(key);
        return;
    }
    if (!verdict.admitted) {
        // Ask again when Redis said the budget frees or this waiter's turn comes (a policy
        // refusal says when to look again); a little early is fine, the answer is then
        // another short wait.
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(verdict.wait);
        line.sleeping = true;
        QTimer::singleShot(static_cast<int>(std::clamp<qint64>(ms.count(), 0, 1000)),
                           Qt::PreciseTimer, this, [this, key] {
                               m_lines[key].sleeping = false;
                               next(key);
                           });
        return;
    }
    Waiter& w = waiter->second;
    Done done = std::move(w.done);
    leaveLine(ticket, w);
    if (w.queued && !verdict.shared) {
        // Admitted by the failure policy: Redis did not take it out of the queue.
        m_shared->queue().remove(w.keyHash, w.member);
    }
    m_waiters.erase(waiter);
    ++m_admitted;
    // The next one asks at once: the budget may hold more (a burst), and Redis says so.
    schedule(key);
    done(verdict.leaseId.toStdString());
}

std::uint64_t RedisGate::ownTicket(const QByteArray& member) const {
    const qsizetype colon = member.lastIndexOf(':');
    if (colon < 0 || member.left(colon) != m_shared->processId()) {
        return 0;
    }
    bool ok = false;
    const qulonglong ticket = member.mid(colon + 1).toULongLong(&ok, 16);
    return ok ? ticket : 0;
}

bool RedisGate::watched(const std::string& key) const {
    const auto it = m_watched.find(key);
    return it != m_watched.end() && m_shared->queue().localUs() - it->second < kWatchForUs;
}

void RedisGate::refresh() {
    // Scopes no longer asked about are forgotten (with their lines when nobody waits there);
    // those still asked about get a line to read.
    for (auto it = m_watched.begin(); it != m_watched.end();) {
        if (watched(it->first)) {
            m_lines.try_emplace(it->first);
            ++it;
            continue;
        }
        const auto line = m_lines.find(it->first);
        if (line != m_lines.end() && line->second.order.empty() && line->second.unscored.empty() &&
            line->second.asking == 0 && !line->second.sleeping) {
            m_lines.erase(line);
        }
        it = m_watched.erase(it);
    }
    if (m_lines.empty() || m_shared->alarm()) {
        return; // nothing to read; or the policy decides, positions unknown until Redis is back
    }
    QPointer<RedisGate> self(this);
    for (auto& [key, line] : m_lines) {
        if (line.reading) {
            continue;
        }
        const bool someQueued =
            std::any_of(line.order.begin(), line.order.end(),
                        [this](const Place& p) { return m_waiters.at(p.second).queued; });
        if (!someQueued && !watched(key)) {
            continue;
        }
        line.reading = true;
        const QByteArray keyHash = line.order.empty()
                                       ? SharedBudget::keyHash(QByteArray::fromStdString(key))
                                       : m_waiters.at(line.order.begin()->second).keyHash;
        m_shared->queue().read(keyHash, [self, key = key, keyHash](Result<QueueView> view) {
            if (!self || self->m_closing) {
                return;
            }
            const auto it = self->m_lines.find(key);
            if (it != self->m_lines.end()) {
                it->second.reading = false;
            }
            if (view.ok()) {
                self->onRead(key, keyHash, view.value());
            }
        });
    }
}

void RedisGate::onRead(const std::string& key, const QByteArray& keyHash, const QueueView& view) {
    SharedQueue& queue = m_shared->queue();
    std::set<QByteArray> present;
    for (const QByteArray& member : view.members) {
        present.insert(member);
        // A member of this process that no longer waits (admitted by the failure policy while
        // Redis was away, or a removal lost with the connection): it would hold the head.
        if (const std::uint64_t t = ownTicket(member); t != 0 && !m_waiters.count(t)) {
            queue.remove(keyHash, member);
        }
    }
    const auto it = m_lines.find(key);
    if (it == m_lines.end()) {
        return;
    }
    Line& line = it->second;
    if (view.complete) {
        // Waiters Redis lost (it restarted, or a registration failed) register again, with
        // their scores; never the one being decided (its decision registers it itself).
        std::vector<std::pair<std::int64_t, QByteArray>> lost;
        for (const auto& [score, ticket] : line.order) {
            const Waiter& w = m_waiters.at(ticket);
            if (w.queued && ticket != line.asking && !present.count(w.member)) {
                lost.emplace_back(score, w.member);
            }
        }
        queue.add(keyHash, lost);
    }
    line.others.clear();
    for (const QueueView::Entry& e : view.entries) {
        if (ownTicket(e.member) == 0) {
            line.others.push_back(e);
        }
    }
    line.othersComplete = view.complete;
    line.read = true;
    line.positionsStale = true;
}

void RedisGate::merge(const Line& line) const {
    if (!line.positionsStale) {
        return;
    }
    // One merge of this process's line with the others' members, in Redis's order.
    line.positions.clear();
    line.scores.clear();
    line.scores.reserve(line.order.size() + line.others.size());
    std::size_t j = 0;
    std::uint64_t own = 0;
    for (const auto& [score, t] : line.order) {
        const Waiter& w = m_waiters.at(t);
        while (j < line.others.size() &&
               std::tie(line.others[j].score, line.others[j].member) < std::tie(score, w.member)) {
            line.scores.push_back(line.others[j].score);
            ++j;
        }
        line.positions.emplace(t, j + own);
        if (w.queued) {
            line.scores.push_back(score);
        }
        ++own;
    }
    for (; j < line.others.size(); ++j) {
        line.scores.push_back(line.others[j].score);
    }
    line.positionsStale = false;
}

std::optional<std::uint64_t> RedisGate::position(std::uint64_t ticket) const {
    const auto w = m_waiters.find(ticket);
    if (w == m_waiters.end() || !w->second.score || !w->second.queued || m_shared->alarm()) {
        return std::nullopt;
    }
    const auto l = m_lines.find(w->second.ask.key);
    if (l == m_lines.end()) {
        return std::nullopt;
    }
    merge(l->second);
    const auto p = l->second.positions.find(ticket);
    return p == l->second.positions.end() ? std::nullopt : std::optional<std::uint64_t>(p->second);
}

std::optional<std::int64_t> RedisGate::order(const GateAsk& ask) const {
    SharedQueue& queue = m_shared->queue();
    const auto waitedUs = static_cast<std::int64_t>(
        static_cast<double>(std::max(ask.waited, Nanos{0}).count()) / m_speed / 1000.0);
    const auto arrival = queue.redisUsAt(queue.localUs() - waitedUs);
    if (!limited(ask) || !arrival || m_shared->alarm()) {
        return std::nullopt;
    }
    return SharedQueue::score(std::clamp(ask.priority, 0, 9), *arrival);
}

std::optional<std::uint64_t> RedisGate::rank(const GateAsk& ask) const {
    const auto score = order(ask);
    if (!score) {
        return std::nullopt;
    }
    m_watched[ask.key] = m_shared->queue().localUs(); // read it from the next heartbeat on
    const auto l = m_lines.find(ask.key);
    if (l == m_lines.end() || !l->second.read) {
        return std::nullopt; // the others' members are not known yet
    }
    merge(l->second);
    const std::vector<std::int64_t>& scores = l->second.scores;
    return static_cast<std::uint64_t>(std::lower_bound(scores.begin(), scores.end(), *score) -
                                      scores.begin());
}

GateStatus RedisGate::status() const {
    const SharedStatus s = m_shared->status();
    GateStatus g;
    g.connected = s.connected;
    g.alarm = s.alarm;
    g.alarmReason = s.alarmReason.toStdString();
    g.mode = s.mode.toStdString();
    g.modeReason = s.modeReason.toStdString();
    g.policy = redisPolicyName(s.policy).toStdString();
    g.processes = s.processes;
    g.alarms = s.alarms;
    g.policyDecisions = s.policyDecisions;
    g.waiting = m_waiters.size();
    g.admitted = m_admitted;
    return g;
}

} // namespace sluice
