#pragma once

#include "core/engine/clock.h"

#include <cstdint>
#include <deque>
#include <vector>

namespace sluice {

/// How the concurrency limit is chosen.
struct ConcurrencyConfig {
    enum class Algorithm {
        Fixed,    ///< always `initial`
        Aimd,     ///< additive increase, multiplicative decrease on loss (and optionally latency)
        Gradient, ///< latency gradient against a robust baseline
        Combined, ///< gradient on latency, plus a multiplicative cut on loss (the default)
    };
    Algorithm algorithm = Algorithm::Combined;
    int initial = 10;
    int min = 1;
    int max = 1000;
    bool slowStart = true; ///< double every window until the first sign of congestion

    /// Evaluation window: at least this long and at least `minSamples` completions.
    Nanos window = std::chrono::milliseconds(500);
    int minSamples = 20;

    // AIMD. Per window: success = ok / (ok + congestion signals). Raise by `increase` when
    // success >= raiseAtSuccess (and p-latency <= latencyHigh when set); cut by `backoff` when
    // success < cutBelowSuccess or latency > latencyHigh. The seed's rule is raiseAtSuccess
    // 0.95, cutBelowSuccess 0.8, latencyHigh set.
    int increase = 1;
    double backoff = 0.9;
    double raiseAtSuccess = 1.0;
    double cutBelowSuccess = 1.0;
    Nanos latencyHigh{0};

    // Gradient. The window's latency (mean of its fastest 90%) is compared with a baseline: a
    // low percentile (baselinePercentile) of the window latencies of the last `baselineWindows`
    // windows, so one lucky sample cannot collapse it and it follows a real change in service
    // speed. The limit is never cut to probe the baseline.
    double tolerance = 1.03;         ///< latency ratio accepted as noise
    double baselinePercentile = 0.1; ///< of past window medians
    int baselineWindows = 60;
    double smoothing = 0.5; ///< weight of the new estimate
    int queueAllowance = 1; ///< growth per window while latency is flat (after slow start)

    friend bool operator==(const ConcurrencyConfig&, const ConcurrencyConfig&) = default;
};

const char* algorithmName(ConcurrencyConfig::Algorithm a);

/// Decides the concurrency limit from completed requests. Plain C++, injected clock. Samples
/// from requests started before the last change are ignored: they measured the old limit.
class ConcurrencyLimit {
public:
    explicit ConcurrencyLimit(ConcurrencyConfig config, const Clock& clock);

    int limit() const { return m_limit; }
    /// A completed request: when it started, its latency signal (time to first token for
    /// streams, end to end otherwise), and whether it ended in a congestion signal (429, 503,
    /// 529, timeout), and how many requests were in flight (-1 = unknown). The limit only grows
    /// in windows where at least half of it was in use: an idle limit learns nothing.
    /// Returns true when the limit changed.
    bool onSample(Nanos startedAt, Nanos latency, bool congestion, int inFlight = -1);
    /// Live change; `initial` is applied only when the algorithm changes or it is fixed.
    void setConfig(ConcurrencyConfig config);
    const ConcurrencyConfig& config() const { return m_config; }

    Nanos baseline() const { return m_baseline; }
    Nanos lastWindowLatency() const { return m_lastMedian; }
    bool inSlowStart() const { return m_slowStart; }
    std::int64_t changes() const { return m_changes; }

private:
    bool evaluate(Nanos now);
    bool setLimit(double value, Nanos now);

    ConcurrencyConfig m_config;
    const Clock& m_clock;
    double m_estimate;
    int m_limit;
    bool m_slowStart;
    Nanos m_windowStart;
    Nanos m_lastChange;
    std::vector<std::int64_t> m_latencies; // this window's, in ns
    int m_ok = 0;
    int m_congestion = 0;
    int m_windowInFlight = -1;          // most in flight seen this window
    std::deque<std::int64_t> m_medians; // past window medians
    Nanos m_baseline{0};
    Nanos m_lastMedian{0};
    std::int64_t m_changes = 0;
};

} // namespace sluice
