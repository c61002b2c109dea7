// What the engine tells whoever asks: where each request is (status(), statuses()), its values
// now (snapshot()) and the batch it publishes at every tick. The read side of RequestEngine,
// apart from the machinery that moves requests (requestengine.cpp).

#include "core/net/enginecall.h"
#include "core/net/requestengine.h"

#include <QMetaMethod>

namespace sluice {

std::int64_t RequestEngine::position(std::uint64_t id) const {
    return m_admission.position(id, m_clock.now());
}

Nanos RequestEngine::expectedWait(std::int64_t position) const {
    return m_pace.expectedWait(position);
}

std::vector<RequestStatus> RequestEngine::statuses() const {
    std::vector<RequestStatus> out;
    out.reserve(m_calls.size());
    const Nanos now = m_clock.now();
    const std::vector<std::uint64_t> order = m_admission.order(now);
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (auto s = status(order[i], static_cast<std::int64_t>(i))) {
            out.push_back(std::move(*s));
        }
    }
    for (const auto& [id, call] : m_calls) {
        const RequestState st = call->record.state;
        // Calls at the shared gate are not in the local queue's order: listed here.
        if ((st != RequestState::Queued && st != RequestState::WaitingBudget) ||
            call->gateTicket != 0) {
            if (auto s = status(id)) {
                out.push_back(std::move(*s));
            }
        }
    }
    return out;
}

std::optional<RequestStatus> RequestEngine::status(std::uint64_t id) const {
    return status(id, -2);
}

std::optional<RequestStatus> RequestEngine::status(std::uint64_t id, std::int64_t knownPosition,
                                                   bool knownInFleet) const {
    const auto it = m_calls.find(id);
    if (it == m_calls.end()) {
        return std::nullopt;
    }
    const Call& c = *it->second;
    const Nanos now = m_clock.now();
    RequestStatus s = c.status();
    if (c.gateTicket != 0) {
        // Waiting for the fleet's word: its place in the fleet's order for its scope.
        s.state = RequestState::WaitingBudget;
        s.position = knownInFleet ? knownPosition : fleetPosition(c, -1);
        s.fleetPosition = true;
        s.atSharedGate = true;
        s.sharedQueue = sharedQueue(c);
        s.fleetOrder = fleetOrder(c);
        const Nanos wait = budgetWait(c, now);
        s.eta = s.position >= 0 ? std::max(expectedWait(s.position), wait) : wait;
    } else if (s.state == RequestState::Queued || s.state == RequestState::WaitingBudget) {
        if (knownInFleet) {
            s.position = knownPosition;
            s.fleetPosition = true;
        } else {
            s.position = knownPosition >= -1 ? knownPosition : position(id);
            // With a gate: its place in the fleet, when the gate knows the fleet's order.
            if (const std::int64_t fleet = fleetPosition(c, s.position); fleet >= 0) {
                s.position = fleet;
                s.fleetPosition = true;
            }
        }
        if (s.fleetPosition) {
            s.sharedQueue = sharedQueue(c);
            s.fleetOrder = fleetOrder(c);
        }
        const Nanos wait = budgetWait(c, now);
        s.state = wait.count() > 0 ? RequestState::WaitingBudget : RequestState::Queued;
        s.eta = std::max(expectedWait(s.position), wait);
    }
    return s;
}

EngineSnapshot RequestEngine::snapshot() const {
    const Nanos now = m_clock.now();
    EngineSnapshot s;
    s.at = now;
    s.inFlight = m_admission.inFlight();
    s.limit = m_admission.limit();
    s.queued = static_cast<int>(m_admission.queued());
    const QueueScopes::Closed closed = m_scopes.closed(now);
    s.waitingBudget = closed.waiting;
    s.nextAllowedIn = closed.waiting > 0 ? closed.firstOpensIn : Nanos{0};
    m_stats.fill(s, now);
    s.breaker = CircuitBreaker::State::Closed;
    for (auto& [key, breaker] : m_breakers) {
        const auto state = breaker->state();
        if (state == CircuitBreaker::State::Open || (state == CircuitBreaker::State::HalfOpen &&
                                                     s.breaker == CircuitBreaker::State::Closed)) {
            s.breaker = state;
        }
    }
    s.resources = m_resources;
    s.clientSaturated = m_guard.clientSaturated();
    return s;
}

void RequestEngine::tick() {
    const Nanos now = m_clock.now();
    m_stats.advance(now);
    if (now - m_lastResourceSample >= std::chrono::seconds(1)) {
        m_lastResourceSample = now;
        const bool wasPaused = m_guard.paused();
        m_resources = m_guard.sample();
        if (wasPaused && !m_guard.paused()) {
            schedulePump();
        }
    }
    if (m_gate) {
        // Fleet-wide positions move with other processes' admissions: publish the changes.
        for (auto& [id, call] : m_calls) {
            if (call->gateTicket != 0 && fleetPosition(*call, -1) != call->gatePosition) {
                markDirty(*call);
            }
        }
    }
    if (m_publishPositions) {
        const std::vector<std::uint64_t> order = m_admission.order(now);
        for (std::size_t i = 0; i < order.size(); ++i) {
            Call* c = find(order[i]);
            if (!c) {
                continue;
            }
            const auto local = static_cast<std::int64_t>(i);
            const std::int64_t fleet = fleetPosition(*c, local);
            if (c->publishedPosition != (fleet >= 0 ? fleet : local) ||
                c->publishedInFleet != (fleet >= 0)) {
                markDirty(*c);
            }
        }
    }
    QList<RequestUpdate> updates = m_updates.take(
        [this, now](std::uint64_t id) -> std::optional<RequestUpdate> {
            Call* c = find(id);
            if (!c) {
                return std::nullopt;
            }
            RequestUpdate u = c->update();
            if (c->gateTicket != 0) {
                u.state = RequestState::WaitingBudget;
                u.position = c->gatePosition = fleetPosition(*c, -1);
                u.fleetPosition = true;
                c->record.state = u.state;
            } else if (u.state == RequestState::Queued || u.state == RequestState::WaitingBudget) {
                const bool closed = budgetWait(*c, now).count() > 0;
                u.state = closed ? RequestState::WaitingBudget : RequestState::Queued;
                c->record.state = u.state;
            }
            return u;
        },
        [this, now] { return m_admission.order(now); });
    if (m_gate || m_publishPositions) {
        for (RequestUpdate& u : updates) {
            Call* c = find(u.id);
            if (!c) {
                continue;
            }
            // Still in the local queue: placed in the fleet when the gate knows its order.
            if (m_gate && c->gateTicket == 0 &&
                (u.state == RequestState::Queued || u.state == RequestState::WaitingBudget)) {
                if (const std::int64_t fleet = fleetPosition(*c, u.position); fleet >= 0) {
                    u.position = fleet;
                    u.fleetPosition = true;
                }
            }
            c->publishedPosition = u.position;
            c->publishedInFleet = u.fleetPosition;
        }
    }
    if (!updates.isEmpty()) {
        Q_EMIT requestsUpdated(updates);
    }
    // The snapshot's percentiles walk the last 10 s of samples (up to 100,000): a stall of
    // milliseconds ten times a second, for nobody when no one listens (the gateway reads
    // snapshot() when asked).
    static const QMetaMethod snapshotSignal =
        QMetaMethod::fromSignal(&RequestEngine::snapshotReady);
    if (isSignalConnected(snapshotSignal)) {
        Q_EMIT snapshotReady(snapshot());
    }
}

} // namespace sluice
