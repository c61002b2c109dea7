#include "core/server/gateway/adminapi.h"

#include "core/net/requestengine.h"

#include <QJsonArray>
#include <QUrlQuery>

#include <algorithm>
#include <cmath>

namespace sluice::gateway {

namespace {

double ms(Nanos d) {
    return static_cast<double>(d.count()) / 1e6;
}

QJsonObject percentiles(const LatencyHistogram* h) {
    if (!h || h->count() == 0) {
        return {{QStringLiteral("count"), 0}};
    }
    auto p = [h](double q) { return static_cast<double>(h->percentile(q)) / 1e6; };
    return {{QStringLiteral("count"), static_cast<double>(h->count())},
            {QStringLiteral("p50_ms"), p(50)},
            {QStringLiteral("p90_ms"), p(90)},
            {QStringLiteral("p99_ms"), p(99)},
            {QStringLiteral("max_ms"), static_cast<double>(h->max()) / 1e6}};
}

// Prometheus label values: backslash, quote and newline escaped.
QByteArray label(const QString& value) {
    QByteArray v = value.toUtf8();
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    return v;
}

void family(QByteArray& out, const char* name, const char* type, const char* help) {
    out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
}

void histogram(QByteArray& out, const char* name, const char* help, const LatencyHistogram* h) {
    family(out, name, "histogram", help);
    static const double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                    0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                    1,      2.5,     5,      10,    30,     60};
    // Cumulative counts from the HDR histogram: values at or below each bound.
    const std::int64_t total = h ? h->count() : 0;
    for (const double b : bounds) {
        std::int64_t below = 0;
        if (h && total > 0) {
            // Binary search the percentile whose value crosses the bound.
            double lo = 0, hi = 100;
            const auto boundNs = static_cast<std::int64_t>(b * 1e9);
            if (h->percentile(100) <= boundNs) {
                below = total;
            } else if (h->percentile(0) > boundNs) {
                below = 0;
            } else {
                for (int i = 0; i < 30; ++i) {
                    const double mid = (lo + hi) / 2;
                    (h->percentile(mid) <= boundNs ? lo : hi) = mid;
                }
                below = static_cast<std::int64_t>(lo / 100 * static_cast<double>(total));
            }
        }
        out += QByteArray(name) + "_bucket{le=\"" + QByteArray::number(b) + "\"} " +
               QByteArray::number(below) + '\n';
    }
    out += QByteArray(name) + "_bucket{le=\"+Inf\"} " + QByteArray::number(total) + '\n';
    const double sum = h && total > 0 ? h->mean() * static_cast<double>(total) / 1e9 : 0;
    out += QByteArray(name) + "_sum " + QByteArray::number(sum, 'g', 12) + '\n';
    out += QByteArray(name) + "_count " + QByteArray::number(total) + '\n';
}

// The engine's failures plus the callers turned away at the door (queue full).
std::vector<FailureTally::Entry> withDoor(std::vector<FailureTally::Entry> failures,
                                          std::int64_t doorRejected) {
    if (doorRejected == 0) {
        return failures;
    }
    const FailureReason full{FailureKind::QueueFull};
    for (FailureTally::Entry& e : failures) {
        if (e.reason == full) {
            e.count += doorRejected;
            return failures;
        }
    }
    failures.push_back(FailureTally::Entry{full, doorRejected, {}});
    return failures;
}

} // namespace

QJsonObject statsJson(const EngineSnapshot& s, const GatewayConfig& config,
                      const GatewayCounters& c) {
    QJsonArray failures;
    for (const FailureTally::Entry& e : withDoor(s.failures, c.doorRejected)) {
        failures.append(QJsonObject{{QStringLiteral("reason"), e.reason.key()},
                                    {QStringLiteral("label"), e.reason.label()},
                                    {QStringLiteral("group"), e.reason.group()},
                                    {QStringLiteral("count"), static_cast<double>(e.count)}});
    }
    QJsonObject byCode;
    for (const auto& [code, count] : c.byCode) {
        byCode.insert(QString::number(code), static_cast<double>(count));
    }
    QJsonObject clients;
    if (c.clients && c.live) {
        clients = c.clients->statsJson(*c.live, s.at);
    }
    const std::int64_t ended =
        s.done + s.failed + s.rejected + s.timedOut + s.cancelled + c.doorRejected;
    const std::int64_t refused = s.rejected + s.timedOut + c.doorRejected;
    return QJsonObject{
        {QStringLiteral("in_flight"), s.inFlight},
        {QStringLiteral("limit"), s.limit},
        {QStringLiteral("queued"), s.queued},
        {QStringLiteral("waiting_budget"), s.waitingBudget},
        {QStringLiteral("submitted"), static_cast<double>(s.submitted + c.doorRejected)},
        {QStringLiteral("processed"), static_cast<double>(ended)},
        {QStringLiteral("done"), static_cast<double>(s.done)},
        {QStringLiteral("failed"), static_cast<double>(s.failed)},
        {QStringLiteral("rejected"), static_cast<double>(refused)},
        {QStringLiteral("rejected_share"),
         ended > 0 ? static_cast<double>(refused) / static_cast<double>(ended) : 0.0},
        {QStringLiteral("cancelled"), static_cast<double>(s.cancelled)},
        {QStringLiteral("client_gone"), static_cast<double>(c.clientGone)},
        {QStringLiteral("retries"), static_cast<double>(s.retries)},
        {QStringLiteral("upstream_429"), static_cast<double>(s.rateLimited)},
        {QStringLiteral("rps"), s.sentPerSecond},
        {QStringLiteral("ok_per_s"), s.okPerSecond},
        {QStringLiteral("errors_per_s"), s.errorsPerSecond},
        {QStringLiteral("rate_limited_per_s"), s.rateLimitedPerSecond},
        {QStringLiteral("tokens_in_per_s"), s.tokensInPerSecond},
        {QStringLiteral("tokens_out_per_s"), s.tokensOutPerSecond},
        // The last 10 s, as the console's charts draw them (`latency` holds the whole run's).
        {QStringLiteral("recent"), QJsonObject{{QStringLiteral("e2e_p50_ms"), ms(s.e2eP50)},
                                               {QStringLiteral("e2e_p95_ms"), ms(s.e2eP95)},
                                               {QStringLiteral("e2e_p99_ms"), ms(s.e2eP99)},
                                               {QStringLiteral("total_p50_ms"), ms(s.totalP50)},
                                               {QStringLiteral("total_p95_ms"), ms(s.totalP95)},
                                               {QStringLiteral("total_p99_ms"), ms(s.totalP99)},
                                               {QStringLiteral("ttft_p50_ms"), ms(s.ttftP50)},
                                               {QStringLiteral("ttft_p95_ms"), ms(s.ttftP95)},
                                               {QStringLiteral("ttft_p99_ms"), ms(s.ttftP99)}}},
        {QStringLiteral("next_allowed_ms"), ms(s.nextAllowedIn)},
        {QStringLiteral("breaker"), QString::fromLatin1(breakerStateName(s.breaker))},
        {QStringLiteral("answers_by_status"), byCode},
        {QStringLiteral("failures"), failures},
        {QStringLiteral("tokens"),
         QJsonObject{{QStringLiteral("prompt"), static_cast<double>(c.promptTokens)},
                     {QStringLiteral("completion"), static_cast<double>(c.completionTokens)}}},
        {QStringLiteral("latency"),
         QJsonObject{{QStringLiteral("e2e"), percentiles(c.e2e)},
                     {QStringLiteral("ttft"), percentiles(c.ttft)},
                     {QStringLiteral("overhead"), percentiles(c.overhead)}}},
        {QStringLiteral("config_version"), config.version},
        {QStringLiteral("clients"), clients},
    };
}

QJsonObject recentPercentiles(std::vector<Nanos>& values) {
    if (values.empty()) {
        return {{QStringLiteral("count"), 0}};
    }
    auto at = [&values](double q) {
        const auto rank =
            static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())) - 1);
        std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank),
                         values.end());
        return ms(values[rank]);
    };
    return {{QStringLiteral("count"), static_cast<double>(values.size())},
            {QStringLiteral("p50_ms"), at(0.5)},
            {QStringLiteral("p99_ms"), at(0.99)}};
}

QByteArray metricsText(const EngineSnapshot& s, const GatewayConfig& config,
                       const GatewayCounters& c) {
    QByteArray out;
    if (c.clients && c.live) {
        out += c.clients->metricsText(*c.live); // sluice_requests_total{client,model,code}
    } else {
        family(out, "sluice_requests_total", "counter",
               "Requests answered by the gateway, by the HTTP status the caller got.");
        if (c.byCode.empty()) {
            out += "sluice_requests_total{code=\"200\"} 0\n";
        }
        for (const auto& [code, count] : c.byCode) {
            out += "sluice_requests_total{code=\"" + QByteArray::number(code) + "\"} " +
                   QByteArray::number(count) + '\n';
        }
    }
    family(out, "sluice_client_gone_total", "counter",
           "Requests whose caller disconnected before the answer ended.");
    out += "sluice_client_gone_total " + QByteArray::number(c.clientGone) + '\n';
    family(out, "sluice_failures_total", "counter", "Requests that did not end done, by reason.");
    for (const FailureTally::Entry& e : withDoor(s.failures, c.doorRejected)) {
        out += "sluice_failures_total{reason=\"" + label(e.reason.key()) + "\",group=\"" +
               label(e.reason.group()) + "\"} " + QByteArray::number(e.count) + '\n';
    }
    family(out, "sluice_in_flight", "gauge", "Requests sent upstream and not yet answered.");
    out += "sluice_in_flight " + QByteArray::number(s.inFlight) + '\n';
    family(out, "sluice_queue_depth", "gauge", "Requests waiting in the gateway's queue.");
    out += "sluice_queue_depth " + QByteArray::number(s.queued) + '\n';
    family(out, "sluice_limit", "gauge", "The gateway's limits (0 = none).");
    out += "sluice_limit{kind=\"concurrency\"} " + QByteArray::number(s.limit) + '\n';
    out += "sluice_limit{kind=\"rpm\"} " + QByteArray::number(config.rpm) + '\n';
    out += "sluice_limit{kind=\"tpm\"} " + QByteArray::number(config.tpm) + '\n';
    out += "sluice_limit{kind=\"queue\"} " + QByteArray::number(config.queueSize) + '\n';
    family(out, "sluice_retries_total", "counter", "Upstream attempts after the first.");
    out += "sluice_retries_total " + QByteArray::number(s.retries) + '\n';
    family(out, "sluice_upstream_rate_limited_total", "counter",
           "Upstream answers that were 429 for rate.");
    out += "sluice_upstream_rate_limited_total " + QByteArray::number(s.rateLimited) + '\n';
    family(out, "sluice_tokens_total", "counter", "Tokens of answered requests, by type.");
    out += "sluice_tokens_total{type=\"prompt\"} " + QByteArray::number(c.promptTokens) + '\n';
    out +=
        "sluice_tokens_total{type=\"completion\"} " + QByteArray::number(c.completionTokens) + '\n';
    family(out, "sluice_breaker_open", "gauge", "1 while a circuit breaker is open.");
    out += QByteArray("sluice_breaker_open ") +
           (s.breaker == CircuitBreaker::State::Open ? "1" : "0") + '\n';
    histogram(out, "sluice_overhead_seconds",
              "Time the gateway added to a request, outside its queue and the upstream.",
              c.overhead);
    histogram(out, "sluice_ttft_seconds", "Upstream time to first token.", c.ttft);
    histogram(out, "sluice_e2e_seconds", "Upstream time from sent to the last byte.", c.e2e);
    family(out, "sluice_config_version", "gauge", "Bumped by every live config change.");
    out += "sluice_config_version " + QByteArray::number(config.version) + '\n';
    return out;
}

QJsonObject requestStatusJson(const RequestStatus& s, Nanos now) {
    QJsonObject o{{QStringLiteral("id"), static_cast<double>(s.id)},
                  {QStringLiteral("state"), QString::fromLatin1(stateName(s.state))},
                  {QStringLiteral("priority"), s.priority},
                  {QStringLiteral("attempts"), s.attempts},
                  {QStringLiteral("age_ms"), ms(now - s.submittedAt)}};
    if (s.position >= 0) {
        o.insert(QStringLiteral("ahead"), static_cast<double>(s.position));
        // Whose requests `ahead` counts: the fleet's (with --redis, Redis answering), else
        // this gateway's.
        o.insert(QStringLiteral("ahead_scope"),
                 s.fleetPosition ? QStringLiteral("fleet") : QStringLiteral("gateway"));
        o.insert(QStringLiteral("eta_ms"), ms(s.eta));
    }
    if (!s.sharedQueue.isEmpty()) {
        // Which shared queue, and whether it is at the shared gate yet or still in this
        // gateway's queue: how the other gateways count it in their requests' places.
        o.insert(QStringLiteral("shared_queue"), s.sharedQueue);
        o.insert(QStringLiteral("at_shared_gate"), s.atSharedGate);
        if (s.fleetOrder >= 0) {
            o.insert(QStringLiteral("fleet_order"), static_cast<double>(s.fleetOrder));
        }
    }
    if (s.status > 0) {
        o.insert(QStringLiteral("status"), s.status);
    }
    if (!s.upstreamKey.isEmpty()) {
        o.insert(QStringLiteral("upstream_key"), s.upstreamKey); // masked
    }
    if (s.firstSentAt.count() > 0) {
        o.insert(QStringLiteral("queue_ms"), ms(s.firstSentAt - s.submittedAt));
    }
    if (s.firstTokenAt.count() > 0 && s.firstSentAt.count() > 0) {
        o.insert(QStringLiteral("first_token_ms"), ms(s.firstTokenAt - s.submittedAt));
    }
    if (!s.reason.isEmpty()) {
        o.insert(QStringLiteral("reason"), s.reason);
    }
    return o;
}

QJsonObject requestRecordJson(const RequestRecord& r, int clientStatus) {
    QJsonObject o{{QStringLiteral("id"), static_cast<double>(r.id)},
                  {QStringLiteral("state"), QString::fromLatin1(stateName(r.state))},
                  {QStringLiteral("priority"), r.priority},
                  {QStringLiteral("attempts"), r.attempts},
                  {QStringLiteral("total_ms"), ms(r.totalTime())},
                  {QStringLiteral("queue_ms"), ms(r.queueTime())}};
    if (!r.upstreamKey.isEmpty()) {
        o.insert(QStringLiteral("upstream_key"), r.upstreamKey); // masked
    }
    if (clientStatus > 0) {
        o.insert(QStringLiteral("answered"), clientStatus);
    } else {
        o.insert(QStringLiteral("answered"), QStringLiteral("caller gone"));
    }
    if (r.status > 0) {
        o.insert(QStringLiteral("upstream_status"), r.status);
    }
    if (r.state == RequestState::Done) {
        o.insert(QStringLiteral("e2e_ms"), ms(r.e2e()));
        if (r.firstTokenAt.count() > 0) {
            o.insert(QStringLiteral("ttft_ms"), ms(r.ttft()));
        }
        o.insert(QStringLiteral("prompt_tokens"), static_cast<double>(r.promptTokens));
        o.insert(QStringLiteral("completion_tokens"), static_cast<double>(r.completionTokens));
    }
    if (r.failure.kind != FailureKind::None) {
        o.insert(QStringLiteral("failure"), r.failure.key());
        o.insert(QStringLiteral("reason"), r.reason);
    }
    // The timeline, ms since the request arrived: each attempt, the first token.
    if (r.firstTokenAt.count() > 0) {
        o.insert(QStringLiteral("first_token_ms"), ms(r.firstTokenAt - r.submittedAt));
    }
    QJsonArray log;
    for (const AttemptRecord& a : r.attemptLog) {
        log.append(
            QJsonObject{{QStringLiteral("sent_ms"), ms(a.sentAt - r.submittedAt)},
                        {QStringLiteral("ended_ms"), ms(a.endedAt - r.submittedAt)},
                        {QStringLiteral("status"), a.status},
                        {QStringLiteral("outcome"), QString::fromLatin1(outcomeName(a.outcome))}});
    }
    if (!log.isEmpty()) {
        o.insert(QStringLiteral("attempt_log"), log);
    }
    return o;
}

QJsonObject requestListJson(const RequestEngine& engine, const QByteArray& query) {
    const QString wanted =
        QUrlQuery(QString::fromUtf8(query)).queryItemValue(QStringLiteral("state"));
    const Nanos now = engine.clock().now();
    QJsonArray list;
    for (const RequestStatus& s : engine.statuses()) {
        const QString state = QString::fromLatin1(stateName(s.state));
        if (wanted.isEmpty() || wanted == state ||
            (wanted == QLatin1String("queued") && s.state == RequestState::WaitingBudget)) {
            list.append(requestStatusJson(s, now));
        }
    }
    return {{QStringLiteral("requests"), list}, {QStringLiteral("count"), list.size()}};
}

QJsonObject updateJson(const RequestUpdate& u) {
    QJsonObject o{{QStringLiteral("id"), static_cast<double>(u.id)},
                  {QStringLiteral("state"), QString::fromLatin1(stateName(u.state))},
                  {QStringLiteral("priority"), u.priority},
                  {QStringLiteral("attempts"), u.attempts}};
    if (u.position >= 0) {
        o.insert(QStringLiteral("ahead"), static_cast<double>(u.position));
        o.insert(QStringLiteral("ahead_scope"),
                 u.fleetPosition ? QStringLiteral("fleet") : QStringLiteral("gateway"));
    }
    if (u.status > 0) {
        o.insert(QStringLiteral("status"), u.status);
    }
    if (u.failure.kind != FailureKind::None) {
        o.insert(QStringLiteral("failure"), u.failure.key());
    }
    // Times as they become known: the console's requests table and latency-by-priority chart.
    if (u.ttft.count() > 0) {
        o.insert(QStringLiteral("ttft_ms"), ms(u.ttft));
    }
    if (u.e2e.count() > 0) {
        o.insert(QStringLiteral("e2e_ms"), ms(u.e2e));
    }
    if (u.total.count() > 0) {
        o.insert(QStringLiteral("total_ms"), ms(u.total));
    }
    return o;
}

} // namespace sluice::gateway
