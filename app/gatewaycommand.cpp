#include "app/gatewaycommand.h"

#include "app/commandline.h"
#include "app/flagtable.h"
#include "app/signalwatcher.h"
#include "core/host/gatewayhost.h"
#include "core/net/keypool.h"
#include "core/redis/redisfleetboard.h"
#include "core/redis/redisgate.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>

namespace sluice {

namespace {

const QString kMe = QStringLiteral("sluice gateway");

cli::FlagSpec flag(const char* name, const char* path, const char* valueName, const char* help,
                   cli::FlagConvert convert) {
    return {QLatin1String(name), QLatin1String(path), QLatin1String(valueName), QLatin1String(help),
            std::move(convert)};
}

// The flags that set gateway config fields (GatewayConfig::apply judges them, as it judges
// --config and POST /admin/config).
const cli::FlagTable& gatewayFlags() {
    static const cli::FlagTable table({
        flag("listen", "listen", "addr", "HOST:PORT to listen on (default 127.0.0.1:8080).",
             cli::text()),
        flag("upstream", "upstream", "url",
             "The provider's base URL, with or without /v1 (e.g. https://api.openai.com/v1, "
             "https://api.anthropic.com).",
             cli::text()),
        flag("format", "format", "format",
             "openai or anthropic: paths that do not say (default openai).", cli::text()),
        flag("max-concurrent", "max_concurrent", "n",
             "Requests in flight upstream at most (default 100).", cli::number()),
        [] {
            auto f =
                flag("adaptive", "", "range", "Adaptive concurrency within MIN..MAX.",
                     cli::range(QStringLiteral("adaptive_min"), QStringLiteral("adaptive_max")));
            f.also = {{QStringLiteral("adaptive"), true}};
            return f;
        }(),
        flag("rpm", "rpm", "n", "Requests per minute for everything (0 = none, the default).",
             cli::number()),
        flag("tpm", "tpm", "n", "Tokens per minute (prompt + max_tokens reserved; 0 = none).",
             cli::number()),
        flag("queue-size", "queue_size", "n", "Requests that may wait (default 1000).",
             cli::number()),
        flag("queue-timeout", "queue_timeout", "duration",
             "Longest wait in the queue before a 503 (default 30s).", cli::text()),
        flag("reject-status", "reject_status", "code",
             "Status of overload answers: 503 (default) or 429.", cli::number()),
        flag("retries", "retries", "n",
             "Retries upstream before any byte reached the caller (default 2).", cli::number()),
    });
    return table;
}

} // namespace

int runGatewayCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "A local OpenAI/Anthropic-compatible gateway: point your programs at it instead of the\n"
        "provider, and every request runs through one queue, one rate budget and one\n"
        "concurrency limit. Overload is answered at once with 503 (or 429) and a Retry-After\n"
        "from the real state; every answer carries x-sluice-request-id, and\n"
        "GET /admin/requests/ID says where a request is. Admin: /admin/stats, /admin/config\n"
        "(GET, POST: limits change live), /admin/requests, /admin/events (SSE), /metrics.\n"
        "\n"
        "Example: sluice gateway --upstream https://api.openai.com/v1 --key-env OPENAI_API_KEY \\\n"
        "           --max-concurrent 50 --rpm 500"));
    parser.addHelpOption();
    const QCommandLineOption config(
        QStringLiteral("config"),
        QStringLiteral("Gateway JSON (as GET /admin/config answers); flags override it."),
        QStringLiteral("file"));
    const QCommandLineOption keysFile(
        QStringLiteral("keys-file"),
        QStringLiteral("Upstream API keys, one per line, each optionally followed by\n"
                       "the models it serves: KEY [MODEL,MODEL] (a pool)."),
        QStringLiteral("file"));
    const QCommandLineOption keyEnv(
        QStringLiteral("key-env"),
        QStringLiteral("Environment variable holding the upstream key. Without a key, each "
                       "caller's own key passes through."),
        QStringLiteral("name"));
    const QCommandLineOption adminToken(
        QStringLiteral("admin-token"),
        QStringLiteral("Token for /admin and /metrics (Authorization: Bearer TOKEN). Without "
                       "it they answer loopback only, and only loopback may be listened on."),
        QStringLiteral("token"));
    parser.addOption(config);
    gatewayFlags().addTo(parser);
    const QCommandLineOption clientsFile(
        QStringLiteral("clients"),
        QStringLiteral("Gateway clients (JSON: name, token, weight, max_priority, rpm, tpm, "
                       "max_concurrent, max_timeout). Callers then present a client token and go "
                       "upstream with the gateway's keys."),
        QStringLiteral("file"));
    const QCommandLineOption redis(
        QStringLiteral("redis"),
        QStringLiteral("Share the limits (rpm, tpm, max-concurrent: then whole-fleet limits) with\n"
                       "every gateway using this Redis: redis://[user:pass@]host:port[/db]."),
        QStringLiteral("url"));
    const QCommandLineOption redisPolicy(
        QStringLiteral("redis-policy"),
        QStringLiteral("While Redis is unreachable: closed (send nothing, the default), open\n"
                       "(local limits only) or split (limit/N each, N = gateways last seen)."),
        QStringLiteral("policy"));
    parser.addOptions({keysFile, keyEnv, clientsFile, adminToken, redis, redisPolicy});
    if (!parser.parse(arguments)) {
        cli::printError(kMe + QStringLiteral(": ") + parser.errorText() +
                        QStringLiteral(" (see sluice gateway --help)"));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        cli::printOut(cli::helpFor(parser, QStringLiteral("sluice gateway")));
        return 0;
    }
    auto fail = [&](const QString& message) {
        cli::printError(kMe + QStringLiteral(": ") + message);
        return 2;
    };
    if (!parser.positionalArguments().isEmpty()) {
        return fail(
            QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    }
    GatewayConfig c;
    QJsonObject fileJson;
    if (parser.isSet(config)) {
        QFile file(parser.value(config));
        if (!file.open(QIODevice::ReadOnly)) {
            return fail(QStringLiteral("--config: cannot read %1: %2")
                            .arg(file.fileName(), file.errorString()));
        }
        QJsonParseError error{};
        const QByteArray bytes = file.readAll();
        const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject()) {
            return fail(QStringLiteral("--config %1:%2: %3")
                            .arg(file.fileName(), cli::lineColumn(bytes, error.offset),
                                 doc.isObject() || error.error != QJsonParseError::NoError
                                     ? error.errorString()
                                     : QStringLiteral("not a JSON object")));
        }
        fileJson = doc.object();
        fileJson.remove(QStringLiteral("keys")); // masked in what the admin API wrote
    }
    // Flags, as a JSON overlay: one validator for the file and the flags.
    const cli::FlagTable& table = gatewayFlags();
    const auto flags = table.overlay(parser);
    if (!flags) {
        return fail(flags.error().text());
    }
    if (auto applied = c.apply(cli::deepMerge(fileJson, *flags)); !applied) {
        const Error& e = applied.error();
        if (const QString blamed = table.blame(e, parser); !blamed.isEmpty()) {
            return fail(blamed);
        }
        if (fileJson.contains(e.field)) {
            return fail(QStringLiteral("--config %1: %2").arg(parser.value(config), e.text()));
        }
        const cli::FlagSpec* f = table.flagFor(e.field);
        return fail(f ? QStringLiteral("--%1: %2").arg(f->name, e.text()) : e.text());
    }
    if (parser.isSet(keysFile)) {
        const auto pool = readKeyFile(parser.value(keysFile));
        if (!pool) {
            return fail(QStringLiteral("--keys-file ") + pool.error().text());
        }
        for (const PoolKey& k : *pool) {
            c.keys.append(k.key);
            c.keyModels.append(k.models);
        }
    } else if (parser.isSet(keyEnv)) {
        const QByteArray key = qgetenv(parser.value(keyEnv).toLocal8Bit().constData());
        if (key.isEmpty()) {
            return fail(QStringLiteral("--key-env: environment variable %1 is not set")
                            .arg(parser.value(keyEnv)));
        }
        c.keys = {key};
    }
    if (parser.isSet(clientsFile)) {
        auto clients = readClientsFile(parser.value(clientsFile));
        if (!clients) {
            return fail(QStringLiteral("--clients %1: %2")
                            .arg(parser.value(clientsFile), clients.error().text()));
        }
        c.clients = std::move(clients).value();
    }
    c.adminToken = parser.value(adminToken).toUtf8();
    if (!c.listenAddress.isLoopback() && c.adminToken.isEmpty()) {
        return fail(QStringLiteral("--listen %1: not a loopback address, so other machines could "
                                   "reach the admin API; give --admin-token to protect it")
                        .arg(c.listenAddress.toString()));
    }

    SharedAdmissionConfig shared;
    if (parser.isSet(redis)) {
        const auto url = RedisUrl::parse(parser.value(redis));
        if (!url) {
            return fail(QStringLiteral("--redis: ") + url.error().message);
        }
        shared.client.url = url.value();
        // A silent Redis raises the alarm within a second (command timeout, or a heartbeat).
        shared.client.commandTimeout = std::chrono::milliseconds(500);
        shared.client.connectTimeout = std::chrono::milliseconds(500);
    }
    if (parser.isSet(redisPolicy)) {
        if (!parser.isSet(redis)) {
            return fail(QStringLiteral("--redis-policy: only with --redis"));
        }
        const auto policy = parseRedisPolicy(parser.value(redisPolicy));
        if (!policy) {
            return fail(policy.error().text());
        }
        shared.policy = policy.value();
    }

    // The gateway and its engine run on a worker thread (the console's way too); this thread
    // only waits for signals.
    GatewayHost gateway;
    if (parser.isSet(redis)) {
        gateway.setGateFactory([shared](const Clock& clock) -> std::unique_ptr<AdmissionGate> {
            return std::make_unique<RedisGate>(shared, clock.speed());
        });
        // Every gateway on the Redis answers for every request of the fleet.
        gateway.setFleetFactory([client = shared.client]() -> std::unique_ptr<FleetBoard> {
            return std::make_unique<RedisFleetBoard>(client);
        });
    }
    // Alarms (a key the provider refused, retired from the pool) go to the log too.
    QObject::connect(&gateway, &GatewayHost::alarm, qApp, [](const QString& message) {
        cli::printError(kMe + QStringLiteral(": alarm: ") + message);
    });
    QObject::connect(&gateway, &GatewayHost::failed, qApp, [](const Error& error) {
        cli::printError(kMe + QStringLiteral(": ") + error.message);
        QCoreApplication::exit(1);
    });
    const QString sharedNote =
        parser.isSet(redis) ? QStringLiteral("; limits shared through %1, policy %2")
                                  .arg(shared.client.url.display(), redisPolicyName(shared.policy))
                            : QString();
    QObject::connect(&gateway, &GatewayHost::started, qApp, [&c, sharedNote](quint16 port) {
        const QString keys = c.keys.isEmpty() ? QStringLiteral("each caller's own")
                                              : c.toJson()
                                                    .value(QStringLiteral("keys"))
                                                    .toVariant()
                                                    .toStringList()
                                                    .join(QStringLiteral(", "));
        cli::printOut(
            QStringLiteral("Sluice gateway on http://%1:%2 -> %3 (keys: %4; %5 concurrent%6%7)")
                .arg(c.listenAddress.toString())
                .arg(port)
                .arg(c.upstream.toString(), keys)
                .arg(c.maxConcurrent)
                .arg(c.rpm > 0 ? QStringLiteral(", %1 rpm").arg(c.rpm) : QString(), sharedNote));
    });
    if (auto starting = gateway.start(c); !starting) {
        cli::printError(kMe + QStringLiteral(": ") + starting.error().message);
        return 1;
    }
    SignalWatcher watcher;
    QObject::connect(&watcher, &SignalWatcher::terminationRequested, qApp, &QCoreApplication::quit);
    return QCoreApplication::exec() == 0 ? 0 : 1;
}

} // namespace sluice
