#pragma once

#include "core/bench/benchprogress.h"
#include "core/bench/scenario.h"
#include "core/engine/clock.h"
#include "core/metrics/latencyhistogram.h"
#include "core/metrics/requestmetrics.h"
#include "core/metrics/timeseries.h"
#include "core/net/enginetypes.h"
#include "core/net/failurereason.h"

#include <QString>
#include <QStringList>

#include <deque>
#include <map>
#include <utility>
#include <vector>

namespace sluice {

/// What the runner knew about a request when it sent it, needed to count it when it ends.
struct RecordContext {
    bool warmup = false;    ///< meant for before the measurement began: counted, not measured
    bool openLoop = false;  ///< late starts and limits holding requests only exist in open loop
    Nanos lateThreshold{0}; ///< handed over later than this after its intended time: late
    Nanos now{0};           ///< when it ended (for the recent windows)
};

/// How a finished request counted.
struct RecordedRequest {
    bool ok = false;    ///< ended done
    bool error = false; ///< ended neither done nor cancelled
    bool good = false;  ///< done and within every latency SLO (goodput)
};

/// The totals of one closed second, for the alert rules.
struct SecondTotals {
    std::int64_t submitted = 0, rejected = 0, ok = 0, errors = 0;
    std::int64_t attempts = 0, rateLimited = 0; ///< from the engine, this second only

    /// The totals between two snapshots of an engine that serves callers (the gateway, watched
    /// in process or attached): a request turned away (queue full) or timed out in the queue
    /// counts as rejected, only one that failed after admission counts as an error, so the
    /// rejected and failed alerts each say what the tiles show.
    static SecondTotals between(const EngineSnapshot& before, const EngineSnapshot& after);
};

/// The values the alert rules watch (core/metrics/alerts.h), from one closed second: queued,
/// concurrency_ratio, reject_ratio, error_ratio, rate_limited_ratio and breaker_open; a ratio
/// with nothing to divide by is left out.
std::map<QString, double> alertValues(const EngineSnapshot& snap, const SecondTotals& second);

/// Everything a benchmark run counts and measures, bounded whatever its length: totals by end
/// state, one histogram per metric (warm-up excluded), the failure tally, the per-second series
/// and the last 10 s of latencies for the live view. Plain C++: the runner feeds it every ended
/// request and closes a second once a second.
class RunStats final {
public:
    RunStats();

    /// Column names of the series, in order.
    static QStringList seriesColumns();

    /// Totals over the whole run (warm-up included unless the name says measured).
    struct Counts {
        std::int64_t submitted = 0, ended = 0;
        std::int64_t measured = 0, warmup = 0; ///< ended, after / during the warm-up
        std::int64_t done = 0, failed = 0, rejected = 0, timedOut = 0, cancelled = 0;
        std::int64_t retries = 0, lateStarts = 0, dropped = 0;
        std::int64_t heldByLimits = 0; ///< open loop: sent late because our own limits held them
        std::int64_t outputTokens = 0, promptTokens = 0, tokensEstimated = 0; ///< measured, done
        std::int64_t good = 0; ///< measured, done and within every latency SLO
        /// Every end that is neither done nor cancelled.
        std::int64_t errors() const { return failed + rejected + timedOut; }
    };

    /// A request was handed to the engine.
    void submitted();
    /// Counts and measures one ended request; `slos` decide whether it was good.
    RecordedRequest record(const RequestRecord& r, const RequestMetrics& m,
                           const RecordContext& context, const std::vector<SloSpec>& slos);
    /// Closes the current second: appends its series row at `elapsedSeconds` (the engine's
    /// figures from `snap`; the target load columns as given, NaN for none), drops recent values
    /// older than 10 s before `now`, and returns the second's totals.
    SecondTotals closeSecond(const EngineSnapshot& snap, double elapsedSeconds, double targetRate,
                             double targetConcurrency, Nanos now);
    void notePeakInFlight(int inFlight) { m_peakInFlight = std::max(m_peakInFlight, inFlight); }

    const Counts& counts() const { return m_counts; }
    const FailureTally& failures() const { return m_failures; }
    /// The most frequent failure reason so far ("connection refused"), empty if none.
    QString topFailure() const;
    int peakInFlight() const { return m_peakInFlight; }
    const std::map<QString, LatencyHistogram>& histograms() const { return m_hist; }
    const LatencyHistogram* histogram(const QString& metric) const;
    const SeriesRing& series() const { return m_series; }
    /// Fills what the live view shows from the counts, the last series row and the last 10 s
    /// (the runner adds its phase, load and the engine's figures).
    void fillProgress(BenchProgress& p) const;

private:
    // The current second's values, for the series row.
    struct Second {
        std::int64_t ok = 0, errors = 0, late = 0, outputTokens = 0, rejected = 0, submitted = 0;
        std::map<QString, std::int64_t> failureGroups; // terminal failures by reason group
        std::vector<double> ttft, e2e, corrected, itl; // ms
    };

    void countEnd(const RequestRecord& r);
    bool measure(const RequestMetrics& m, bool ok, const std::vector<SloSpec>& slos);

    Counts m_counts;
    FailureTally m_failures;
    int m_peakInFlight = 0;
    std::map<QString, LatencyHistogram> m_hist;
    Second m_second;
    std::int64_t m_lastAttempts = 0, m_lastRateLimited = 0;
    SeriesRing m_series;
    std::deque<std::pair<Nanos, double>> m_recentE2e, m_recentTtft; // last 10 s, ms
};

} // namespace sluice
