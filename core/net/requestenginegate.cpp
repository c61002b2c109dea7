// RequestEngine's part for the shared admission gate (AdmissionGate): an attempt the local
// limits let go waits for the fleet's word before it is sent.
#include "core/engine/admissiongate.h"
#include "core/net/enginecall.h"
#include "core/net/requestengine.h"

#include <QCryptographicHash>

namespace sluice {

void RequestEngine::setGate(std::unique_ptr<AdmissionGate> gate) {
    m_gate = std::move(gate);
}

namespace {

/// One shared scope per local budget: a key and model, or the pool's model.
QByteArray gateScope(const EngineRequest& request) {
    return (request.pooled ? QByteArrayLiteral("pool") : request.apiKey) + '\n' +
           request.model.toUtf8();
}

} // namespace

GateAsk RequestEngine::gateAskFor(const Call& c) const {
    GateAsk ask;
    ask.key = gateScope(c.request).toStdString();
    ask.limits = c.budget ? c.budget->limits() : BudgetLimits{};
    ask.tokens = c.reservedTokens;
    const ConcurrencyConfig& cc = m_config.concurrency;
    ask.concurrency = cc.algorithm == ConcurrencyConfig::Algorithm::Fixed ? cc.initial : cc.max;
    // The fleet's order: priority, then arrival (a retry keeps the request's first place).
    ask.priority = c.request.priority;
    ask.waited = m_clock.now() - c.record.submittedAt;
    return ask;
}

std::int64_t RequestEngine::gatePosition(const Call& c) const {
    if (!m_gate || c.gateTicket == 0) {
        return -1;
    }
    const auto p = m_gate->position(c.gateTicket);
    return p ? static_cast<std::int64_t>(*p) : -1;
}

std::int64_t RequestEngine::fleetPosition(const Call& c, std::int64_t localAhead) const {
    if (!m_gate) {
        return -1;
    }
    std::int64_t ahead = -1;
    if (c.gateTicket != 0) {
        ahead = gatePosition(c);
    } else if (localAhead >= 0) {
        const auto atGate = m_gate->rank(gateAskFor(c));
        ahead = atGate ? localAhead + static_cast<std::int64_t>(*atGate) : -1;
    }
    if (ahead >= 0 && m_heldElsewhere) {
        if (const std::int64_t order = fleetOrder(c); order >= 0) {
            ahead += static_cast<std::int64_t>(m_heldElsewhere(sharedQueue(c), order));
        }
    }
    return ahead;
}

std::int64_t RequestEngine::fleetOrder(const Call& c) const {
    if (c.fleetOrder < 0 && m_gate) {
        // Priority and arrival do not change (a retry keeps its first place): once known, kept.
        c.fleetOrder = m_gate->order(gateAskFor(c)).value_or(-1);
    }
    return c.fleetOrder;
}

const QString& RequestEngine::sharedQueue(const Call& c) const {
    if (c.sharedQueue.isEmpty()) {
        // A hash, never the key: other processes and anyone asking see it.
        c.sharedQueue = QString::fromLatin1(
            QCryptographicHash::hash(gateScope(c.request), QCryptographicHash::Sha256)
                .toHex()
                .left(16));
    }
    return c.sharedQueue;
}

void RequestEngine::admitShared(Call& c) {
    if (!m_gate) {
        send(c);
        return;
    }
    // Waits for the budget, as far as anyone looking is concerned; holds its local slot.
    c.record.state = RequestState::WaitingBudget;
    markDirty(c);
    const std::uint64_t id = c.record.id;
    const Nanos until = queueDeadline(c, m_clock.now());
    if (until != Nanos::max()) {
        m_deadlines.add(until, id, c.record.attempts);
    }
    c.gateTicket = m_gate->ask(
        gateAskFor(c), [this, id](std::string lease) { onGateAdmitted(id, std::move(lease)); });
}

void RequestEngine::reaskGate() {
    if (!m_gate) {
        return;
    }
    for (auto& [id, call] : m_calls) {
        if (call->gateTicket == 0) {
            continue;
        }
        // The gate never answers inside ask() or withdraw(): m_calls does not change here.
        m_gate->withdraw(std::exchange(call->gateTicket, 0));
        call->gateTicket = m_gate->ask(gateAskFor(*call), [this, id = id](std::string lease) {
            onGateAdmitted(id, std::move(lease));
        });
    }
}

void RequestEngine::onGateAdmitted(std::uint64_t id, std::string lease) {
    Call* c = find(id);
    if (!c || c->gateTicket == 0) {
        // Withdrawn asks are never answered; nothing else can land here.
        return;
    }
    c->gateTicket = 0;
    c->gateAdmitted = true;
    c->gateLease = std::move(lease);
    c->gateUsed = -1;
    send(*c);
}

void RequestEngine::leaveGate(Call& c) {
    if (!m_gate) {
        return;
    }
    if (c.gateTicket != 0) {
        m_gate->withdraw(std::exchange(c.gateTicket, 0));
    }
    if (c.gateAdmitted) {
        c.gateAdmitted = false;
        const std::int64_t used = c.gateUsed >= 0 ? c.gateUsed : c.reservedTokens;
        m_gate->settle(gateAskFor(c), std::exchange(c.gateLease, {}), used);
    }
}

} // namespace sluice
