#pragma once

#include "core/engine/clock.h"
#include "core/engine/ratebudget.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>

namespace sluice {

/// The budget scopes of the engine's queue: each distinct RateBudget (one key and model) gets
/// a small id the queue stores with every entry, and a count of the requests queued on it.
///
/// Why: scopes are few and requests many. "Can anything go now?" and "when does the first
/// closed budget open?" are answered by walking the scopes, never the queue, so a closed
/// scope's backlog is not walked on every event.
///
/// Plain C++; the budgets are not owned (RateBudgets keeps them for the engine's life). Not
/// thread-safe: the engine's thread only.
class QueueScopes {
public:
    /// The wait until a scope admits (0 = now).
    using Gate = std::function<Nanos(Nanos now)>;
    /// The scope of `budget`, created on first use (ids from 1).
    std::uint64_t scopeOf(RateBudget* budget);
    /// A scope named by `budget` and `variant` whose wait is `gate` (a budget combined with
    /// something else, e.g. a key pool for one model); `gate` is kept from the first call.
    std::uint64_t scopeOf(RateBudget* budget, const std::string& variant, Gate gate);
    void onQueued(std::uint64_t scope) { ++m_queued[scope]; }
    void onLeft(std::uint64_t scope) { --m_queued[scope]; }

    /// The scope's budget admits now.
    bool isOpen(std::uint64_t scope, Nanos now) const;
    /// Some scope with queued requests is open now.
    bool anyOpen(Nanos now) const;

    struct Closed {
        int waiting = 0;                   ///< queued requests whose budget is closed
        Nanos firstOpensIn = Nanos::max(); ///< the shortest wait until one opens (max: none)
    };
    /// The queued requests held back by their budget at `now`.
    Closed closed(Nanos now) const;

private:
    Nanos waitOf(std::uint64_t scope, Nanos now) const { return m_gates.at(scope)(now); }

    std::map<std::pair<RateBudget*, std::string>, std::uint64_t> m_ids;
    std::unordered_map<std::uint64_t, Gate> m_gates;
    std::unordered_map<std::uint64_t, int> m_queued;
};

} // namespace sluice
