#pragma once

#include "core/engine/ratebudget.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace sluice {

/// One attempt's ask at an admission gate shared with other processes.
struct GateAsk {
    std::string key;         ///< the upstream API key (a gate never shows or stores it in clear)
    BudgetLimits limits;     ///< the key's whole-fleet limits, periods in the engine's clock time
    std::int64_t tokens = 0; ///< tokens reserved for the attempt (prompt + max_tokens)
    int concurrency = 0;     ///< whole-fleet in-flight limit of the key; 0 = none
    /// The fleet's order: priority first (0 most urgent, as EngineRequest), then arrival.
    int priority = 1;
    Nanos waited{0}; ///< how long the request has waited so far (engine clock), for its arrival
};

/// What a gate says about itself, for stats, metrics and logs.
struct GateStatus {
    bool connected = false;            ///< the shared store answers
    bool alarm = false;                ///< it does not: the failure policy decides
    std::string alarmReason;           ///< why, while the alarm stands
    std::string mode;                  ///< how decisions are made ("scripted", "script-free")
    std::string modeReason;            ///< why that mode (the store's refusal of scripts)
    std::string policy;                ///< the failure policy ("closed", "open", "split")
    int processes = 1;                 ///< processes sharing the state, last seen
    std::uint64_t alarms = 0;          ///< times the alarm was raised
    std::uint64_t policyDecisions = 0; ///< admissions the failure policy decided
    std::uint64_t waiting = 0;         ///< asks not answered yet
    std::uint64_t admitted = 0;        ///< asks admitted
};

/// Asynchronous admission shared by several processes (RequestEngine::setGate()): after the
/// engine's own queue, budget and concurrency have let an attempt go, the gate decides whether
/// the whole fleet may send it now. The engine never waits on it: it asks, and the attempt
/// leaves when the answer comes.
///
/// Contract: single-threaded (the engine's thread). `done` runs exactly once per ask unless the
/// ask is withdrawn first, and never inside ask() or withdraw(), from the event loop, while the
/// gate lives; it may call back into the gate. Asks of one scope are admitted in one order for
/// the whole fleet (priority, then arrival) when the gate keeps one. An ask waits until admitted:
/// the gate asks again when the shared budget frees, and while the shared state is unreachable its
/// failure policy decides (which may hold asks back until the state returns). Withdraw asks that no
/// longer matter (cancelled, timed out).
class AdmissionGate {
public:
    /// `lease`: give it back through settle() when the attempt ends (may be empty).
    using Done = std::function<void(std::string lease)>;

    virtual ~AdmissionGate() = default;
    /// Asks to send one attempt; returns a ticket for withdraw() (never 0).
    virtual std::uint64_t ask(GateAsk ask, Done done) = 0;
    /// The attempt will not go: its `done` never runs. Unknown tickets are ignored.
    virtual void withdraw(std::uint64_t ticket) = 0;
    /// The admitted attempt ended: its lease back, its reservation reconciled with the tokens
    /// it really used.
    virtual void settle(const GateAsk& ask, const std::string& lease, std::int64_t usedTokens) = 0;
    virtual GateStatus status() const = 0;
    /// Requests ahead of a waiting ask in the whole fleet's order for its scope; nothing when
    /// the gate does not know (no order, unknown ticket).
    virtual std::optional<std::uint64_t> position(std::uint64_t ticket) const {
        (void)ticket;
        return std::nullopt;
    }
    /// Requests waiting at the gate, in the whole fleet, that an ask not made yet would stand
    /// behind if it asked now (`ask`'s scope, priority and arrival): a request still in its
    /// process's own queue counts its place in the fleet with it. Nothing when the gate does not
    /// know (no order, no limit, the shared state unreachable).
    virtual std::optional<std::uint64_t> rank(const GateAsk& ask) const {
        (void)ask;
        return std::nullopt;
    }
    /// Where that ask stands in the fleet's order of its scope: smaller goes first, on one
    /// scale for every process of the fleet (so processes can place each other's requests that
    /// have not asked yet). Nothing when the gate does not know.
    virtual std::optional<std::int64_t> order(const GateAsk& ask) const {
        (void)ask;
        return std::nullopt;
    }
};

} // namespace sluice
