#include "core/engine/gcralimiter.h"

#include <algorithm>
#include <limits>

namespace sluice {

GcraLimiter::GcraLimiter(RateLevel level)
    : m_level(level) {
    recompute();
}

void GcraLimiter::recompute() {
    if (unlimited()) {
        m_interval = Nanos{0};
        m_tolerance = Nanos{0};
        return;
    }
    const double limit = static_cast<double>(m_level.limit);
    const double jitter = std::min(static_cast<double>(m_level.period.count()) * 0.005, 1e9);
    // Keep room for the largest admitted request (at least one unit): the debt form admits
    // while less than `effective` units are in the window, so `effective - 1 + headroom` may
    // reach the server at once. Never pace slower than half the limit for it, so tiny limits
    // still make progress.
    const double effective =
        std::max(limit - static_cast<double>(m_headroom) + 1.0, std::min(limit / 2.0, limit - 0.5));
    m_catchUp = Nanos{static_cast<Nanos::rep>(jitter)};
    m_interval = Nanos{static_cast<Nanos::rep>(
        (static_cast<double>(m_level.period.count()) + 2 * jitter) / std::max(effective, 1e-9))};
    m_tolerance = m_interval * std::max<std::int64_t>(m_level.burst, 0);
}

void GcraLimiter::setLevel(RateLevel level, Nanos now) {
    if (level == m_level) {
        return;
    }
    const Nanos oldInterval = m_interval;
    const bool wasLimited = !unlimited();
    m_level = level;
    if (level.limit > 0) {
        m_headroom = std::clamp<std::int64_t>(m_headroom, 1, level.limit);
    }
    recompute();
    if (unlimited() || !wasLimited) {
        m_tat = Nanos::min() / 2; // a fresh bucket
        return;
    }
    if (m_tat > now) {
        // Carry the outstanding debt over in units, so a cut takes effect at once.
        const double debtUnits =
            static_cast<double>((m_tat - now).count()) / static_cast<double>(oldInterval.count());
        m_tat = now +
                Nanos{static_cast<Nanos::rep>(debtUnits * static_cast<double>(m_interval.count()))};
    }
}

Nanos GcraLimiter::waitTime(Nanos now) const {
    if (unlimited()) {
        return Nanos{0};
    }
    const Nanos allowAt = m_tat - m_tolerance;
    return allowAt > now ? allowAt - now : Nanos{0};
}

void GcraLimiter::charge(std::int64_t cost, Nanos now) {
    if (unlimited() || cost <= 0) {
        return;
    }
    if (cost > m_headroom) {
        m_headroom = std::min(cost, m_level.limit);
        recompute();
    }
    // A caller woken a little late may start where it should have: up to its own cost's
    // interval back (within the jitter allowance), so timer lateness does not leak throughput.
    // A TAT that passed longer ago than that means the limiter was idle, not that the caller
    // was late: it starts now, so an idle limiter lets exactly 1 + burst go at once.
    const Nanos own = m_interval * cost;
    const Nanos backdate =
        m_tat >= now - std::max(m_catchUp, own) ? std::min(m_catchUp, own) : Nanos{0};
    m_tat = std::max(m_tat, now - backdate) + own;
}

void GcraLimiter::adjust(std::int64_t delta) {
    if (unlimited() || delta == 0) {
        return;
    }
    m_tat += m_interval * delta;
}

std::int64_t GcraLimiter::available(Nanos now) const {
    if (unlimited()) {
        return std::numeric_limits<std::int64_t>::max();
    }
    if (m_tat - m_tolerance > now) {
        return 0;
    }
    return 1 + (now + m_tolerance - std::max(m_tat, now)) / m_interval;
}

void GcraLimiter::clampAvailable(std::int64_t units, Nanos now) {
    if (unlimited() || units >= available(now)) {
        return;
    }
    // Inverse of available(): `units` left now, and the rest drains at the paced rate.
    m_tat = std::max(m_tat, now + m_tolerance - m_interval * (units - 1));
}

void GcraLimiter::blockUntil(Nanos until) {
    if (unlimited()) {
        return;
    }
    m_tat = std::max(m_tat, until + m_tolerance);
}

} // namespace sluice
