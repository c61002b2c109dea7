#include "core/bench/benchsummary.h"

#include <QDateTime>

#include <algorithm>
#include <cmath>
#include <limits>

namespace sluice {

namespace {

QJsonObject throughputJson(const RunStats& stats, double measuredSeconds) {
    const RunStats::Counts& c = stats.counts();
    return {{QStringLiteral("requests_per_s"), c.measured / measuredSeconds},
            {QStringLiteral("ok_per_s"),
             static_cast<double>(c.done - std::min(c.done, c.warmup)) / measuredSeconds},
            {QStringLiteral("goodput_per_s"), c.good / measuredSeconds},
            {QStringLiteral("output_tokens_per_s"), c.outputTokens / measuredSeconds},
            {QStringLiteral("output_tokens"), static_cast<double>(c.outputTokens)},
            {QStringLiteral("prompt_tokens"), static_cast<double>(c.promptTokens)},
            {QStringLiteral("tokens_estimated"), static_cast<double>(c.tokensEstimated)},
            {QStringLiteral("peak_concurrency"), stats.peakInFlight()}};
}

QJsonObject failuresJson(const FailureTally& failures) {
    QJsonArray byReason;
    QJsonObject byGroup;
    std::int64_t failureTotal = 0;
    for (const FailureTally::Entry& e : failures.sorted()) {
        QJsonObject row{{QStringLiteral("reason"), e.reason.key()},
                        {QStringLiteral("label"), e.reason.label()},
                        {QStringLiteral("group"), e.reason.group()},
                        {QStringLiteral("count"), static_cast<double>(e.count)},
                        {QStringLiteral("example"), e.example}};
        if (e.reason.status > 0) {
            row.insert(QStringLiteral("status"), e.reason.status);
        }
        if (!e.reason.type.isEmpty()) {
            row.insert(QStringLiteral("type"), e.reason.type);
        }
        byReason.append(row);
        byGroup.insert(e.reason.group(),
                       byGroup.value(e.reason.group()).toDouble() + static_cast<double>(e.count));
        failureTotal += e.reason.isFailure() ? e.count : 0;
    }
    return {{QStringLiteral("total"), static_cast<double>(failureTotal)},
            {QStringLiteral("by_reason"), byReason},
            {QStringLiteral("by_group"), byGroup}};
}

QJsonObject stressJson(const StressSearch& stress, bool openLoop) {
    QJsonArray steps;
    for (const StressStep& step : stress.steps()) {
        const double seconds = toSeconds(step.end - step.start);
        steps.append(QJsonObject{{QStringLiteral("load"), step.load},
                                 {QStringLiteral("achieved_rps"),
                                  seconds > 0 ? static_cast<double>(step.sent) / seconds : 0},
                                 {QStringLiteral("met"), step.met},
                                 {QStringLiteral("detail"), step.detail}});
    }
    return {
        {QStringLiteral("unit"), openLoop ? QStringLiteral("rps") : QStringLiteral("concurrent")},
        {QStringLiteral("knee"), stress.knee() ? QJsonValue(*stress.knee()) : QJsonValue()},
        {QStringLiteral("steps"), steps}};
}

} // namespace

QJsonObject alertRow(const AlertEvent& e) {
    return {
        {QStringLiteral("t"), toSeconds(e.at)},
        {QStringLiteral("rule"), e.rule},
        {QStringLiteral("severity"), QString::fromLatin1(severityName(e.severity))},
        {QStringLiteral("state"), e.raised ? QStringLiteral("raised") : QStringLiteral("cleared")},
        {QStringLiteral("value"), e.value},
        {QStringLiteral("text"), e.text}};
}

QJsonObject histogramJson(const LatencyHistogram& h) {
    QJsonObject o{{QStringLiteral("count"), static_cast<double>(h.count())}};
    if (h.count() == 0) {
        return o;
    }
    auto v = [](std::int64_t ns) { return std::round(static_cast<double>(ns) / 1e3) / 1e3; };
    o.insert(QStringLiteral("mean"), std::round(h.mean() / 1e3) / 1e3);
    o.insert(QStringLiteral("min"), v(h.min()));
    o.insert(QStringLiteral("p50"), v(h.percentile(50)));
    o.insert(QStringLiteral("p90"), v(h.percentile(90)));
    o.insert(QStringLiteral("p95"), v(h.percentile(95)));
    o.insert(QStringLiteral("p99"), v(h.percentile(99)));
    o.insert(QStringLiteral("p99_9"), v(h.percentile(99.9)));
    o.insert(QStringLiteral("max"), v(h.max()));
    o.insert(QStringLiteral("histogram"), QString::fromStdString(h.serialize()));
    return o;
}

SloVerdict judgeSlos(const std::vector<SloSpec>& slos, const RunStats& stats, bool stress) {
    SloVerdict verdict;
    const RunStats::Counts& c = stats.counts();
    for (const SloSpec& spec : slos) {
        double observed = 0;
        if (spec.isErrorRate()) {
            observed = c.measured > 0 ? static_cast<double>(c.errors()) / c.measured : 0;
        } else {
            const std::optional<Metric> metric = metricNamed(spec.metric);
            const LatencyHistogram* h = metric ? stats.histogram(metricName(*metric)) : nullptr;
            observed = h && h->count() ? static_cast<double>(h->percentile(spec.percentile)) / 1e6
                                       : std::numeric_limits<double>::quiet_NaN();
        }
        const bool met = !std::isnan(observed) && observed < spec.threshold;
        // A stress run breaks its SLOs on purpose past the knee: they judge each step, and the
        // verdict is whether a knee was found.
        if (!met && !stress) {
            verdict.failed.append(spec.text);
        }
        QJsonObject o{{QStringLiteral("spec"), spec.text},
                      {QStringLiteral("default"), spec.isDefault},
                      {QStringLiteral("metric"), spec.metric},
                      {QStringLiteral("threshold"),
                       spec.isErrorRate() ? spec.threshold * 100 : spec.threshold},
                      {QStringLiteral("unit"),
                       spec.isErrorRate() ? QStringLiteral("%") : QStringLiteral("ms")},
                      {QStringLiteral("met"), met}};
        if (!spec.isErrorRate()) {
            o.insert(QStringLiteral("percentile"), spec.percentile);
        }
        if (stress) {
            o.insert(QStringLiteral("scope"), QStringLiteral("whole run, all steps together; each "
                                                             "stress step is judged on its own"));
        }
        o.insert(QStringLiteral("observed"),
                 std::isnan(observed) ? QJsonValue()
                                      : QJsonValue(spec.isErrorRate() ? observed * 100 : observed));
        verdict.rows.append(o);
    }
    return verdict;
}

QJsonObject benchSummary(const SummaryInput& in) {
    const BenchScenario& scenario = in.scenario;
    const RunStats::Counts& c = in.stats.counts();
    const bool stress = scenario.profile.stress;
    const double measuredSeconds =
        std::max(1e-9, toSeconds(in.end - std::min(in.end, std::max(in.start, in.measureStart))));
    QJsonObject latency;
    for (const auto& [metric, h] : in.stats.histograms()) {
        latency.insert(metric, histogramJson(h));
    }
    SloVerdict slo = judgeSlos(in.slos, in.stats, stress);
    QStringList& failed = slo.failed;
    if (c.done == 0 && c.submitted > 0) {
        failed.append(QStringLiteral("no request succeeded"));
    }
    if (in.interrupted) {
        failed.prepend(QStringLiteral("interrupted"));
    }
    QJsonObject summary{
        {QStringLiteral("sluice_report"), 1},
        {QStringLiteral("title"),
         scenario.title.isEmpty() ? scenario.profile.describe() : scenario.title},
        {QStringLiteral("started_at"),
         QDateTime::currentDateTimeUtc()
             .addMSecs(-static_cast<qint64>(toMillis(in.now - in.start)))
             .toString(Qt::ISODate)},
        {QStringLiteral("duration_s"), toSeconds(in.end - in.start)},
        {QStringLiteral("offered_s"),
         toSeconds((in.offerEnd.count() ? in.offerEnd : in.end) - in.start)},
        {QStringLiteral("end_reason"), in.endReason},
        {QStringLiteral("config"), scenario.toJson()},
        {QStringLiteral("counts"), countsJson(c, static_cast<double>(in.rateLimited))},
        {QStringLiteral("throughput"), throughputJson(in.stats, measuredSeconds)},
        {QStringLiteral("latency_ms"), latency},
        {QStringLiteral("definitions"), metricDefinitions()},
        {QStringLiteral("slo"), slo.rows},
        {QStringLiteral("failures"), failuresJson(in.stats.failures())},
        {QStringLiteral("alerts"), in.alerts},
    };
    QJsonArray events;
    for (const BenchEvent& e : in.events) {
        events.append(QJsonObject{{QStringLiteral("t"), e.t},
                                  {QStringLiteral("kind"), e.kind},
                                  {QStringLiteral("text"), e.text}});
    }
    summary.insert(QStringLiteral("events"), events);
    const std::optional<double> knee = in.stress ? in.stress->knee() : std::nullopt;
    if (stress && in.stress) {
        summary.insert(QStringLiteral("stress"),
                       stressJson(*in.stress, scenario.profile.openLoop()));
    }
    if (stress && !knee) {
        failed.append(QStringLiteral("no stress step met the SLOs"));
    }
    // One word for the whole run: passed, failed (an SLO, or nothing succeeded), interrupted,
    // or for stress: knee (found) / no_knee.
    QString outcome = failed.isEmpty() ? QStringLiteral("passed") : QStringLiteral("failed");
    if (in.interrupted) {
        outcome = QStringLiteral("interrupted");
    } else if (stress && failed.isEmpty()) {
        outcome = QStringLiteral("knee");
    } else if (stress && !knee) {
        outcome = QStringLiteral("no_knee");
    }
    summary.insert(QStringLiteral("verdict"),
                   QJsonObject{{QStringLiteral("passed"), failed.isEmpty()},
                               {QStringLiteral("outcome"), outcome},
                               {QStringLiteral("interrupted"), in.interrupted},
                               {QStringLiteral("failed"), QJsonArray::fromStringList(failed)}});
    return summary;
}

QJsonObject countsJson(const RunStats::Counts& c, double rateLimited) {
    return {{QStringLiteral("submitted"), static_cast<double>(c.submitted)},
            {QStringLiteral("done"), static_cast<double>(c.done)},
            {QStringLiteral("failed"), static_cast<double>(c.failed)},
            {QStringLiteral("rejected"), static_cast<double>(c.rejected)},
            {QStringLiteral("timed_out"), static_cast<double>(c.timedOut)},
            {QStringLiteral("cancelled"), static_cast<double>(c.cancelled)},
            {QStringLiteral("retries"), static_cast<double>(c.retries)},
            {QStringLiteral("rate_limited"), rateLimited},
            {QStringLiteral("late_starts"), static_cast<double>(c.lateStarts)},
            {QStringLiteral("held_by_limits"), static_cast<double>(c.heldByLimits)},
            {QStringLiteral("dropped"), static_cast<double>(c.dropped)},
            {QStringLiteral("measured"), static_cast<double>(c.measured)},
            {QStringLiteral("warmup"), static_cast<double>(c.warmup)}};
}

} // namespace sluice
