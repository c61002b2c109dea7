#include "core/redis/redisgate.h"

#include <QPointer>

#include <algorithm>

namespace sluice {

RedisGate::RedisGate(SharedAdmissionConfig config, double speed, QObject* parent)
    : QObject(parent)
    , m_speed(speed > 0 ? speed : 1.0)
    , m_shared(std::make_unique<SharedAdmission>(std::move(config))) {}

RedisGate::~RedisGate() {
    // Nobody is answered any more: the engine that asked is going away with this gate.
    m_closing = true;
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
    m_waiters.emplace(ticket, Waiter{std::move(ask), std::move(done)});
    m_lines[key].order.push_back(ticket);
    schedule(key);
    return ticket;
}

void RedisGate::withdraw(std::uint64_t ticket) {
    // Its place in the line is skipped when reached; an answer already on its way is undone.
    m_waiters.erase(ticket);
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
    if (line.asking || line.sleeping) {
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
    if (it == m_lines.end() || it->second.asking || it->second.sleeping) {
        return;
    }
    Line& line = it->second;
    while (!line.order.empty() && !m_waiters.count(line.order.front())) {
        line.order.pop_front(); // withdrawn
    }
    if (line.order.empty()) {
        m_lines.erase(it);
        return;
    }
    const std::uint64_t ticket = line.order.front();
    const GateAsk& a = m_waiters.at(ticket).ask;
    line.asking = true;
    QPointer<RedisGate> self(this);
    m_shared->admit(QByteArray::fromStdString(key), realTime(a.limits), a.tokens, a.concurrency,
                    [self, key, ticket](SharedVerdict verdict) {
                        if (self && !self->m_closing) {
                            self->onVerdict(key, ticket, verdict);
                        }
                    });
}

void RedisGate::onVerdict(const std::string& key, std::uint64_t ticket,
                          const SharedVerdict& verdict) {
    Line& line = m_lines[key];
    line.asking = false;
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
        // Ask again when Redis said the budget frees (a policy refusal says when to look
        // again); a little early is fine, the answer is then another short wait.
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(verdict.wait);
        line.sleeping = true;
        QTimer::singleShot(static_cast<int>(std::clamp<qint64>(ms.count(), 0, 1000)),
                           Qt::PreciseTimer, this, [this, key] {
                               m_lines[key].sleeping = false;
                               next(key);
                           });
        return;
    }
    Done done = std::move(waiter->second.done);
    m_waiters.erase(waiter);
    line.order.pop_front();
    ++m_admitted;
    // The next one asks at once: the budget may hold more (a burst), and Redis says so.
    schedule(key);
    done(verdict.leaseId.toStdString());
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
