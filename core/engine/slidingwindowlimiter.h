#pragma once

#include "core/engine/clock.h"

#include <cstdint>
#include <deque>

namespace sluice {

/// An exact sliding-window limiter: at most `limit` units of cost are admitted in any window of
/// length `window`, measured on a millisecond grid. Unlike a fixed window it cannot admit a double
/// burst across a window edge, and unlike a token bucket with burst == limit it never admits more
/// than `limit` in any window. Used by the mock server to enforce requests/min and tokens/min the
/// way a strict provider does.
///
/// Entries are coalesced per millisecond (rounded up, so an admitted unit never leaves the window
/// early), which bounds memory to window/1ms buckets whatever the rate.
class SlidingWindowLimiter {
public:
    struct Decision {
        bool allowed = true;
        /// The cost can never fit: it is larger than the limit itself.
        bool tooLarge = false;
        /// Units in use in the window, after this decision.
        std::int64_t used = 0;
        /// Units still available in the window, after this decision (0 when unlimited).
        std::int64_t remaining = 0;
        /// When refused: the wait until enough units have left the window for this cost to fit.
        Nanos retryAfter{0};
        /// The wait until every unit now in the window has left it (back to the full limit).
        Nanos resetAfter{0};
    };

    /// `limit <= 0` means unlimited.
    explicit SlidingWindowLimiter(std::int64_t limit = 0, Nanos window = std::chrono::minutes(1));

    /// Admits `cost` units at `now` when they fit, and says what happened.
    Decision tryAcquire(std::int64_t cost, Nanos now);
    /// The decision tryAcquire would make, without admitting anything.
    Decision peek(std::int64_t cost, Nanos now);

    /// Changes the limit at once; units already admitted stay counted.
    void setLimit(std::int64_t limit) { m_limit = limit; }
    std::int64_t limit() const { return m_limit; }
    bool unlimited() const { return m_limit <= 0; }
    Nanos window() const { return m_window; }
    std::int64_t used(Nanos now);
    void clear();

private:
    struct Bucket {
        std::int64_t atMs;
        std::int64_t cost;
    };
    void expire(Nanos now);
    Decision decide(std::int64_t cost, Nanos now) const;

    std::int64_t m_limit;
    Nanos m_window;
    std::int64_t m_windowMs;
    std::deque<Bucket> m_log;
    std::int64_t m_used = 0;
};

} // namespace sluice
