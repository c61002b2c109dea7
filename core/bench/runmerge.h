#pragma once

#include "core/bench/agentslice.h"
#include "core/bench/report/seriescsv.h"
#include "core/bench/runstats.h"
#include "core/metrics/latencyhistogram.h"
#include "core/result.h"

#include <QJsonObject>
#include <QString>

#include <map>
#include <optional>
#include <vector>

namespace sluice {

/// One distributed benchmark run put back together from what its agents published: their
/// hello (who, how many agents in all, which share), their per-second slices and their final
/// summaries. Counters and histograms come from the slices, added up; percentiles are read from
/// the merged histograms, so they are those of every sample pooled, never an average.
///
/// Memory stays bounded: a second's slices are merged into one and turned into a series row
/// once that second is a few seconds old; only the run's totals keep whole histograms.
/// Plain C++; the collector feeds it records in the order they were published.
class RunMerge final {
public:
    /// {"agent": K, "agents": N, "host", "pid", "started_ms", "share", "config"}. The first
    /// hello fixes N; another N, an agent outside 1..N or a second hello for K is an error.
    Result<void> addHello(const QJsonObject& hello);
    /// A slice from an agent that said hello. A sequence gap is counted as lost slices.
    Result<void> addSlice(const AgentSlice& slice);
    /// {"agent": K, "ended_ms", "summary": the agent's own summary.json}.
    Result<void> addDone(const QJsonObject& done);

    /// N from the hellos; 0 before the first.
    int expectedAgents() const { return m_expected; }
    int joined() const { return static_cast<int>(m_agents.size()); }
    int finished() const;
    /// Every expected agent said hello and finished.
    bool complete() const { return m_expected > 0 && finished() == m_expected; }
    /// Slices that never arrived (sequence gaps), over all agents.
    std::int64_t lostSlices() const;

    const RunStats::Counts& counts() const { return m_counts; }
    /// The merged histogram of a metric (ns); nullptr when no agent recorded it.
    const LatencyHistogram* histogram(const QString& metric) const;
    /// The newest closed second's requests sent (live view); nullopt before the first.
    std::optional<std::pair<std::int64_t, double>> lastRow() const;
    /// A closed second: its wall-clock second and its values in RunStats::seriesColumns() order.
    using Row = std::pair<std::int64_t, std::vector<double>>;
    /// The closed seconds after `unixSecond`, oldest first (a live view draws each once).
    std::vector<Row> rowsAfter(std::int64_t unixSecond) const;
    /// Closes every second still taking slices (the run is over: nothing more will come).
    void closeAll();

    /// The run as summary.json (the same format as one `sluice bench`, plus "run_id" and
    /// "agents"). `missing` names why agents are missing, when the run was cut short.
    QJsonObject summary(const QString& runId, const QString& missing = {});
    /// Per-second rows (wall-clock seconds from the earliest agent's start) in the columns of
    /// a single run's timeseries.csv; what slices cannot tell is left empty (NaN).
    SeriesData series();

private:
    struct Agent {
        QJsonObject hello;
        std::optional<QJsonObject> summary;
        double startedMs = 0;
        double endedMs = 0;
        std::int64_t lastSeq = 0;
        std::int64_t lost = 0;
    };
    void closeSecondsBefore(std::int64_t unixSecond);
    static std::vector<double> rowOf(const AgentSlice& merged);

    int m_expected = 0;
    std::map<int, Agent> m_agents;
    RunStats::Counts m_counts;
    std::map<QString, LatencyHistogram> m_hist;
    std::map<std::int64_t, AgentSlice> m_open;          ///< seconds still taking slices
    std::map<std::int64_t, std::vector<double>> m_rows; ///< closed seconds
    std::int64_t m_newest = 0;
};

} // namespace sluice
