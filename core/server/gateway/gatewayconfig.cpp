#include "core/server/gateway/gatewayconfig.h"

#include "core/jsonfields.h"

#include <QJsonArray>

namespace sluice {

namespace {

const QStringList kLimitFields{QStringLiteral("max_concurrent"),
                               QStringLiteral("adaptive"),
                               QStringLiteral("adaptive_min"),
                               QStringLiteral("adaptive_max"),
                               QStringLiteral("rpm"),
                               QStringLiteral("tpm"),
                               QStringLiteral("queue_size"),
                               QStringLiteral("queue_timeout"),
                               QStringLiteral("reject_status"),
                               QStringLiteral("retries")};

bool readLimits(Fields& f, GatewayConfig& c) {
    return f.integer(QStringLiteral("max_concurrent"), &c.maxConcurrent, 1, 100000) &&
           f.boolean(QStringLiteral("adaptive"), &c.adaptive) &&
           f.integer(QStringLiteral("adaptive_min"), &c.adaptiveMin, 1, 100000) &&
           f.integer(QStringLiteral("adaptive_max"), &c.adaptiveMax, 1, 100000) &&
           f.integer(QStringLiteral("rpm"), &c.rpm, 0, 1e9) &&
           f.integer(QStringLiteral("tpm"), &c.tpm, 0, 1e12) &&
           f.integer(QStringLiteral("queue_size"), &c.queueSize, 0, 1000000) &&
           f.duration(QStringLiteral("queue_timeout"), &c.queueTimeout, std::chrono::hours(1),
                      true) &&
           f.integer(QStringLiteral("reject_status"), &c.rejectStatus, 429, 503) &&
           f.integer(QStringLiteral("retries"), &c.retries, 0, 10);
}

// The "clients" array, when there is one.
Result<void> readClients(const QJsonObject& json, GatewayConfig& c) {
    if (!json.contains(QStringLiteral("clients"))) {
        return {};
    }
    auto parsed =
        parseClients(json.value(QStringLiteral("clients")), QStringLiteral("clients"), c.clients);
    if (!parsed) {
        return parsed.error();
    }
    c.clients = std::move(parsed).value();
    return {};
}

} // namespace

Result<void> GatewayConfig::validate() const {
    if (!upstream.isValid() || (upstream.scheme() != QLatin1String("http") &&
                                upstream.scheme() != QLatin1String("https"))) {
        return Error::invalid(QStringLiteral("upstream"),
                              QStringLiteral("must be an http:// or https:// base URL, like "
                                             "https://api.openai.com/v1"));
    }
    if (rejectStatus != 429 && rejectStatus != 503) {
        return Error::invalid(QStringLiteral("reject_status"),
                              QStringLiteral("must be 429 or 503"));
    }
    if (adaptive && adaptiveMin > adaptiveMax) {
        return Error::invalid(QStringLiteral("adaptive_min"),
                              QStringLiteral("must not be above adaptive_max"));
    }
    return {};
}

Result<void> GatewayConfig::apply(const QJsonObject& json) {
    GatewayConfig c = *this;
    Error error;
    Fields f(json, {}, &error);
    QStringList known = kLimitFields;
    known << QStringLiteral("listen") << QStringLiteral("upstream") << QStringLiteral("format")
          << QStringLiteral("keys") << QStringLiteral("version") << QStringLiteral("clients");
    f.only(known);
    QString listen, upstreamText, formatText;
    if (error.message.isEmpty() && f.string(QStringLiteral("listen"), &listen) &&
        !listen.isEmpty()) {
        const qsizetype colon = listen.lastIndexOf(QLatin1Char(':'));
        bool ok = false;
        const uint port = listen.mid(colon + 1).toUInt(&ok);
        const QHostAddress address(
            listen.left(colon).remove(QLatin1Char('[')).remove(QLatin1Char(']')));
        if (colon <= 0 || !ok || port > 65535 || address.isNull()) {
            f.fail(QStringLiteral("listen"),
                   QStringLiteral("must be HOST:PORT, like 127.0.0.1:8080"));
        } else {
            c.listenAddress = address;
            c.port = static_cast<quint16>(port);
        }
    }
    if (error.message.isEmpty() && f.string(QStringLiteral("upstream"), &upstreamText) &&
        f.has(QStringLiteral("upstream"))) {
        c.upstream = QUrl(upstreamText, QUrl::StrictMode);
    }
    if (error.message.isEmpty() && f.string(QStringLiteral("format"), &formatText) &&
        f.has(QStringLiteral("format"))) {
        const auto parsed = parseFormat(formatText);
        if (!parsed) {
            f.fail(QStringLiteral("format"), QStringLiteral("must be openai or anthropic"));
        } else {
            c.format = *parsed;
        }
    }
    if (error.message.isEmpty() && f.has(QStringLiteral("keys"))) {
        // Only what toJson() writes (masked) may come back: keys come from files or the
        // environment, never through JSON.
        f.fail(QStringLiteral("keys"),
               QStringLiteral("cannot be set here: use --keys-file or the environment"));
    }
    if (error.message.isEmpty()) {
        readLimits(f, c);
    }
    if (error.message.isEmpty()) {
        if (auto clients = readClients(json, c); !clients) {
            return clients;
        }
    }
    if (!error.message.isEmpty()) {
        return error;
    }
    if (auto valid = c.validate(); !valid) {
        return valid.error();
    }
    *this = c;
    return {};
}

Result<void> GatewayConfig::applyLimits(const QJsonObject& json) {
    GatewayConfig c = *this;
    Error error;
    Fields f(json, {}, &error);
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (it.key() == QLatin1String("version") || it.key() == QLatin1String("clients")) {
            continue; // GET's answer may be posted back as it is; clients change live
        }
        if (!kLimitFields.contains(it.key())) {
            const bool restart =
                it.key() == QLatin1String("listen") || it.key() == QLatin1String("upstream") ||
                it.key() == QLatin1String("format") || it.key() == QLatin1String("keys");
            if (restart && it.value() == toJson().value(it.key())) {
                continue; // unchanged
            }
            return Error::invalid(it.key(), restart ? QStringLiteral("cannot change while running "
                                                                     "(restart the gateway)")
                                                    : QStringLiteral("unknown field"));
        }
    }
    readLimits(f, c);
    if (!error.message.isEmpty()) {
        return error;
    }
    if (auto clients = readClients(json, c); !clients) {
        return clients;
    }
    if (auto valid = c.validate(); !valid) {
        return valid.error();
    }
    c.version = version + 1;
    *this = c;
    return {};
}

QJsonObject GatewayConfig::toJson() const {
    QJsonArray masked;
    for (const QByteArray& key : keys) {
        masked.append(maskKey(key));
    }
    const QString host = listenAddress.protocol() == QAbstractSocket::IPv6Protocol
                             ? QStringLiteral("[%1]").arg(listenAddress.toString())
                             : listenAddress.toString();
    return QJsonObject{
        {QStringLiteral("listen"), QStringLiteral("%1:%2").arg(host).arg(port)},
        {QStringLiteral("upstream"), upstream.toString()},
        {QStringLiteral("format"), QString::fromLatin1(formatName(format))},
        {QStringLiteral("keys"), masked},
        {QStringLiteral("max_concurrent"), maxConcurrent},
        {QStringLiteral("adaptive"), adaptive},
        {QStringLiteral("adaptive_min"), adaptiveMin},
        {QStringLiteral("adaptive_max"), adaptiveMax},
        {QStringLiteral("rpm"), static_cast<double>(rpm)},
        {QStringLiteral("tpm"), static_cast<double>(tpm)},
        {QStringLiteral("queue_size"), queueSize},
        {QStringLiteral("queue_timeout"), QStringLiteral("%1s").arg(toSeconds(queueTimeout))},
        {QStringLiteral("reject_status"), rejectStatus},
        {QStringLiteral("retries"), retries},
        {QStringLiteral("version"), version},
        {QStringLiteral("clients"), clientsJson(clients)},
    };
}

QUrl GatewayConfig::upstreamFor(const QByteArray& path, const QByteArray& query) const {
    QUrl url = upstream;
    QString base = url.path();
    while (base.endsWith(QLatin1Char('/'))) {
        base.chop(1);
    }
    QString rest = QString::fromUtf8(path);
    // "https://api.openai.com/v1" + "/v1/chat/completions": the base already names the version.
    if (base.endsWith(QLatin1String("/v1")) &&
        (rest == QLatin1String("/v1") || rest.startsWith(QLatin1String("/v1/")))) {
        rest = rest.mid(3);
    }
    url.setPath(base + rest, QUrl::TolerantMode);
    url.setQuery(query.isEmpty() ? QString() : QString::fromUtf8(query));
    return url;
}

} // namespace sluice
