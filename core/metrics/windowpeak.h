#pragma once

#include "core/engine/clock.h"

#include <cstdint>
#include <deque>

namespace sluice {

/// Records admitted amounts over time and remembers the largest total seen in any sliding window
/// of a fixed length: the server-side truth that rate limits are judged by. Millisecond resolution
/// (a pair of events less than a millisecond short of a full window apart may be counted apart);
/// memory is bounded by window/1ms buckets whatever the rate.
class WindowPeak {
public:
    explicit WindowPeak(Nanos window = std::chrono::minutes(1));

    void add(std::int64_t amount, Nanos now);
    /// Total within the window that ends at `now`.
    std::int64_t current(Nanos now);
    /// The largest total seen in any window since construction or reset().
    std::int64_t peak() const { return m_peak; }
    Nanos window() const { return m_window; }
    void reset();

private:
    struct Bucket {
        std::int64_t atMs;
        std::int64_t amount;
    };
    void expire(std::int64_t nowMs);

    Nanos m_window;
    std::int64_t m_windowMs;
    std::deque<Bucket> m_log;
    std::int64_t m_sum = 0;
    std::int64_t m_peak = 0;
};

} // namespace sluice
