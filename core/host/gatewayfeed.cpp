#include "core/host/gatewayfeed.h"

#include "core/jsonfields.h"

#include <QJsonArray>

namespace sluice {

namespace {

// Reads fields leniently (a missing one keeps its default) but names the first of the wrong type.
class Reader {
public:
    Reader(const QJsonObject& o, QString prefix, Error* error)
        : m_o(o)
        , m_prefix(std::move(prefix))
        , m_error(error) {}

    double number(const QString& key, double fallback = 0) {
        const QJsonValue v = m_o.value(key);
        if (v.isUndefined() || v.isNull()) {
            return fallback;
        }
        if (!v.isDouble()) {
            fail(key, QStringLiteral("must be a number"));
            return fallback;
        }
        return v.toDouble();
    }
    std::int64_t count(const QString& key) { return wholeNumber(number(key)); }
    int integer(const QString& key, int fallback = 0) { return wholeInt(number(key, fallback)); }
    std::optional<std::int64_t> optionalCount(const QString& key) {
        const QJsonValue v = m_o.value(key);
        if (!v.isDouble()) {
            return std::nullopt;
        }
        return wholeNumber(v.toDouble());
    }
    QString string(const QString& key) {
        const QJsonValue v = m_o.value(key);
        if (v.isUndefined() || v.isNull()) {
            return {};
        }
        if (v.isDouble()) {
            return QString::number(v.toDouble());
        }
        if (!v.isString()) {
            fail(key, QStringLiteral("must be a string"));
            return {};
        }
        return v.toString();
    }
    bool boolean(const QString& key) { return m_o.value(key).toBool(); }
    void fail(const QString& key, const QString& what) {
        if (m_error->message.isEmpty()) {
            *m_error =
                Error::invalid(m_prefix.isEmpty() ? key : m_prefix + QLatin1Char('.') + key, what);
        }
    }

private:
    const QJsonObject& m_o;
    QString m_prefix;
    Error* m_error;
};

FailureReason failureFromKey(const QString& key) {
    FailureReason r;
    if (key.isEmpty()) {
        return r;
    }
    const QString head = key.section(QLatin1Char(':'), 0, 0);
    const QString type = key.section(QLatin1Char(':'), 1);
    if (head.startsWith(QLatin1String("http_"))) {
        r.kind = FailureKind::Http;
        r.status = head.mid(5).toInt();
        r.type = type;
        return r;
    }
    for (int k = 0; k <= static_cast<int>(FailureKind::Cancelled); ++k) {
        if (head == QLatin1String(failureKindName(static_cast<FailureKind>(k)))) {
            r.kind = static_cast<FailureKind>(k);
            r.type = type;
            return r;
        }
    }
    r.kind = FailureKind::Network;
    return r;
}

RequestState stateFromName(const QString& name) {
    for (int s = 0; s <= static_cast<int>(RequestState::Cancelled); ++s) {
        if (name == QLatin1String(stateName(static_cast<RequestState>(s)))) {
            return static_cast<RequestState>(s);
        }
    }
    return RequestState::Queued;
}

Nanos fromMs(double ms) {
    return nanosFromMs(ms);
}

} // namespace

Result<GatewayStats> parseGatewayStats(const QJsonObject& json) {
    Error error;
    Reader r(json, {}, &error);
    GatewayStats s;
    s.inFlight = r.integer(QStringLiteral("in_flight"));
    s.limit = r.integer(QStringLiteral("limit"));
    s.queued = r.integer(QStringLiteral("queued"));
    s.processed = r.count(QStringLiteral("processed"));
    s.rejected = r.count(QStringLiteral("rejected"));
    s.rps = r.number(QStringLiteral("rps"));
    s.configVersion = r.integer(QStringLiteral("config_version"));
    // The last 10 s when the gateway says them, else since it started.
    const QJsonObject latency = json.value(QStringLiteral("latency")).toObject();
    const bool recent = latency.contains(QStringLiteral("overhead_recent"));
    const QString which = recent ? QStringLiteral("overhead_recent") : QStringLiteral("overhead");
    const QJsonObject overhead = latency.value(which).toObject();
    Reader o(overhead, QStringLiteral("latency.") + which, &error);
    s.overheadRecent = recent;
    s.overheadCount = o.count(QStringLiteral("count"));
    s.overheadP50Ms = o.number(QStringLiteral("p50_ms"));
    s.overheadP99Ms = o.number(QStringLiteral("p99_ms"));

    const QJsonObject clients = json.value(QStringLiteral("clients")).toObject();
    for (auto it = clients.begin(); it != clients.end(); ++it) {
        const QJsonObject c = it.value().toObject();
        Reader cr(c, QStringLiteral("clients.") + it.key(), &error);
        GatewayClientRow row;
        row.name = it.key();
        row.weight = cr.number(QStringLiteral("weight"), 1);
        row.rps = cr.number(QStringLiteral("rps"));
        row.inFlight = cr.integer(QStringLiteral("in_flight"));
        row.queued = cr.integer(QStringLiteral("queued"));
        row.received = cr.count(QStringLiteral("received"));
        row.rejected = cr.count(QStringLiteral("rejected"));
        row.p95Ms = cr.number(QStringLiteral("total_p95_ms"));
        row.share = cr.number(QStringLiteral("share"));
        s.clients.append(row);
    }
    const QJsonArray keys = json.value(QStringLiteral("keys")).toArray();
    for (qsizetype i = 0; i < keys.size(); ++i) {
        const QJsonObject k = keys.at(i).toObject();
        Reader kr(k, QStringLiteral("keys[%1]").arg(i), &error);
        GatewayKeyRow row;
        row.masked = kr.string(QStringLiteral("key"));
        for (const QJsonValue& m : k.value(QStringLiteral("models")).toArray()) {
            row.models.append(m.toString());
        }
        row.inFlight = kr.integer(QStringLiteral("in_flight"));
        row.requests = kr.count(QStringLiteral("requests"));
        row.rateLimited = kr.count(QStringLiteral("rate_limited"));
        row.authFailures = kr.count(QStringLiteral("auth_failures"));
        row.limitRequests = kr.optionalCount(QStringLiteral("limit_requests"));
        row.remainingRequests = kr.optionalCount(QStringLiteral("remaining_requests"));
        row.limitTokens = kr.optionalCount(QStringLiteral("limit_tokens"));
        row.remainingTokens = kr.optionalCount(QStringLiteral("remaining_tokens"));
        row.resetRequestsMs = kr.number(QStringLiteral("reset_requests_ms"));
        row.resetTokensMs = kr.number(QStringLiteral("reset_tokens_ms"));
        row.coolingMs = kr.number(QStringLiteral("cooling_ms"));
        row.waitMs = kr.number(QStringLiteral("wait_ms"));
        row.retired = kr.boolean(QStringLiteral("retired"));
        row.retiredReason = kr.string(QStringLiteral("retired_reason"));
        s.keys.append(row);
    }
    for (const QJsonValue& a : json.value(QStringLiteral("alarms")).toArray()) {
        s.alarms.append(a.toObject().value(QStringLiteral("message")).toString());
    }
    s.raw = json;
    if (!error.message.isEmpty()) {
        return error;
    }
    return s;
}

Result<GatewayRequestDetail> parseGatewayRequest(const QJsonObject& json) {
    Error error;
    Reader r(json, {}, &error);
    GatewayRequestDetail d;
    if (!json.value(QStringLiteral("id")).isDouble()) {
        return Error::invalid(QStringLiteral("id"), QStringLiteral("must be a number"));
    }
    d.id = static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, wholeNumber(r.number(QStringLiteral("id")))));
    d.state = r.string(QStringLiteral("state"));
    d.ended = isTerminal(stateFromName(d.state)) || json.contains(QStringLiteral("total_ms"));
    d.priority = r.integer(QStringLiteral("priority"), 1);
    d.attempts = r.integer(QStringLiteral("attempts"));
    d.ahead = wholeNumber(r.number(QStringLiteral("ahead"), -1));
    d.etaMs = r.number(QStringLiteral("eta_ms"));
    d.ageMs = r.number(QStringLiteral("age_ms"));
    d.queueMs = r.number(QStringLiteral("queue_ms"), -1);
    d.firstTokenMs = r.number(QStringLiteral("first_token_ms"), -1);
    d.totalMs = r.number(QStringLiteral("total_ms"), -1);
    d.e2eMs = r.number(QStringLiteral("e2e_ms"), -1);
    d.ttftMs = r.number(QStringLiteral("ttft_ms"), -1);
    d.upstreamKey = r.string(QStringLiteral("upstream_key"));
    d.answered = r.string(QStringLiteral("answered"));
    d.upstreamStatus =
        r.integer(QStringLiteral("upstream_status"), r.integer(QStringLiteral("status")));
    d.failure = r.string(QStringLiteral("failure"));
    d.reason = r.string(QStringLiteral("reason"));
    d.promptTokens = r.count(QStringLiteral("prompt_tokens"));
    d.completionTokens = r.count(QStringLiteral("completion_tokens"));
    const QJsonArray log = json.value(QStringLiteral("attempt_log")).toArray();
    for (qsizetype i = 0; i < log.size(); ++i) {
        const QJsonObject a = log.at(i).toObject();
        Reader ar(a, QStringLiteral("attempt_log[%1]").arg(i), &error);
        d.attemptLog.append(GatewayAttemptRow{
            ar.number(QStringLiteral("sent_ms")), ar.number(QStringLiteral("ended_ms")),
            ar.integer(QStringLiteral("status")), ar.string(QStringLiteral("outcome"))});
    }
    d.raw = json;
    if (!error.message.isEmpty()) {
        return error;
    }
    return d;
}

EngineSnapshot snapshotFromStats(const QJsonObject& json, Nanos at) {
    EngineSnapshot s;
    s.at = at;
    s.inFlight = json.value(QStringLiteral("in_flight")).toInt();
    s.limit = json.value(QStringLiteral("limit")).toInt();
    s.queued = json.value(QStringLiteral("queued")).toInt();
    s.waitingBudget = json.value(QStringLiteral("waiting_budget")).toInt();
    s.sentPerSecond = json.value(QStringLiteral("rps")).toDouble();
    s.okPerSecond = json.value(QStringLiteral("ok_per_s")).toDouble();
    s.errorsPerSecond = json.value(QStringLiteral("errors_per_s")).toDouble();
    auto count = [&json](const char* key) {
        return wholeNumber(json.value(QLatin1String(key)).toDouble());
    };
    s.submitted = count("submitted");
    s.done = count("done");
    s.failed = count("failed");
    s.rejected = count("rejected");
    s.cancelled = count("cancelled");
    s.retries = count("retries");
    s.rateLimited = count("upstream_429");
    s.nextAllowedIn = fromMs(json.value(QStringLiteral("next_allowed_ms")).toDouble());
    const QString breaker = json.value(QStringLiteral("breaker")).toString();
    s.breaker = breaker == QLatin1String("open")        ? CircuitBreaker::State::Open
                : breaker == QLatin1String("half_open") ? CircuitBreaker::State::HalfOpen
                                                        : CircuitBreaker::State::Closed;
    const QJsonObject latency = json.value(QStringLiteral("latency")).toObject();
    const QJsonObject e2e = latency.value(QStringLiteral("e2e")).toObject();
    const QJsonObject ttft = latency.value(QStringLiteral("ttft")).toObject();
    s.e2eP50 = fromMs(e2e.value(QStringLiteral("p50_ms")).toDouble());
    s.e2eP95 = fromMs(e2e.value(QStringLiteral("p90_ms")).toDouble());
    s.e2eP99 = fromMs(e2e.value(QStringLiteral("p99_ms")).toDouble());
    s.ttftP50 = fromMs(ttft.value(QStringLiteral("p50_ms")).toDouble());
    s.ttftP95 = fromMs(ttft.value(QStringLiteral("p90_ms")).toDouble());
    s.ttftP99 = fromMs(ttft.value(QStringLiteral("p99_ms")).toDouble());
    for (const QJsonValue& f : json.value(QStringLiteral("failures")).toArray()) {
        const QJsonObject o = f.toObject();
        s.failures.push_back(
            FailureTally::Entry{failureFromKey(o.value(QStringLiteral("reason")).toString()),
                                wholeNumber(o.value(QStringLiteral("count")).toDouble()),
                                {}});
    }
    return s;
}

RequestUpdate requestUpdateFromJson(const QJsonObject& json) {
    RequestUpdate u;
    u.id = static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, wholeNumber(json.value(QStringLiteral("id")).toDouble())));
    u.state = stateFromName(json.value(QStringLiteral("state")).toString());
    u.priority = json.value(QStringLiteral("priority")).toInt(1);
    u.attempts = json.value(QStringLiteral("attempts")).toInt();
    u.position = wholeNumber(json.value(QStringLiteral("ahead")).toDouble(-1));
    u.status = json.value(QStringLiteral("status")).toInt();
    u.failure = failureFromKey(json.value(QStringLiteral("failure")).toString());
    return u;
}

} // namespace sluice
