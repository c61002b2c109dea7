#pragma once

#include "core/engine/clock.h"

#include <cstdint>

namespace sluice {

/// One rate-limit level: at most `limit` units per `period`, with `burst` extra units that may
/// go at once on top of the smooth rate (0 = strictly smooth). `limit <= 0` is unlimited.
struct RateLevel {
    std::int64_t limit = 0;
    Nanos period = std::chrono::minutes(1);
    std::int64_t burst = 0;
    friend bool operator==(const RateLevel&, const RateLevel&) = default;
};

/// GCRA (the generic cell rate algorithm; a token bucket kept as one timestamp): a unit cost
/// drains in `interval()`, and a request is admitted while the theoretical arrival time (TAT)
/// is no more than `burst` intervals ahead of now. Memory is one number whatever the rate.
///
/// Window safety: providers count a sliding window. A plain token bucket at `limit/period` lets
/// `limit - 1 + burst + size of the last request` into some window, and network jitter compresses
/// gaps further. So the limiter paces at `(limit - headroom + 1) / (period + 2 * jitter)`, where
/// headroom is the largest cost it has admitted (at least one unit) and the jitter allowance is
/// 0.5% of the period (at most 1 s): half for arrival jitter, half to let a caller woken late
/// start on time. With burst 0 no sliding window of `period` ever holds more than `limit` at the
/// server, and throughput stays within ~1% of `limit - headroom + 1` (of the limit itself for
/// unit costs).
class GcraLimiter {
public:
    explicit GcraLimiter(RateLevel level = {});

    const RateLevel& level() const { return m_level; }
    /// Changes the level at once. Debt already accumulated is kept in units, so a lower limit
    /// takes effect immediately without forgetting what was just sent.
    void setLevel(RateLevel level, Nanos now);
    bool unlimited() const { return m_level.limit <= 0; }

    /// Time until a request may be admitted (0 = now). The debt form: the cost of a request is
    /// paid after admission, so any single request larger than the burst can still pass.
    Nanos waitTime(Nanos now) const;
    /// True when `cost` alone can never fit the limit (a provider would refuse it outright).
    bool tooLarge(std::int64_t cost) const { return !unlimited() && cost > m_level.limit; }
    /// Admits `cost` units at `now` (call after waitTime() returned 0).
    void charge(std::int64_t cost, Nanos now);
    /// Gives back (negative) or charges extra (positive) units: reconciling an estimate with
    /// what the server reported.
    void adjust(std::int64_t delta);
    /// Units that could be admitted right now in unit-cost requests.
    std::int64_t available(Nanos now) const;
    /// Tightens to at most `units` available now (never loosens): learning from the server.
    void clampAvailable(std::int64_t units, Nanos now);
    /// Nothing is admitted before `until`.
    void blockUntil(Nanos until);

    /// The pacing interval per unit, including the window-safety margin.
    Nanos interval() const { return m_interval; }
    Nanos tat() const { return m_tat; }
    void reset() { m_tat = Nanos::min() / 2; }

private:
    void recompute();

    RateLevel m_level;
    std::int64_t m_headroom = 1;
    Nanos m_interval{0};
    Nanos m_tolerance{0};
    Nanos m_catchUp{0};
    Nanos m_tat = Nanos::min() / 2;
};

} // namespace sluice
