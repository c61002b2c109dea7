#include "ui/gateway/gatewaystart.h"

#include "core/net/keypool.h"

#include <QCoreApplication>
#include <QJsonObject>

#include <algorithm>

namespace sluice {

namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("GatewayStart", text);
}

} // namespace

Result<GatewayConfig> makeGatewayConfig(const GatewayStartOptions& o, const QUrl& mockBase) {
    GatewayConfig c;
    QString upstream = o.upstream.trimmed();
    if (o.mock) {
        if (mockBase.isEmpty()) {
            return Error{Error::Kind::Unavailable, QStringLiteral("upstream"),
                         tr("the built-in mock is not running")};
        }
        upstream = mockBase.toString();
    }
    if (upstream.isEmpty()) {
        return Error::invalid(QStringLiteral("upstream"), tr("give the provider's base URL"));
    }
    const QJsonObject json{{QStringLiteral("listen"), o.listen.trimmed()},
                           {QStringLiteral("upstream"), upstream},
                           {QStringLiteral("format"), o.mock ? QStringLiteral("openai") : o.format},
                           {QStringLiteral("max_concurrent"), o.maxConcurrent},
                           {QStringLiteral("adaptive_max"), std::max(100, o.maxConcurrent)},
                           {QStringLiteral("queue_size"), o.queueSize}};
    if (auto applied = c.apply(json); !applied) {
        return applied.error();
    }
    switch (o.keys) {
    case GatewayStartOptions::Keys::PassThrough:
        break;
    case GatewayStartOptions::Keys::Environment: {
        const QString name = o.keyEnv.trimmed();
        const QByteArray value = qgetenv(name.toLocal8Bit().constData());
        if (name.isEmpty() || value.trimmed().isEmpty()) {
            return Error::invalid(QStringLiteral("keys"),
                                  name.isEmpty()
                                      ? tr("name the environment variable that holds the key")
                                      : tr("environment variable %1 is not set").arg(name));
        }
        for (const QByteArray& key : value.split(',')) {
            if (!key.trimmed().isEmpty()) {
                c.keys.append(key.trimmed());
                c.keyModels.append(QStringList{});
            }
        }
        break;
    }
    case GatewayStartOptions::Keys::File: {
        const auto pool = readKeyFile(o.keysFile);
        if (!pool) {
            return Error{pool.error().kind, QStringLiteral("keys"), pool.error().text()};
        }
        for (const PoolKey& k : *pool) {
            c.keys.append(k.key);
            c.keyModels.append(k.models);
        }
        break;
    }
    }
    if (!o.clientsFile.trimmed().isEmpty()) {
        auto clients = readClientsFile(o.clientsFile.trimmed());
        if (!clients) {
            return Error{clients.error().kind, QStringLiteral("clients"), clients.error().text()};
        }
        c.clients = std::move(clients).value();
    } else {
        c.clients = o.clients;
    }
    if (!c.listenAddress.isLoopback()) {
        return Error::invalid(QStringLiteral("listen"),
                              tr("the console's gateway listens on loopback only (run `sluice "
                                 "gateway --admin-token …` to serve other machines)"));
    }
    if (auto valid = c.validate(); !valid) {
        return valid.error();
    }
    return c;
}

} // namespace sluice
