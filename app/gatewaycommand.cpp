#include "app/gatewaycommand.h"

#include "app/commandline.h"
#include "app/signalwatcher.h"
#include "core/bench/scenario.h"
#include "core/host/gatewayhost.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>

namespace sluice {

namespace {

const QString kMe = QStringLiteral("sluice gateway");

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
    auto opt = [&](const char* name, const char* help, const char* value = nullptr) {
        QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(help));
        if (value) {
            o.setValueName(QString::fromLatin1(value));
        }
        parser.addOption(o);
        return o;
    };
    const auto config =
        opt("config", "Gateway JSON (as GET /admin/config answers); flags override it.", "file");
    const auto listen = opt("listen", "HOST:PORT to listen on (default 127.0.0.1:8080).", "addr");
    const auto upstream = opt("upstream",
                              "The provider's base URL, with or without /v1 (e.g. "
                              "https://api.openai.com/v1, https://api.anthropic.com).",
                              "url");
    const auto format =
        opt("format", "openai or anthropic: paths that do not say (default openai).", "format");
    const auto keysFile = opt("keys-file", "Upstream API keys, one per line (a pool).", "file");
    const auto keyEnv = opt("key-env",
                            "Environment variable holding the upstream key. Without a key, each "
                            "caller's own key passes through.",
                            "name");
    const auto maxConcurrent =
        opt("max-concurrent", "Requests in flight upstream at most (default 100).", "n");
    const auto adaptive = opt("adaptive", "Adaptive concurrency within MIN..MAX.", "range");
    const auto rpm = opt("rpm", "Requests per minute for everything (0 = none, the default).", "n");
    const auto tpm = opt("tpm", "Tokens per minute (prompt + max_tokens reserved; 0 = none).", "n");
    const auto queueSize = opt("queue-size", "Requests that may wait (default 1000).", "n");
    const auto queueTimeout =
        opt("queue-timeout", "Longest wait in the queue before a 503 (default 30s).", "duration");
    const auto rejectStatus =
        opt("reject-status", "Status of overload answers: 503 (default) or 429.", "code");
    const auto retries =
        opt("retries", "Retries upstream before any byte reached the caller (default 2).", "n");
    const auto adminToken =
        opt("admin-token",
            "Token for /admin and /metrics (Authorization: Bearer TOKEN). Without "
            "it they answer loopback only, and only loopback may be listened on.",
            "token");
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
    QJsonObject flags;
    QString error;
    auto integer = [&](const QCommandLineOption& o, const char* field, std::int64_t min,
                       std::int64_t max) {
        if (!parser.isSet(o)) {
            return true;
        }
        const auto v = cli::parseInteger(QStringLiteral("--") + o.names().first(), parser.value(o),
                                         min, max, &error);
        if (v) {
            flags.insert(QLatin1String(field), static_cast<double>(*v));
        }
        return v.has_value();
    };
    if (!integer(maxConcurrent, "max_concurrent", 1, 100000) || !integer(rpm, "rpm", 0, 1e9) ||
        !integer(tpm, "tpm", 0, 1e12) || !integer(queueSize, "queue_size", 0, 1000000) ||
        !integer(retries, "retries", 0, 10)) {
        return fail(error);
    }
    if (parser.isSet(rejectStatus)) {
        const QString v = parser.value(rejectStatus);
        if (v != QLatin1String("503") && v != QLatin1String("429")) {
            return fail(QStringLiteral("--reject-status: '%1' is not 503 or 429").arg(v));
        }
        flags.insert(QStringLiteral("reject_status"), v.toInt());
    }
    if (parser.isSet(queueTimeout)) {
        const auto d = cli::parseDuration(QStringLiteral("--queue-timeout"),
                                          parser.value(queueTimeout), &error);
        if (!d) {
            return fail(error);
        }
        flags.insert(QStringLiteral("queue_timeout"), QStringLiteral("%1ms").arg(d->count()));
    }
    if (parser.isSet(adaptive)) {
        const auto r = cli::parseRange(QStringLiteral("--adaptive"), parser.value(adaptive), 1,
                                       100000, &error);
        if (!r) {
            return fail(error);
        }
        flags.insert(QStringLiteral("adaptive"), true);
        flags.insert(QStringLiteral("adaptive_min"), r->first);
        flags.insert(QStringLiteral("adaptive_max"), r->second);
    }
    if (parser.isSet(listen)) {
        flags.insert(QStringLiteral("listen"), parser.value(listen));
    }
    if (parser.isSet(upstream)) {
        flags.insert(QStringLiteral("upstream"), parser.value(upstream));
    }
    if (parser.isSet(format)) {
        flags.insert(QStringLiteral("format"), parser.value(format));
    }
    QJsonObject json = fileJson;
    for (auto it = flags.begin(); it != flags.end(); ++it) {
        json.insert(it.key(), it.value());
    }
    if (auto applied = c.apply(json); !applied) {
        const QString field = applied.error().field;
        if (!flags.contains(field) && fileJson.contains(field)) {
            return fail(QStringLiteral("--config %1: %2")
                            .arg(parser.value(config), applied.error().text()));
        }
        return fail(QStringLiteral("--%1: %2")
                        .arg(QString(field).replace(QLatin1Char('_'), QLatin1Char('-')),
                             applied.error().message));
    }
    if (parser.isSet(keysFile)) {
        if (const auto e = BenchScenario::readKeys(parser.value(keysFile), &c.keys)) {
            return fail(QStringLiteral("--keys-file: ") + *e);
        }
    } else if (parser.isSet(keyEnv)) {
        const QByteArray key = qgetenv(parser.value(keyEnv).toLocal8Bit().constData());
        if (key.isEmpty()) {
            return fail(QStringLiteral("--key-env: environment variable %1 is not set")
                            .arg(parser.value(keyEnv)));
        }
        c.keys = {key};
    }
    c.adminToken = parser.value(adminToken).toUtf8();
    if (!c.listenAddress.isLoopback() && c.adminToken.isEmpty()) {
        return fail(QStringLiteral("--listen %1: not a loopback address, so other machines could "
                                   "reach the admin API; give --admin-token to protect it")
                        .arg(c.listenAddress.toString()));
    }

    // The gateway and its engine run on a worker thread (the console's way too); this thread
    // only waits for signals.
    GatewayHost gateway;
    QObject::connect(&gateway, &GatewayHost::failed, qApp, [](const Error& error) {
        cli::printError(kMe + QStringLiteral(": ") + error.message);
        QCoreApplication::exit(1);
    });
    QObject::connect(&gateway, &GatewayHost::started, qApp, [&c](quint16 port) {
        const QString keys = c.keys.isEmpty() ? QStringLiteral("each caller's own")
                                              : c.toJson()
                                                    .value(QStringLiteral("keys"))
                                                    .toVariant()
                                                    .toStringList()
                                                    .join(QStringLiteral(", "));
        cli::printOut(
            QStringLiteral("Sluice gateway on http://%1:%2 -> %3 (keys: %4; %5 concurrent%6)")
                .arg(c.listenAddress.toString())
                .arg(port)
                .arg(c.upstream.toString(), keys)
                .arg(c.maxConcurrent)
                .arg(c.rpm > 0 ? QStringLiteral(", %1 rpm").arg(c.rpm) : QString()));
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
