#pragma once

#include "core/engine/clock.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace sluice {

/// The LLM latency metrics of one request, with the definitions stated once, here (measureRequest
/// in net/requestmeasure.h derives them from the engine's record). All times are in nanoseconds.
/// "Sent" is when the last attempt's request went on the wire (QNetworkReply::requestSent), so
/// retries and client-side queueing are not in TTFT or E2E; they are in the open-loop figures at
/// the end.
struct RequestMetrics {
    bool ok = false; ///< ended done (a complete answer)
    /// Time to first byte: sent → response headers.
    std::optional<Nanos> ttfb;
    /// Time to first token: sent → the first event carrying non-empty content or a reasoning
    /// delta. A role-only chunk, a comment ping or message_start is not a token.
    std::optional<Nanos> ttft;
    /// Time to second token: sent → the second such event.
    std::optional<Nanos> ttst;
    /// Gaps between consecutive content events (chunk arrivals), pooled over all requests by
    /// whoever aggregates them. A chunk carrying several tokens is one gap.
    std::vector<Nanos> itl;
    /// End to end: sent → the last byte of the answer.
    std::optional<Nanos> e2e;
    /// Time per output token, decode convention: (E2E - TTFT) / (N - 1); needs N >= 2.
    std::optional<Nanos> tpotDecode;
    /// Time per output token, whole-request convention: E2E / N; needs N >= 1.
    std::optional<Nanos> tpotOverall;
    /// Output tokens: the server's usage, or counted locally (then tokensEstimated).
    std::int64_t outputTokens = 0;
    std::int64_t promptTokens = 0;
    bool tokensEstimated = false;
    /// Output tokens per second of this request: N / E2E.
    std::optional<double> outputTokensPerSecond;

    // Timing error, against a server that stamps its events with its own clock (the built-in
    // mock with stamp on, same machine).
    /// Per content chunk: when we saw it minus when the server wrote it.
    std::vector<Nanos> transit;
    /// Our TTFT minus the server's own (its arrival to its first write): what the network and
    /// the client add to the figure.
    std::optional<Nanos> ttftError;

    // Open loop (coordinated omission). For a closed loop the intended time is the submission.
    /// When the schedule meant to send it.
    Nanos intendedAt{0};
    /// Intended → the engine handed the first attempt to the network (client-side queue time:
    /// concurrency limit, rate budget, a late timer).
    Nanos queueTime{0};
    /// The first attempt's hand-over → end (what a closed-loop tool would call latency).
    std::optional<Nanos> serviceTime;
    /// Intended → end: the latency a user arriving on schedule saw (corrected for coordinated
    /// omission).
    std::optional<Nanos> correctedLatency;
};

/// The latency metrics a run aggregates, one histogram each (summary.json's latency_ms keys).
enum class Metric {
    Ttft,
    Ttfb,
    Ttst,
    Itl,
    TpotDecode,
    TpotOverall,
    E2e,
    Corrected,
    Service,
    Queue,
    Transit,
    TtftError,
};

/// One row of the metric table: the name used in summary.json, series and SLOs, and what the
/// metric means in one line (written into every summary, so a report explains itself).
struct MetricInfo {
    Metric metric;
    const char* name;
    const char* definition;
    /// The name a latency SLO uses ("tpot" for tpot_decode), or nullptr when an SLO cannot name
    /// it (per-chunk or mock-only figures).
    const char* sloName;
};

/// Every latency metric, once, in report order. The definitions restate the comments on
/// RequestMetrics for people reading a report; change both together.
std::span<const MetricInfo> metricTable();
/// The metric's stable snake_case name ("tpot_decode").
QString metricName(Metric metric);
/// The metric an SLO or a summary key names; "tpot" is tpot_decode.
std::optional<Metric> metricNamed(const QString& name);
/// The names a latency SLO may use, in table order.
QStringList sloMetricNames();
/// What each figure of a summary means: every metric, plus output_tokens and goodput
/// (summary.json's "definitions").
QJsonObject metricDefinitions();
/// One request's value of a metric in ms, NaN when it has none. ITL is the request's largest
/// gap; transit has no single value (NaN).
double metricValue(const RequestMetrics& m, Metric metric);
/// As above by name ("tpot" included); NaN for a name that is no metric (e.g. "errors").
double metricValue(const RequestMetrics& m, const QString& name);
/// Every sample a request adds to the per-metric histograms, in ns: one per metric it has, one
/// per gap for ITL and one per chunk for transit.
void forEachSample(const RequestMetrics& m, const std::function<void(Metric, Nanos)>& f);

} // namespace sluice
