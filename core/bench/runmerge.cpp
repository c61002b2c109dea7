#include "core/bench/runmerge.h"

#include "core/bench/benchsummary.h"
#include "core/metrics/requestmetrics.h"

#include <QDateTime>
#include <QJsonArray>

#include <cmath>
#include <limits>

namespace sluice {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
// A second is merged into its row once the newest slice is this much younger: agents publish
// within a second of each other, so their slices for it have all arrived by then.
constexpr std::int64_t kCloseAfterSeconds = 3;

Error bad(const QString& field, const QString& message) {
    return Error::invalid(field, message);
}

double number(const QJsonObject& o, const char* key) {
    return o.value(QLatin1String(key)).toDouble();
}

// Failures by reason: rows with the same reason add up.
QJsonObject mergeFailures(const std::vector<QJsonObject>& summaries) {
    std::map<QString, QJsonObject> byReason;
    QJsonObject byGroup;
    double total = 0;
    for (const QJsonObject& s : summaries) {
        const QJsonObject f = s.value(QStringLiteral("failures")).toObject();
        total += number(f, "total");
        const QJsonObject groups = f.value(QStringLiteral("by_group")).toObject();
        for (auto it = groups.begin(); it != groups.end(); ++it) {
            byGroup.insert(it.key(), byGroup.value(it.key()).toDouble() + it.value().toDouble());
        }
        for (const QJsonValue& v : f.value(QStringLiteral("by_reason")).toArray()) {
            const QJsonObject row = v.toObject();
            const QString reason = row.value(QStringLiteral("reason")).toString();
            auto [it, inserted] = byReason.try_emplace(reason, row);
            if (!inserted) {
                it->second.insert(QStringLiteral("count"),
                                  number(it->second, "count") + number(row, "count"));
            }
        }
    }
    std::vector<QJsonObject> rows;
    for (auto& [reason, row] : byReason) {
        rows.push_back(row);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const QJsonObject& a, const QJsonObject& b) {
        return number(a, "count") > number(b, "count");
    });
    QJsonArray array;
    for (const QJsonObject& row : rows) {
        array.append(row);
    }
    return {{QStringLiteral("total"), total},
            {QStringLiteral("by_reason"), array},
            {QStringLiteral("by_group"), byGroup}};
}

} // namespace

Result<void> RunMerge::addHello(const QJsonObject& hello) {
    const int agent = hello.value(QStringLiteral("agent")).toInt(0);
    const int agents = hello.value(QStringLiteral("agents")).toInt(0);
    if (agents < 1 || agents > 10000) {
        return bad(QStringLiteral("hello: agents"), QStringLiteral("must be from 1 to 10000"));
    }
    if (agent < 1 || agent > agents) {
        return bad(QStringLiteral("hello: agent"),
                   QStringLiteral("%1 is not from 1 to %2").arg(agent).arg(agents));
    }
    if (m_expected != 0 && agents != m_expected) {
        return bad(QStringLiteral("hello: agents"),
                   QStringLiteral("agent %1 says %2 agents, an earlier one said %3 (use the same "
                                  "--agents on every agent)")
                       .arg(agent)
                       .arg(agents)
                       .arg(m_expected));
    }
    if (m_agents.count(agent)) {
        return bad(QStringLiteral("hello: agent"),
                   QStringLiteral("agent %1 joined twice (two agents with the same "
                                  "--agent-index?)")
                       .arg(agent));
    }
    m_expected = agents;
    Agent a;
    a.hello = hello;
    a.startedMs = number(hello, "started_ms");
    m_agents.emplace(agent, std::move(a));
    return {};
}

Result<void> RunMerge::addSlice(const AgentSlice& slice) {
    const auto it = m_agents.find(slice.agent);
    if (it == m_agents.end()) {
        return bad(QStringLiteral("slice: agent"),
                   QStringLiteral("agent %1 sent a slice before its hello").arg(slice.agent));
    }
    Agent& a = it->second;
    if (slice.seq <= a.lastSeq) {
        return bad(QStringLiteral("slice: seq"), QStringLiteral("agent %1 sent slice %2 after %3")
                                                     .arg(slice.agent)
                                                     .arg(slice.seq)
                                                     .arg(a.lastSeq));
    }
    a.lost += slice.seq - a.lastSeq - 1;
    a.lastSeq = slice.seq;
    AgentSlice totals;
    totals.histograms.swap(m_hist);
    totals.counts = m_counts;
    const Result<void> added = totals.add(slice);
    m_hist.swap(totals.histograms);
    if (!added) {
        return added.error();
    }
    m_counts = totals.counts;

    const auto row = m_rows.find(slice.unixSecond);
    if (row != m_rows.end()) {
        // Late for its second's row: the totals have it; the row gets its counts.
        AgentSlice countsOnly = slice;
        countsOnly.histograms.clear();
        const std::vector<double> extra = rowOf(countsOnly);
        for (std::size_t i = 0; i < extra.size(); ++i) {
            if (!std::isnan(extra[i]) && !std::isnan(row->second[i])) {
                row->second[i] += extra[i];
            }
        }
    } else if (auto [open, inserted] = m_open.try_emplace(slice.unixSecond, slice); !inserted) {
        if (auto merged = open->second.add(slice); !merged) {
            return merged.error();
        }
    }
    m_newest = std::max(m_newest, slice.unixSecond);
    closeSecondsBefore(m_newest - kCloseAfterSeconds);
    return {};
}

Result<void> RunMerge::addDone(const QJsonObject& done) {
    const int agent = done.value(QStringLiteral("agent")).toInt(0);
    const auto it = m_agents.find(agent);
    if (it == m_agents.end()) {
        return bad(QStringLiteral("done: agent"),
                   QStringLiteral("agent %1 finished without a hello").arg(agent));
    }
    const QJsonValue summary = done.value(QStringLiteral("summary"));
    if (!summary.isObject() || !summary.toObject().contains(QStringLiteral("counts"))) {
        return bad(QStringLiteral("done: summary"),
                   QStringLiteral("agent %1's summary is missing or not a summary").arg(agent));
    }
    it->second.summary = summary.toObject();
    it->second.endedMs = number(done, "ended_ms");
    return {};
}

int RunMerge::finished() const {
    int n = 0;
    for (const auto& [k, a] : m_agents) {
        n += a.summary ? 1 : 0;
    }
    return n;
}

std::int64_t RunMerge::lostSlices() const {
    std::int64_t n = 0;
    for (const auto& [k, a] : m_agents) {
        n += a.lost;
    }
    return n;
}

const LatencyHistogram* RunMerge::histogram(const QString& metric) const {
    const auto it = m_hist.find(metric);
    return it == m_hist.end() ? nullptr : &it->second;
}

std::optional<std::pair<std::int64_t, double>> RunMerge::lastRow() const {
    if (m_rows.empty()) {
        return std::nullopt;
    }
    const auto& [second, row] = *m_rows.rbegin();
    return std::pair<std::int64_t, double>{second, row.front()};
}

std::vector<RunMerge::Row> RunMerge::rowsAfter(std::int64_t unixSecond) const {
    std::vector<Row> rows;
    for (auto it = m_rows.upper_bound(unixSecond); it != m_rows.end(); ++it) {
        rows.emplace_back(it->first, it->second);
    }
    return rows;
}

void RunMerge::closeAll() {
    closeSecondsBefore(std::numeric_limits<std::int64_t>::max());
}

std::vector<double> RunMerge::rowOf(const AgentSlice& s) {
    const auto p = [&s](const char* metric, double q) {
        const auto it = s.histograms.find(QLatin1String(metric));
        return it == s.histograms.end() || it->second.count() == 0
                   ? kNan
                   : static_cast<double>(it->second.percentile(q)) / 1e6;
    };
    const RunStats::Counts& c = s.counts;
    // The columns of RunStats::seriesColumns(), in order.
    std::vector<double> row{static_cast<double>(c.submitted),
                            static_cast<double>(c.done),
                            static_cast<double>(c.errors()),
                            kNan, // rate_limited_rps: the engine's, not in slices
                            static_cast<double>(s.inFlight),
                            kNan, // limit
                            kNan, // queued
                            kNan, // target_rate
                            kNan, // target_concurrency
                            p("ttft", 50),
                            p("ttft", 99),
                            p("e2e", 50),
                            p("e2e", 95),
                            p("e2e", 99),
                            p("corrected", 99),
                            p("itl", 50),
                            static_cast<double>(c.outputTokens),
                            static_cast<double>(c.lateStarts)};
    row.resize(static_cast<std::size_t>(RunStats::seriesColumns().size()), kNan);
    return row;
}

void RunMerge::closeSecondsBefore(std::int64_t unixSecond) {
    while (!m_open.empty() && m_open.begin()->first < unixSecond) {
        m_rows.emplace(m_open.begin()->first, rowOf(m_open.begin()->second));
        m_open.erase(m_open.begin());
    }
}

SeriesData RunMerge::series() {
    closeAll();
    SeriesData data;
    data.columns = QStringList{QStringLiteral("t_s")} + RunStats::seriesColumns();
    double startMs = std::numeric_limits<double>::max();
    for (const auto& [k, a] : m_agents) {
        startMs = std::min(startMs, a.startedMs);
    }
    for (const auto& [second, values] : m_rows) {
        std::vector<double> row{std::round(static_cast<double>(second) - startMs / 1e3)};
        row.insert(row.end(), values.begin(), values.end());
        data.rows.push_back(std::move(row));
    }
    return data;
}

QJsonObject RunMerge::summary(const QString& runId, const QString& missing) {
    std::vector<QJsonObject> summaries;
    double startMs = std::numeric_limits<double>::max();
    double endMs = 0;
    double rateLimited = 0;
    QJsonObject throughput;
    double peak = 0;
    bool interrupted = false;
    QJsonArray agents;
    QJsonArray alerts;
    QJsonArray events;
    QStringList endReasons;
    for (const auto& [k, a] : m_agents) {
        startMs = std::min(startMs, a.startedMs);
        endMs = std::max(endMs, a.endedMs);
        QJsonObject row{{QStringLiteral("agent"), k},
                        {QStringLiteral("host"), a.hello.value(QStringLiteral("host"))},
                        {QStringLiteral("pid"), a.hello.value(QStringLiteral("pid"))},
                        {QStringLiteral("share"), a.hello.value(QStringLiteral("share"))},
                        {QStringLiteral("finished"), a.summary.has_value()},
                        {QStringLiteral("started_ms"), a.startedMs},
                        {QStringLiteral("ended_ms"), a.endedMs},
                        {QStringLiteral("lost_slices"), static_cast<double>(a.lost)}};
        if (a.summary) {
            const QJsonObject& s = *a.summary;
            summaries.push_back(s);
            const QJsonObject t = s.value(QStringLiteral("throughput")).toObject();
            for (const char* key :
                 {"requests_per_s", "ok_per_s", "goodput_per_s", "output_tokens_per_s"}) {
                // Agents run side by side: their rates add up.
                throughput.insert(QLatin1String(key), number(throughput, key) + number(t, key));
            }
            peak += number(t, "peak_concurrency");
            rateLimited += number(s.value(QStringLiteral("counts")).toObject(), "rate_limited");
            const QJsonObject verdict = s.value(QStringLiteral("verdict")).toObject();
            interrupted = interrupted || verdict.value(QStringLiteral("interrupted")).toBool();
            const QString reason = s.value(QStringLiteral("end_reason")).toString();
            if (!endReasons.contains(reason)) {
                endReasons.append(reason);
            }
            const double offset = (a.startedMs - startMs) / 1e3;
            for (const QJsonValue& v : s.value(QStringLiteral("alerts")).toArray()) {
                QJsonObject alert = v.toObject();
                alert.insert(QStringLiteral("agent"), k);
                alerts.append(alert);
            }
            for (const QJsonValue& v : s.value(QStringLiteral("events")).toArray()) {
                QJsonObject e = v.toObject();
                e.insert(QStringLiteral("t"), number(e, "t") + offset);
                e.insert(QStringLiteral("text"),
                         QStringLiteral("agent %1: %2")
                             .arg(k)
                             .arg(e.value(QStringLiteral("text")).toString()));
                events.append(e);
            }
            row.insert(QStringLiteral("requests_per_s"), number(t, "requests_per_s"));
            row.insert(QStringLiteral("counts"), s.value(QStringLiteral("counts")));
        }
        agents.append(row);
    }
    if (m_agents.empty()) {
        startMs = endMs = 0;
    }
    const RunStats::Counts& c = m_counts;
    throughput.insert(QStringLiteral("output_tokens"), static_cast<double>(c.outputTokens));
    throughput.insert(QStringLiteral("prompt_tokens"), static_cast<double>(c.promptTokens));
    throughput.insert(QStringLiteral("tokens_estimated"), static_cast<double>(c.tokensEstimated));
    // At most: each agent's peak, added, although they need not have peaked together.
    throughput.insert(QStringLiteral("peak_concurrency"), peak);

    QJsonObject latency;
    for (const auto& [metric, h] : m_hist) {
        latency.insert(metric, histogramJson(h));
    }
    // The SLOs are the first agent's (every agent runs the same scenario), judged again on
    // the merged counts and histograms.
    const QJsonObject first = summaries.empty() ? QJsonObject() : summaries.front();
    // The whole run's title and scenario, as every agent was given them.
    const QJsonObject hello = m_agents.empty() ? QJsonObject() : m_agents.begin()->second.hello;
    QJsonArray slo;
    QStringList failed;
    for (const QJsonValue& v : first.value(QStringLiteral("slo")).toArray()) {
        QJsonObject row = v.toObject();
        double observed = kNan;
        if (row.value(QStringLiteral("unit")).toString() == QLatin1String("%")) {
            observed = c.measured > 0 ? 100.0 * static_cast<double>(c.errors()) /
                                            static_cast<double>(c.measured)
                                      : 0;
        } else if (const auto metric =
                       metricNamed(row.value(QStringLiteral("metric")).toString())) {
            const LatencyHistogram* h = histogram(metricName(*metric));
            if (h && h->count() > 0) {
                observed = static_cast<double>(h->percentile(number(row, "percentile"))) / 1e6;
            }
        }
        const bool met = !std::isnan(observed) && observed < number(row, "threshold");
        row.insert(QStringLiteral("met"), met);
        row.insert(QStringLiteral("observed"), std::isnan(observed) ? QJsonValue() : observed);
        if (!met) {
            failed.append(row.value(QStringLiteral("spec")).toString());
        }
        slo.append(row);
    }
    if (c.done == 0 && c.submitted > 0) {
        failed.append(QStringLiteral("no request succeeded"));
    }
    if (!missing.isEmpty()) {
        failed.prepend(missing);
    }
    if (interrupted) {
        failed.prepend(QStringLiteral("interrupted"));
    }
    const QString outcome = interrupted        ? QStringLiteral("interrupted")
                            : failed.isEmpty() ? QStringLiteral("passed")
                                               : QStringLiteral("failed");
    QJsonObject summary{
        {QStringLiteral("sluice_report"), 1},
        {QStringLiteral("run_id"), runId},
        {QStringLiteral("title"), hello.value(QStringLiteral("title")).toString() +
                                      QStringLiteral(" (%1 agents)").arg(m_agents.size())},
        {QStringLiteral("started_at"),
         QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(startMs), Qt::UTC)
             .toString(Qt::ISODate)},
        {QStringLiteral("duration_s"), (endMs - startMs) / 1e3},
        {QStringLiteral("offered_s"), (endMs - startMs) / 1e3},
        {QStringLiteral("end_reason"), endReasons.join(QStringLiteral("; "))},
        {QStringLiteral("config"), hello.value(QStringLiteral("config"))},
        {QStringLiteral("counts"), countsJson(c, rateLimited)},
        {QStringLiteral("throughput"), throughput},
        {QStringLiteral("latency_ms"), latency},
        {QStringLiteral("definitions"), metricDefinitions()},
        {QStringLiteral("slo"), slo},
        {QStringLiteral("failures"), mergeFailures(summaries)},
        {QStringLiteral("alerts"), alerts},
        {QStringLiteral("events"), events},
        {QStringLiteral("agents"), agents},
        {QStringLiteral("verdict"),
         QJsonObject{{QStringLiteral("passed"), failed.isEmpty()},
                     {QStringLiteral("outcome"), outcome},
                     {QStringLiteral("interrupted"), interrupted},
                     {QStringLiteral("failed"), QJsonArray::fromStringList(failed)}}},
    };
    return summary;
}

} // namespace sluice
