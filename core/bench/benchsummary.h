#pragma once

#include "core/bench/benchprogress.h"
#include "core/bench/runstats.h"
#include "core/bench/scenario.h"
#include "core/bench/stresssearch.h"
#include "core/engine/clock.h"
#include "core/metrics/alerts.h"
#include "core/metrics/latencyhistogram.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <vector>

namespace sluice {

/// What a summary is built from: the run's statistics and the facts only the runner knows.
struct SummaryInput {
    const BenchScenario& scenario;
    const RunStats& stats;
    const StressSearch* stress = nullptr; ///< stress runs only
    std::vector<SloSpec> slos;            ///< the SLOs the run is judged by (effectiveSlos())
    Nanos start{0};                       ///< clock times: the run's start,
    Nanos measureStart{0};                ///< the warm-up's end,
    Nanos end{0};                         ///< the last request's end (or now, while running),
    Nanos offerEnd{0};                    ///< when load stopped being offered (0: not yet)
    Nanos now{0};
    QString endReason;
    bool interrupted = false;
    std::int64_t rateLimited = 0; ///< 429s seen by the engine (every attempt)
    QJsonArray alerts;            ///< alertRow()s
    const std::vector<BenchEvent>& events;
};

/// The whole result of a run as summary.json (see docs/report-format.md).
QJsonObject benchSummary(const SummaryInput& in);

/// An alert raised or cleared, as a row of summary.json's "alerts".
QJsonObject alertRow(const AlertEvent& e);

/// summary.json's "counts" object: the run's totals by end state, with the 429s answered.
QJsonObject countsJson(const RunStats::Counts& c, double rateLimited);

/// One metric's histogram as summary.json's latency_ms entry: count, mean, min, percentiles and
/// max in ms (to the microsecond), and the serialized histogram.
QJsonObject histogramJson(const LatencyHistogram& h);

/// The SLOs judged on the whole run: one summary.json "slo" row each, and the specs that failed.
struct SloVerdict {
    QJsonArray rows;
    QStringList failed;
};
SloVerdict judgeSlos(const std::vector<SloSpec>& slos, const RunStats& stats, bool stress);

} // namespace sluice
