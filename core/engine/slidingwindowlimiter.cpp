#include "core/engine/slidingwindowlimiter.h"

#include <algorithm>

namespace sluice {

namespace {
constexpr std::int64_t kNanosPerMs = 1'000'000;

std::int64_t ceilMs(Nanos t) {
    const std::int64_t ns = t.count();
    return ns >= 0 ? (ns + kNanosPerMs - 1) / kNanosPerMs : -((-ns) / kNanosPerMs);
}

std::int64_t floorMs(Nanos t) {
    const std::int64_t ns = t.count();
    return ns >= 0 ? ns / kNanosPerMs : -((-ns + kNanosPerMs - 1) / kNanosPerMs);
}

Nanos fromMs(std::int64_t ms) {
    return Nanos{ms * kNanosPerMs};
}
} // namespace

SlidingWindowLimiter::SlidingWindowLimiter(std::int64_t limit, Nanos window)
    : m_limit(limit)
    , m_window(window)
    , m_windowMs(std::max<std::int64_t>(1, ceilMs(window))) {}

void SlidingWindowLimiter::expire(Nanos now) {
    // Entries are stamped with their time rounded up and expired against the time rounded down,
    // so a unit leaves the window only once a full window has truly passed since it was admitted.
    const std::int64_t nowMs = floorMs(now);
    while (!m_log.empty() && m_log.front().atMs + m_windowMs <= nowMs) {
        m_used -= m_log.front().cost;
        m_log.pop_front();
    }
}

SlidingWindowLimiter::Decision SlidingWindowLimiter::decide(std::int64_t cost, Nanos now) const {
    Decision d;
    d.used = m_used;
    d.resetAfter = m_log.empty() ? Nanos{0} : fromMs(m_log.back().atMs + m_windowMs) - now;
    if (unlimited()) {
        return d;
    }
    d.remaining = std::max<std::int64_t>(0, m_limit - m_used);
    if (cost > m_limit) {
        d.allowed = false;
        d.tooLarge = true;
        return d;
    }
    if (m_used + cost <= m_limit) {
        return d;
    }
    d.allowed = false;
    // Walk the oldest entries until enough would have left the window.
    std::int64_t needed = m_used + cost - m_limit;
    for (const Bucket& b : m_log) {
        needed -= b.cost;
        if (needed <= 0) {
            d.retryAfter = fromMs(b.atMs + m_windowMs) - now;
            break;
        }
    }
    return d;
}

SlidingWindowLimiter::Decision SlidingWindowLimiter::peek(std::int64_t cost, Nanos now) {
    expire(now);
    return decide(cost, now);
}

SlidingWindowLimiter::Decision SlidingWindowLimiter::tryAcquire(std::int64_t cost, Nanos now) {
    expire(now);
    Decision d = decide(cost, now);
    const std::int64_t stampMs = ceilMs(now);
    if (!d.allowed || cost <= 0) {
        return d;
    }
    if (!m_log.empty() && m_log.back().atMs == stampMs) {
        m_log.back().cost += cost;
    } else {
        m_log.push_back({stampMs, cost});
    }
    m_used += cost;
    d.used = m_used;
    d.remaining = unlimited() ? 0 : std::max<std::int64_t>(0, m_limit - m_used);
    d.resetAfter = fromMs(stampMs + m_windowMs) - now;
    return d;
}

std::int64_t SlidingWindowLimiter::used(Nanos now) {
    expire(now);
    return m_used;
}

void SlidingWindowLimiter::clear() {
    m_log.clear();
    m_used = 0;
}

} // namespace sluice
