#include "core/engine/retrypolicy.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sluice {

namespace {
constexpr std::int64_t kBucketsPerWindow = 60;
// Slack for ratio * firsts computed in floating point (0.1 * 100 must allow exactly 10).
constexpr double kBudgetEpsilon = 1e-9;

Nanos budgetWindowOf(const RetryConfig& c) {
    return std::max(c.budgetWindow, Nanos{1});
}

Nanos bucketWidthOf(const RetryConfig& c) {
    return std::max(budgetWindowOf(c) / kBucketsPerWindow, Nanos{1});
}

Nanos floorTo(Nanos t, Nanos step) {
    const std::int64_t q = t.count() / step.count();
    const std::int64_t r = t.count() % step.count();
    return step * (r < 0 ? q - 1 : q);
}
} // namespace

RetryPolicy::RetryPolicy(RetryConfig config, const Clock& clock, std::uint64_t seed)
    : m_config(config)
    , m_clock(clock)
    , m_rng(seed) {}

void RetryPolicy::recordFirstAttempt() {
    Bucket& b = currentBucket();
    ++b.firsts;
    ++m_firsts;
}

RetryPolicy::Decision RetryPolicy::onFailure(Outcome outcome, int attempt,
                                             std::optional<Nanos> retryAfter, Nanos prevDelay) {
    Decision d;
    if (!isRetryable(outcome)) {
        d.reason = "not_retryable";
        return d;
    }
    if (attempt >= m_config.maxAttempts) {
        d.reason = "attempts_exhausted";
        return d;
    }
    const Nanos floor = std::max(retryAfter.value_or(Nanos{0}), Nanos{0});
    if (floor > m_config.maxRetryAfter) {
        d.reason = "retry_after_too_long";
        return d;
    }
    expire();
    if (!budgetAllows()) {
        d.reason = "budget_exhausted";
        return d;
    }
    Bucket& b = currentBucket();
    ++b.retries;
    ++m_retries;
    d.retry = true;
    d.reason = "retry";
    d.delay = std::max(backoff(attempt, prevDelay), floor);
    return d;
}

double RetryPolicy::budgetUsed() const {
    const Nanos now = m_clock.now();
    const Nanos window = budgetWindowOf(m_config);
    std::int64_t firsts = 0;
    std::int64_t retries = 0;
    for (const Bucket& b : m_buckets) {
        if (b.end + window > now) {
            firsts += b.firsts;
            retries += b.retries;
        }
    }
    return firsts == 0 ? 0.0 : static_cast<double>(retries) / static_cast<double>(firsts);
}

RetryPolicy::Bucket& RetryPolicy::currentBucket() {
    expire();
    const Nanos now = m_clock.now();
    if (m_buckets.empty() || now >= m_buckets.back().end) {
        const Nanos width = bucketWidthOf(m_config);
        m_buckets.push_back(Bucket{floorTo(now, width) + width});
    }
    return m_buckets.back();
}

void RetryPolicy::expire() {
    // A bucket leaves once a full window has passed since its end, so no event is forgotten
    // before budgetWindow.
    const Nanos now = m_clock.now();
    const Nanos window = budgetWindowOf(m_config);
    while (!m_buckets.empty() && m_buckets.front().end + window <= now) {
        m_firsts -= m_buckets.front().firsts;
        m_retries -= m_buckets.front().retries;
        m_buckets.pop_front();
    }
}

bool RetryPolicy::budgetAllows() const {
    const double byRatio = std::max(0.0, m_config.budgetRatio) * static_cast<double>(m_firsts);
    const double allowed = std::max(static_cast<double>(m_config.budgetFloor), byRatio);
    return static_cast<double>(m_retries + 1) <= allowed + kBudgetEpsilon;
}

Nanos RetryPolicy::backoff(int attempt, Nanos prevDelay) {
    const Nanos maxDelay = std::max(m_config.maxDelay, Nanos{0});
    const Nanos base = std::clamp(m_config.baseDelay, Nanos{0}, maxDelay);
    switch (m_config.jitter) {
    case RetryConfig::Jitter::Decorrelated: {
        // AWS "decorrelated jitter": sleep = min(cap, random(base, prev * 3)), starting at base.
        constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
        const std::int64_t prev = std::max(prevDelay, base).count();
        const Nanos hi{prev > kMax / 3 ? kMax : prev * 3};
        return std::min(maxDelay, uniform(base, hi));
    }
    case RetryConfig::Jitter::None:
    case RetryConfig::Jitter::Full: {
        const double exponent = std::max(0, attempt - 1);
        const double grown =
            static_cast<double>(base.count()) * std::pow(m_config.multiplier, exponent);
        // Compared in floating point first: the exponential overflows int64 after a few dozen
        // attempts with a large multiplier.
        const Nanos cap = !(grown < static_cast<double>(maxDelay.count()))
                              ? maxDelay
                              : Nanos{static_cast<std::int64_t>(grown)};
        if (m_config.jitter == RetryConfig::Jitter::None) {
            return cap;
        }
        return uniform(Nanos{0}, std::max(cap, Nanos{0}));
    }
    }
    return base;
}

std::uint64_t RetryPolicy::nextRandom() {
    // SplitMix64: tiny, fast, statistically sound, and identical everywhere for a given seed.
    std::uint64_t z = (m_rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

Nanos RetryPolicy::uniform(Nanos lo, Nanos hi) {
    if (hi <= lo) {
        return lo;
    }
    // Uniform on [lo, hi] inclusive, without modulo bias: reject the few draws below
    // 2^64 mod n, so every residue is equally likely.
    const std::uint64_t n = static_cast<std::uint64_t>(hi.count() - lo.count()) + 1;
    const std::uint64_t threshold = (0 - n) % n;
    std::uint64_t x = nextRandom();
    while (x < threshold) {
        x = nextRandom();
    }
    return lo + Nanos{static_cast<std::int64_t>(x % n)};
}

} // namespace sluice
