#pragma once

#include "core/engine/clock.h"
#include "core/engine/failure.h"

#include <cstdint>
#include <deque>
#include <optional>

namespace sluice {

struct RetryConfig {
    /// Attempts including the first; 1 = never retry.
    int maxAttempts = 4;
    Nanos baseDelay = std::chrono::milliseconds(500);
    Nanos maxDelay = std::chrono::seconds(30);
    double multiplier = 2.0;
    /// Full jitter spreads retries of many clients that failed together, so they do not come
    /// back as one synchronised wave; decorrelated does the same while growing from the last
    /// delay; None is for tests and for reproducing naive clients.
    enum class Jitter { None, Full, Decorrelated } jitter = Jitter::Full;
    /// Retries may be at most this fraction of first attempts over `budgetWindow`. A retry storm
    /// against a struggling target multiplies its load; the budget caps that multiplication.
    double budgetRatio = 0.1;
    Nanos budgetWindow = std::chrono::seconds(60);
    /// Retries always allowed per window whatever the ratio, so a quiet client can still retry.
    int budgetFloor = 0;
    /// A Retry-After longer than this is not waited for: the request gives up instead.
    Nanos maxRetryAfter = std::chrono::minutes(5);
};

/// Decides whether and when a failed attempt is tried again: exponential backoff with jitter,
/// Retry-After honoured as a floor, and a retry budget shared by all requests so retries cannot
/// amplify an overload. Plain C++ with an injected clock and seed, so decisions are reproducible.
/// Not thread-safe: owned by the engine's thread.
class RetryPolicy {
public:
    RetryPolicy(RetryConfig config, const Clock& clock, std::uint64_t seed);

    /// Every first attempt feeds the budget: retries are allowed in proportion to them.
    void recordFirstAttempt();

    struct Decision {
        bool retry = false;
        /// Wait before the next attempt (0 when not retrying).
        Nanos delay{0};
        /// "retry", "not_retryable", "attempts_exhausted", "retry_after_too_long" or
        /// "budget_exhausted": static strings, for logs and metrics labels.
        const char* reason = "";
    };

    /// `attempt` is the number of attempts made so far (1 after the first failed). `retryAfter`
    /// is what the server asked for; the delay is never below it (exactly, not rounded), even
    /// when that exceeds maxDelay. `prevDelay` is the delay used before this attempt (0 for the
    /// first), the state of decorrelated jitter. A granted retry consumes budget.
    Decision onFailure(Outcome outcome, int attempt, std::optional<Nanos> retryAfter,
                       Nanos prevDelay = Nanos{0});

    /// Live change; the budget history is kept.
    void setConfig(RetryConfig config) { m_config = config; }
    const RetryConfig& config() const { return m_config; }

    /// Retries / first attempts in the current window, for display; 0 with no first attempts.
    double budgetUsed() const;

private:
    // The budget window is kept as a short list of time buckets (about 60 per window), so memory
    // is bounded whatever the rate. An event counts for at least budgetWindow and at most one
    // bucket longer.
    struct Bucket {
        Nanos end;
        std::int64_t firsts = 0;
        std::int64_t retries = 0;
    };
    Bucket& currentBucket();
    void expire();
    bool budgetAllows() const;
    Nanos backoff(int attempt, Nanos prevDelay);
    std::uint64_t nextRandom();
    Nanos uniform(Nanos lo, Nanos hi);

    RetryConfig m_config;
    const Clock& m_clock;
    std::uint64_t m_rng;
    std::deque<Bucket> m_buckets;
    std::int64_t m_firsts = 0;
    std::int64_t m_retries = 0;
};

} // namespace sluice
