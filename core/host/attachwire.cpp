#include "core/host/attachwire.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace sluice::attach {

namespace {

Nanos fromMs(double ms) {
    return Nanos{static_cast<std::int64_t>(std::llround(ms * 1e6))};
}

Result<QJsonObject> objectOf(const QByteArray& body, const QString& what) {
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError) {
        return Error::invalid(
            what,
            QStringLiteral("not JSON (%1 at byte %2)").arg(error.errorString()).arg(error.offset));
    }
    if (!doc.isObject()) {
        return Error::invalid(what, QStringLiteral("not a JSON object"));
    }
    return doc.object();
}

/// Reads numbers out of one JSON object; the first wrong one is kept, named with `prefix`.
class Reader {
public:
    Reader(QJsonObject o, QString prefix)
        : m_o(std::move(o))
        , m_prefix(std::move(prefix)) {}

    /// A number; absent reads as `fallback` unless `required`.
    double number(const char* key, double fallback = 0, bool required = false) {
        const QJsonValue v = m_o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull()) {
            if (required) {
                fail(key, QStringLiteral("missing"));
            }
            return fallback;
        }
        if (!v.isDouble() || !std::isfinite(v.toDouble())) {
            fail(key, QStringLiteral("must be a number"));
            return fallback;
        }
        return v.toDouble();
    }
    int integer(const char* key, bool required = false) {
        return static_cast<int>(std::llround(number(key, 0, required)));
    }
    std::int64_t count(const char* key) { return std::llround(number(key)); }
    QString string(const char* key, bool required = false) {
        const QJsonValue v = m_o.value(QLatin1String(key));
        if (v.isUndefined() && !required) {
            return {};
        }
        if (!v.isString()) {
            fail(key, required && v.isUndefined() ? QStringLiteral("missing")
                                                  : QStringLiteral("must be a string"));
            return {};
        }
        return v.toString();
    }
    QJsonObject object(const char* key) {
        const QJsonValue v = m_o.value(QLatin1String(key));
        if (!v.isUndefined() && !v.isObject()) {
            fail(key, QStringLiteral("must be an object"));
        }
        return v.toObject();
    }
    QJsonArray array(const char* key) {
        const QJsonValue v = m_o.value(QLatin1String(key));
        if (!v.isUndefined() && !v.isArray()) {
            fail(key, QStringLiteral("must be an array"));
        }
        return v.toArray();
    }
    QString path(const char* key) const { return m_prefix + QLatin1String(key); }
    void fail(const char* key, const QString& what) {
        if (!m_error) {
            m_error = Error::invalid(path(key), what);
        }
    }
    void fail(const Error& inner) {
        if (!m_error) {
            m_error = inner;
        }
    }
    const std::optional<Error>& error() const { return m_error; }

private:
    QJsonObject m_o;
    QString m_prefix;
    std::optional<Error> m_error;
};

CircuitBreaker::State breakerOf(const QString& name) {
    if (name == QLatin1String("open")) {
        return CircuitBreaker::State::Open;
    }
    return name == QLatin1String("half_open") ? CircuitBreaker::State::HalfOpen
                                              : CircuitBreaker::State::Closed;
}

std::optional<RequestState> stateOf(const QString& name) {
    for (int i = 0; i <= static_cast<int>(RequestState::Cancelled); ++i) {
        const auto s = static_cast<RequestState>(i);
        if (name == QLatin1String(stateName(s))) {
            return s;
        }
    }
    return std::nullopt;
}

} // namespace

FailureReason failureFromKey(const QString& key) {
    FailureReason r;
    const qsizetype colon = key.indexOf(QLatin1Char(':'));
    const QString head = colon < 0 ? key : key.left(colon);
    const QString type = colon < 0 ? QString() : key.mid(colon + 1);
    if (head.startsWith(QLatin1String("http_"))) {
        r.kind = FailureKind::Http;
        r.status = head.mid(5).toInt();
        r.type = type;
        return r;
    }
    for (int i = 0; i <= static_cast<int>(FailureKind::Cancelled); ++i) {
        const auto kind = static_cast<FailureKind>(i);
        if (head == QLatin1String(failureKindName(kind))) {
            r.kind = kind;
            if (kind == FailureKind::StreamError) {
                r.type = type;
            }
            return r;
        }
    }
    r.kind = FailureKind::Network;
    return r;
}

Result<AdminStats> parseStats(const QByteArray& body) {
    const auto json = objectOf(body, QStringLiteral("/admin/stats"));
    if (!json) {
        return json.error();
    }
    Reader r(*json, {});
    AdminStats out;
    out.raw = *json;
    EngineSnapshot& s = out.snapshot;
    s.inFlight = r.integer("in_flight", true);
    s.limit = r.integer("limit", true);
    s.queued = r.integer("queued", true);
    out.configVersion = r.integer("config_version", true);
    s.waitingBudget = r.integer("waiting_budget");
    s.sentPerSecond = r.number("rps");
    s.okPerSecond = r.number("ok_per_s");
    s.errorsPerSecond = r.number("errors_per_s");
    s.rateLimitedPerSecond = r.number("rate_limited_per_s");
    s.tokensInPerSecond = r.number("tokens_in_per_s");
    s.tokensOutPerSecond = r.number("tokens_out_per_s");
    s.submitted = r.count("submitted");
    s.done = r.count("done");
    s.failed = r.count("failed");
    s.rejected = r.count("rejected"); // the gateway's refusals: queue full and timed out too
    s.cancelled = r.count("cancelled");
    s.retries = r.count("retries");
    s.rateLimited = r.count("upstream_429");
    s.attempts = s.done + s.failed + s.retries;
    s.nextAllowedIn = fromMs(r.number("next_allowed_ms"));
    s.breaker = breakerOf(r.string("breaker"));

    Reader recent(r.object("recent"), QStringLiteral("recent."));
    s.e2eP50 = fromMs(recent.number("e2e_p50_ms"));
    s.e2eP95 = fromMs(recent.number("e2e_p95_ms"));
    s.e2eP99 = fromMs(recent.number("e2e_p99_ms"));
    s.totalP50 = fromMs(recent.number("total_p50_ms"));
    s.totalP95 = fromMs(recent.number("total_p95_ms"));
    s.totalP99 = fromMs(recent.number("total_p99_ms"));
    s.ttftP50 = fromMs(recent.number("ttft_p50_ms"));
    s.ttftP95 = fromMs(recent.number("ttft_p95_ms"));
    s.ttftP99 = fromMs(recent.number("ttft_p99_ms"));
    if (recent.error()) {
        r.fail(*recent.error());
    }

    Reader tokens(r.object("tokens"), QStringLiteral("tokens."));
    out.promptTokens = tokens.count("prompt");
    out.completionTokens = tokens.count("completion");
    if (tokens.error()) {
        r.fail(*tokens.error());
    }

    const QJsonArray failures = r.array("failures");
    for (qsizetype i = 0; i < failures.size(); ++i) {
        Reader f(failures.at(i).toObject(), QStringLiteral("failures[%1].").arg(i));
        FailureTally::Entry e;
        e.reason = failureFromKey(f.string("reason", true));
        e.count = f.count("count");
        if (f.error()) {
            r.fail(*f.error());
            break;
        }
        s.failures.push_back(std::move(e));
    }
    for (const QJsonValue& a : r.array("alarms")) {
        const QJsonObject alarm = a.toObject();
        const QString text = alarm.value(QStringLiteral("message")).toString();
        out.alarms << (text.isEmpty()
                           ? QString::fromUtf8(QJsonDocument(alarm).toJson(QJsonDocument::Compact))
                           : text);
    }
    if (r.error()) {
        return *r.error();
    }
    return out;
}

Result<GatewayConfig> parseConfig(const QByteArray& body) {
    const auto json = objectOf(body, QStringLiteral("/admin/config"));
    if (!json) {
        return json.error();
    }
    // Only the live limits: applyLimits() reads and checks them as the gateway itself does.
    static const QStringList kLimits{QStringLiteral("max_concurrent"),
                                     QStringLiteral("adaptive"),
                                     QStringLiteral("adaptive_min"),
                                     QStringLiteral("adaptive_max"),
                                     QStringLiteral("rpm"),
                                     QStringLiteral("tpm"),
                                     QStringLiteral("queue_size"),
                                     QStringLiteral("queue_timeout"),
                                     QStringLiteral("reject_status"),
                                     QStringLiteral("retries")};
    QJsonObject limits;
    for (const QString& key : kLimits) {
        if (json->contains(key)) {
            limits.insert(key, json->value(key));
        }
    }
    if (!json->contains(QStringLiteral("max_concurrent"))) {
        return Error::invalid(QStringLiteral("/admin/config"),
                              QStringLiteral("max_concurrent is missing: not a Sluice gateway"));
    }
    GatewayConfig config;
    // applyLimits() checks the whole config: the upstream as the gateway shows it (a
    // placeholder where it does not, since only the limits are read here).
    const QUrl upstream(json->value(QStringLiteral("upstream")).toString());
    config.upstream = upstream.isValid() && !upstream.host().isEmpty()
                          ? upstream
                          : QUrl(QStringLiteral("http://upstream.invalid"));
    if (auto applied = config.applyLimits(limits); !applied) {
        return applied.error();
    }
    Reader r(*json, {});
    config.version = r.integer("version", true);
    if (r.error()) {
        return *r.error();
    }
    return config;
}

Result<RequestUpdate> parseEvent(const QByteArray& data) {
    const auto json = objectOf(data, QStringLiteral("event"));
    if (!json) {
        return json.error();
    }
    Reader r(*json, QStringLiteral("event."));
    RequestUpdate u;
    u.id = static_cast<std::uint64_t>(r.number("id", 0, true));
    const QString state = r.string("state", true);
    u.priority = r.integer("priority");
    u.attempts = r.integer("attempts");
    u.position = static_cast<std::int64_t>(r.number("ahead", -1));
    u.status = r.integer("status");
    u.ttft = fromMs(r.number("ttft_ms"));
    u.e2e = fromMs(r.number("e2e_ms"));
    u.total = fromMs(r.number("total_ms"));
    const QString failure = r.string("failure");
    if (r.error()) {
        return *r.error();
    }
    const auto parsed = stateOf(state);
    if (!parsed) {
        return Error::invalid(QStringLiteral("event.state"),
                              QStringLiteral("unknown state \"%1\"").arg(state));
    }
    u.state = *parsed;
    if (!failure.isEmpty()) {
        u.failure = failureFromKey(failure);
    }
    return u;
}

TrafficLimits limitsOf(const GatewayConfig& c, TrafficLimits base) {
    base.rpm = c.rpm;
    base.tpm = c.tpm;
    if (c.adaptive) {
        base.algorithm = ConcurrencyConfig::Algorithm::Combined;
        base.maxConcurrency = c.adaptiveMax;
        base.adaptiveMin = c.adaptiveMin;
        base.adaptiveInitial = std::clamp(c.maxConcurrent, c.adaptiveMin, c.adaptiveMax);
    } else {
        base.algorithm = ConcurrencyConfig::Algorithm::Fixed;
        base.maxConcurrency = c.maxConcurrent;
    }
    base.queueCapacity = c.queueSize;
    base.retries = c.retries;
    return base;
}

QJsonObject configBody(const TrafficLimits& l) {
    constexpr int kMax = 100000; // the gateway's highest; the panel's 0 means no cap
    const int cap = l.maxConcurrency > 0 ? std::min(l.maxConcurrency, kMax) : kMax;
    QJsonObject body{{QStringLiteral("adaptive"), l.adaptive()},
                     {QStringLiteral("rpm"), static_cast<double>(l.rpm)},
                     {QStringLiteral("tpm"), static_cast<double>(l.tpm)},
                     {QStringLiteral("queue_size"), std::clamp(l.queueCapacity, 0, 1000000)},
                     {QStringLiteral("retries"), std::clamp(l.retries, 0, 10)}};
    if (l.adaptive()) {
        body.insert(QStringLiteral("adaptive_min"), std::clamp(l.adaptiveMin, 1, cap));
        body.insert(QStringLiteral("adaptive_max"), cap);
        body.insert(QStringLiteral("max_concurrent"),
                    std::clamp(l.adaptiveInitial, std::clamp(l.adaptiveMin, 1, cap), cap));
    } else {
        body.insert(QStringLiteral("max_concurrent"), cap);
    }
    return body;
}

QStringList configChanges(const GatewayConfig& b, const GatewayConfig& a) {
    QStringList out;
    auto change = [&out](const char* name, const QString& from, const QString& to) {
        if (from != to) {
            out << QStringLiteral("%1 %2 -> %3").arg(QLatin1String(name), from, to);
        }
    };
    const auto on = [](std::int64_t v) {
        return v > 0 ? QString::number(v) : QStringLiteral("off");
    };
    change("adaptive", b.adaptive ? QStringLiteral("on") : QStringLiteral("off"),
           a.adaptive ? QStringLiteral("on") : QStringLiteral("off"));
    change("max_concurrent", QString::number(b.maxConcurrent), QString::number(a.maxConcurrent));
    if (a.adaptive) {
        change("adaptive_min", QString::number(b.adaptiveMin), QString::number(a.adaptiveMin));
        change("adaptive_max", QString::number(b.adaptiveMax), QString::number(a.adaptiveMax));
    }
    change("rpm", on(b.rpm), on(a.rpm));
    change("tpm", on(b.tpm), on(a.tpm));
    change("queue_size", QString::number(b.queueSize), QString::number(a.queueSize));
    change("retries", QString::number(b.retries), QString::number(a.retries));
    change("reject_status", QString::number(b.rejectStatus), QString::number(a.rejectStatus));
    change("queue_timeout", QString::number(toSeconds(b.queueTimeout)),
           QString::number(toSeconds(a.queueTimeout)));
    return out;
}

} // namespace sluice::attach
