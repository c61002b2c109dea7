#include "core/bench/runstats.h"

#include "core/metrics/percentile.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sluice {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// The series' failure columns, by reason group.
constexpr const char* kFailureGroups[] = {"network",  "timeout",   "http_4xx", "http_5xx",
                                          "provider", "malformed", "local"};

std::vector<double> valuesOf(const std::deque<std::pair<Nanos, double>>& recent) {
    std::vector<double> values;
    values.reserve(recent.size());
    for (const auto& [at, v] : recent) {
        values.push_back(v);
    }
    return values;
}

void dropOlderThan(std::deque<std::pair<Nanos, double>>& recent, Nanos cutoff) {
    while (!recent.empty() && recent.front().first < cutoff) {
        recent.pop_front();
    }
}

} // namespace

RunStats::RunStats()
    : m_series(seriesColumns()) {
    for (const MetricInfo& metric : metricTable()) {
        m_hist.emplace(QString::fromLatin1(metric.name), LatencyHistogram());
    }
}

QStringList RunStats::seriesColumns() {
    return {QStringLiteral("sent_rps"),
            QStringLiteral("ok_rps"),
            QStringLiteral("error_rps"),
            QStringLiteral("rate_limited_rps"),
            QStringLiteral("in_flight"),
            QStringLiteral("limit"),
            QStringLiteral("queued"),
            QStringLiteral("target_rate"),
            QStringLiteral("target_concurrency"),
            QStringLiteral("ttft_p50_ms"),
            QStringLiteral("ttft_p99_ms"),
            QStringLiteral("e2e_p50_ms"),
            QStringLiteral("e2e_p95_ms"),
            QStringLiteral("e2e_p99_ms"),
            QStringLiteral("corrected_p99_ms"),
            QStringLiteral("itl_p50_ms"),
            QStringLiteral("output_tokens_per_s"),
            QStringLiteral("late_starts"),
            QStringLiteral("fail_network"),
            QStringLiteral("fail_timeout"),
            QStringLiteral("fail_http_4xx"),
            QStringLiteral("fail_http_5xx"),
            QStringLiteral("fail_provider"),
            QStringLiteral("fail_malformed"),
            QStringLiteral("fail_local")};
}

void RunStats::submitted() {
    ++m_counts.submitted;
    ++m_second.submitted;
}

void RunStats::countEnd(const RequestRecord& r) {
    ++m_counts.ended;
    switch (r.state) {
    case RequestState::Done:
        ++m_counts.done;
        break;
    case RequestState::Failed:
        ++m_counts.failed;
        break;
    case RequestState::Rejected:
        ++m_counts.rejected;
        ++m_counts.dropped;
        ++m_second.rejected;
        break;
    case RequestState::TimedOut:
        ++m_counts.timedOut;
        m_counts.dropped += r.attempts == 0 ? 1 : 0;
        break;
    default:
        ++m_counts.cancelled;
        break;
    }
    m_counts.retries += std::max(0, r.attempts - 1);
}

RecordedRequest RunStats::record(const RequestRecord& r, const RequestMetrics& m,
                                 const RecordContext& context, const std::vector<SloSpec>& slos) {
    countEnd(r);
    RecordedRequest result;
    result.ok = r.state == RequestState::Done;
    result.error = !result.ok && r.state != RequestState::Cancelled;
    if (!result.ok) {
        m_failures.add(r.failure, r.reason);
        if (result.error) {
            ++m_second.failureGroups[r.failure.group()];
        }
    }
    // Late: the schedule itself handed the request over late (the client could not keep up).
    // Held: handed over on time, then our own limits (rate, concurrency) kept it back.
    const bool late = context.openLoop && r.submittedAt - m.intendedAt > context.lateThreshold;
    const bool held =
        context.openLoop && r.attempts > 0 && r.firstSentAt - r.submittedAt > context.lateThreshold;
    m_counts.lateStarts += late ? 1 : 0;
    m_counts.heldByLimits += held ? 1 : 0;
    m_second.late += late ? 1 : 0;
    m_second.ok += result.ok ? 1 : 0;
    m_second.errors += result.error ? 1 : 0;

    result.good = result.ok;
    if (!context.warmup) {
        result.good = measure(m, result.ok, slos);
    } else {
        ++m_counts.warmup;
    }
    if (result.ok) {
        m_second.outputTokens += m.outputTokens;
        if (m.ttft) {
            m_second.ttft.push_back(toMillis(*m.ttft));
            m_recentTtft.emplace_back(context.now, toMillis(*m.ttft));
        }
        if (m.e2e) {
            m_second.e2e.push_back(toMillis(*m.e2e));
            m_recentE2e.emplace_back(context.now, toMillis(*m.e2e));
        }
        for (const Nanos gap : m.itl) {
            m_second.itl.push_back(toMillis(gap));
        }
    }
    if (m.correctedLatency && r.attempts > 0) {
        m_second.corrected.push_back(toMillis(*m.correctedLatency));
    }
    return result;
}

// Adds a measured (not warm-up) request to the histograms and totals; returns whether it was
// good: done and within every latency SLO.
bool RunStats::measure(const RequestMetrics& m, bool ok, const std::vector<SloSpec>& slos) {
    ++m_counts.measured;
    forEachSample(
        m, [this](Metric metric, Nanos v) { m_hist.at(metricName(metric)).record(v.count()); });
    if (ok) {
        m_counts.outputTokens += m.outputTokens;
        m_counts.promptTokens += m.promptTokens;
        m_counts.tokensEstimated += m.tokensEstimated ? 1 : 0;
    }
    bool good = ok;
    for (const SloSpec& slo : slos) {
        if (!slo.isErrorRate()) {
            const double v = metricValue(m, slo.metric);
            good = good && !(v >= slo.threshold);
        }
    }
    m_counts.good += good ? 1 : 0;
    return good;
}

SecondTotals RunStats::closeSecond(const EngineSnapshot& snap, double elapsedSeconds,
                                   double targetRate, double targetConcurrency, Nanos now) {
    notePeakInFlight(snap.inFlight);
    double t = std::floor(elapsedSeconds + 1e-6);
    if (m_series.size() > 0 && t <= m_series.time(m_series.size() - 1)) {
        t = m_series.time(m_series.size() - 1) + 1; // the last, partial second
    }
    const double nan = SeriesRing::missing();
    std::vector<double> row{
        static_cast<double>(snap.attempts - m_lastAttempts),
        static_cast<double>(m_second.ok),
        static_cast<double>(m_second.errors),
        static_cast<double>(snap.rateLimited - m_lastRateLimited),
        static_cast<double>(snap.inFlight),
        snap.limit >= 100000 ? nan : static_cast<double>(snap.limit),
        static_cast<double>(snap.queued),
        targetRate,
        targetConcurrency,
        percentile(m_second.ttft, 0.50, kNan),
        percentile(m_second.ttft, 0.99, kNan),
        percentile(m_second.e2e, 0.50, kNan),
        percentile(m_second.e2e, 0.95, kNan),
        percentile(m_second.e2e, 0.99, kNan),
        percentile(m_second.corrected, 0.99, kNan),
        percentile(m_second.itl, 0.50, kNan),
        static_cast<double>(m_second.outputTokens),
        static_cast<double>(m_second.late),
    };
    for (const char* group : kFailureGroups) {
        const auto it = m_second.failureGroups.find(QLatin1String(group));
        row.push_back(it == m_second.failureGroups.end() ? 0.0 : static_cast<double>(it->second));
    }
    m_series.append(t, std::move(row));

    const SecondTotals totals{m_second.submitted,
                              m_second.rejected,
                              m_second.ok,
                              m_second.errors,
                              snap.attempts - m_lastAttempts,
                              snap.rateLimited - m_lastRateLimited};
    m_lastAttempts = snap.attempts;
    m_lastRateLimited = snap.rateLimited;
    m_second = Second{};
    dropOlderThan(m_recentE2e, now - std::chrono::seconds(10));
    dropOlderThan(m_recentTtft, now - std::chrono::seconds(10));
    return totals;
}

QString RunStats::topFailure() const {
    for (const FailureTally::Entry& e : m_failures.sorted()) {
        if (e.reason.isFailure()) {
            return e.reason.label();
        }
    }
    return {};
}

const LatencyHistogram* RunStats::histogram(const QString& metric) const {
    const auto it = m_hist.find(metric);
    return it == m_hist.end() ? nullptr : &it->second;
}

void RunStats::fillProgress(BenchProgress& p) const {
    const std::size_t last = m_series.size() - 1;
    p.sentPerSecond = m_series.value(last, 0);
    p.okPerSecond = m_series.value(last, 1);
    p.outputTokensPerSecond =
        m_series.value(last, m_series.column(QStringLiteral("output_tokens_per_s")));
    p.submitted = m_counts.submitted;
    p.ok = m_counts.done;
    p.errors = m_counts.errors();
    p.lateStarts = m_counts.lateStarts;
    p.topFailure = topFailure();
    std::vector<double> e2e = valuesOf(m_recentE2e);
    std::vector<double> ttft = valuesOf(m_recentTtft);
    p.e2eP50 = percentile(e2e, 0.50, kNan);
    p.e2eP95 = percentile(e2e, 0.95, kNan);
    p.e2eP99 = percentile(e2e, 0.99, kNan);
    p.ttftP50 = percentile(ttft, 0.50, kNan);
    p.ttftP99 = percentile(ttft, 0.99, kNan);
}

SecondTotals SecondTotals::between(const EngineSnapshot& before, const EngineSnapshot& after) {
    SecondTotals second;
    second.submitted = after.submitted - before.submitted;
    second.rejected = (after.rejected + after.timedOut) - (before.rejected + before.timedOut);
    second.ok = after.done - before.done;
    second.errors = after.failed - before.failed;
    second.attempts = after.attempts - before.attempts;
    second.rateLimited = after.rateLimited - before.rateLimited;
    return second;
}

std::map<QString, double> alertValues(const EngineSnapshot& snap, const SecondTotals& second) {
    std::map<QString, double> values{{QStringLiteral("queued"), snap.queued}};
    if (snap.limit > 0 && snap.limit < 100000) {
        values.emplace(QStringLiteral("concurrency_ratio"),
                       static_cast<double>(snap.inFlight) / snap.limit);
    }
    if (second.submitted > 0) {
        values.emplace(QStringLiteral("reject_ratio"), static_cast<double>(second.rejected) /
                                                           static_cast<double>(second.submitted));
    }
    const double ended = static_cast<double>(second.ok + second.errors);
    if (ended > 0) {
        values.emplace(QStringLiteral("error_ratio"), static_cast<double>(second.errors) / ended);
    }
    if (second.attempts > 0) {
        values.emplace(QStringLiteral("rate_limited_ratio"),
                       static_cast<double>(second.rateLimited) /
                           static_cast<double>(second.attempts));
    }
    values.emplace(QStringLiteral("breaker_open"),
                   snap.breaker == CircuitBreaker::State::Open ? 1.0 : 0.0);
    return values;
}

} // namespace sluice
