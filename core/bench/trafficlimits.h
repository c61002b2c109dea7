#pragma once

#include "core/engine/circuitbreaker.h"
#include "core/engine/clock.h"
#include "core/engine/concurrencylimit.h"
#include "core/engine/retrypolicy.h"
#include "core/net/enginetypes.h"
#include "core/result.h"

#include <QJsonObject>
#include <QStringList>

#include <optional>

namespace sluice {

/// The traffic-control knobs an operator turns while traffic flows (the console's limits
/// panel): rate limits, the concurrency limit and its algorithm, the queue, retries and the
/// breaker. Applied to a running engine at once; the difference between two sets is what a
/// chart marker says.
struct TrafficLimits {
    std::int64_t rpm = 0; ///< requests per minute; 0 = off
    std::int64_t tpm = 0; ///< tokens per minute; 0 = off
    /// Fixed: `maxConcurrency` requests at most (0 = no cap). Adaptive: between
    /// `adaptiveMin` and `maxConcurrency`, starting at `adaptiveInitial`.
    ConcurrencyConfig::Algorithm algorithm = ConcurrencyConfig::Algorithm::Fixed;
    int maxConcurrency = 0;
    int adaptiveMin = 1;
    int adaptiveInitial = 10;
    int queueCapacity = 10000;
    Nanos requestTimeout{0}; ///< a request still queued or running after this ends timed out
    int retries = 0;         ///< attempts after the first
    Nanos retryBaseDelay = std::chrono::milliseconds(500);
    bool breakerEnabled = false;
    double breakerFailureRate = 0.5;
    int breakerMinimumCalls = 10;
    Nanos breakerOpenDuration = std::chrono::seconds(5);
    bool followServerLimits = false; ///< obey the target's rate-limit headers and Retry-After

    friend bool operator==(const TrafficLimits&, const TrafficLimits&) = default;

    bool adaptive() const { return algorithm != ConcurrencyConfig::Algorithm::Fixed; }
    ConcurrencyConfig concurrency() const;
    std::vector<BudgetRule> budgets() const;
    RetryConfig retry() const;
    BreakerConfig breaker() const;
    QueueConfig queue() const;
    /// Writes these limits into an engine configuration.
    void applyTo(EngineConfig& config) const;

    QJsonObject toJson() const;
    /// Applies the fields present in `json`; on error names the field ("limits.rpm"), and
    /// changes nothing.
    Result<void> apply(const QJsonObject& json);
    /// Cross-field checks; on error names the field.
    Result<void> validate() const;
    /// What changed from `before`, one short phrase per knob ("rpm 600 -> 300").
    QStringList changesFrom(const TrafficLimits& before) const;

    static QString algorithmName(ConcurrencyConfig::Algorithm algorithm);
    static std::optional<ConcurrencyConfig::Algorithm> algorithmFromName(const QString& name);
};

} // namespace sluice
