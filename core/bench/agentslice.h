#pragma once

#include "core/bench/runstats.h"
#include "core/metrics/latencyhistogram.h"
#include "core/result.h"

#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <map>

namespace sluice {

/// What one benchmark agent measured during one second of wall-clock time: its counters'
/// increase and the slice of each latency histogram recorded in that second. Slices of every
/// agent merge by addition into the run's totals: histogram buckets add exactly, so merged
/// percentiles are those of all samples pooled (to the histogram's precision), never averages.
///
/// Plain value type; JSON on the wire (see docs/agents.md), histograms in their serialized
/// text form.
struct AgentSlice {
    int agent = 0;               ///< 1..agents
    std::int64_t seq = 0;        ///< 1, 2, ... per agent: a gap means a lost slice
    std::int64_t unixSecond = 0; ///< the wall-clock second it closes (UTC, seconds since 1970)
    RunStats::Counts counts;     ///< increase of each counter during the slice
    std::int64_t inFlight = 0;   ///< requests out when the slice closed
    std::map<QString, LatencyHistogram> histograms; ///< metric name -> values (ns) of the slice

    /// The slice between two readings of an agent's statistics; fails when `later` is not a
    /// continuation of `earlier` (a counter or histogram went down).
    static Result<AgentSlice> between(const RunStats::Counts& earlier,
                                      const std::map<QString, LatencyHistogram>& earlierHist,
                                      const RunStats::Counts& later,
                                      const std::map<QString, LatencyHistogram>& laterHist);

    QJsonObject toJson() const;
    /// The error names the field ("slice: histograms.e2e: not a histogram").
    static Result<AgentSlice> fromJson(const QJsonObject& o);

    /// Adds another slice's counters and histograms (its agent, seq and second are ignored).
    /// Fails only when a histogram's layout differs.
    Result<void> add(const AgentSlice& other);
};

/// Adds `b`'s counters to `a`'s.
void addCounts(RunStats::Counts& a, const RunStats::Counts& b);

} // namespace sluice
