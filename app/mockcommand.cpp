#include "app/mockcommand.h"

#include "app/commandline.h"
#include "app/flagtable.h"
#include "app/signalwatcher.h"
#include "core/server/mock/mockserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTimer>

namespace sluice {

namespace {

// The flags that set MockConfig fields, with the defaults in their help.
cli::FlagTable mockFlags() {
    const MockConfig d;
    const auto flag = [](const char* name, const char* path, const char* valueName, QString help,
                         cli::FlagConvert convert) {
        return cli::FlagSpec{QLatin1String(name), QLatin1String(path), QLatin1String(valueName),
                             std::move(help), std::move(convert)};
    };
    return cli::FlagTable({
        flag("rpm", "rpm", "n",
             QStringLiteral("Requests per minute (0 = unlimited; default %1).").arg(d.rpm),
             cli::number()),
        flag("tpm", "tpm", "n",
             QStringLiteral("Tokens per minute (0 = unlimited; default %1).").arg(d.tpm),
             cli::number()),
        flag("capacity", "capacity", "n",
             QStringLiteral("Service slots; more requests wait (default %1).").arg(d.capacity),
             cli::number()),
        flag("queue-limit", "queue_limit", "n",
             QStringLiteral("Requests that may wait for a slot; beyond: 503/529 (default %1).")
                 .arg(d.queueLimit),
             cli::number()),
        flag("ttft", "ttft_ms", "duration",
             QStringLiteral("Time to first token (default %1ms).").arg(d.ttftMs),
             cli::milliseconds()),
        flag("tpot", "tpot_ms", "duration",
             QStringLiteral("Time per output token (default %1ms).").arg(d.tpotMs),
             cli::milliseconds()),
        flag("jitter", "jitter", "fraction",
             QStringLiteral("Random spread of each delay (0.1 or 10%; default 0)."),
             cli::fraction()),
        flag("tokens", "", "range",
             QStringLiteral("Output length, N or MIN..MAX, capped by max_tokens (default %1..%2; "
                            "tokens_min, tokens_max).")
                 .arg(d.tokensMin)
                 .arg(d.tokensMax),
             cli::range(QStringLiteral("tokens_min"), QStringLiteral("tokens_max"))),
        flag("seed", "seed", "n", QStringLiteral("Seed of the random source (default 1)."),
             cli::number()),
        flag("fault-rate", "faults", "faults",
             QStringLiteral("Faults as key=share pairs: 500, 503, 529, reset, stall, midstream, "
                            "quota, reset_midstream, truncate (e.g. 500=0.02,reset=1%)."),
             cli::pairs(QStringLiteral("key=share pairs such as 500=0.05,reset=1%"))),
        flag("stall", "stall_ms", "duration",
             QStringLiteral("How long a stalled response stays silent (default %1s).")
                 .arg(d.stallMs / 1000),
             cli::milliseconds()),
        {QStringLiteral("stamp"),
         QStringLiteral("stamp"),
         {},
         QStringLiteral("Stamp streamed events with the server's own times (x_sent_ns, "
                        "x_arrived_ns) so a client here can measure its timing error."),
         cli::constant(true)},
        {QStringLiteral("per-key"),
         QStringLiteral("per_key"),
         {},
         QStringLiteral("Apply --rpm and --tpm to each API key separately (Authorization: Bearer "
                        "or x-api-key), each key with its own x-ratelimit-* headers. "
                        "POST /mock/revoke {\"key\": K} makes a key answer 401."),
         cli::constant(true)},
    });
}

} // namespace

int runMockCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs the built-in mock LLM server: OpenAI /v1/chat/completions, Anthropic /v1/messages,\n"
        "/v1/models, with a latency model, capacity, rate limits and faults you dial in.\n"
        "Admin: GET /mock/stats, GET|POST /mock/config, POST /mock/reset."));
    parser.addHelpOption();
    const HttpServerLimits dl;
    const auto seconds = [](int ms) { return QStringLiteral("%1s").arg(ms / 1000); };
    const QCommandLineOption host(QStringLiteral("host"), QStringLiteral("Address to listen on."),
                                  QStringLiteral("address"), QStringLiteral("127.0.0.1"));
    const QCommandLineOption port(QStringLiteral("port"),
                                  QStringLiteral("Port (0 picks a free one)."),
                                  QStringLiteral("port"), QStringLiteral("8787"));
    const QCommandLineOption maxBody(QStringLiteral("max-body"),
                                     QStringLiteral("Largest request body accepted, in bytes."),
                                     QStringLiteral("bytes"), QStringLiteral("8388608"));
    const QCommandLineOption headerTimeout(
        QStringLiteral("header-timeout"),
        QStringLiteral("A request head must arrive within this long (else 408); 0 = no limit."),
        QStringLiteral("duration"), seconds(dl.headerTimeoutMs));
    const QCommandLineOption bodyTimeout(
        QStringLiteral("body-timeout"),
        QStringLiteral("A request body must arrive within this long of its head (else 408);\n"
                       "0 = no limit."),
        QStringLiteral("duration"), seconds(dl.bodyTimeoutMs));
    const QCommandLineOption idleTimeout(
        QStringLiteral("idle-timeout"),
        QStringLiteral("Close kept-alive connections idle this long; 0 = never."),
        QStringLiteral("duration"), seconds(dl.idleTimeoutMs));
    const QCommandLineOption exitAfter(QStringLiteral("exit-after"),
                                       QStringLiteral("Stop by itself after this long."),
                                       QStringLiteral("duration"));
    parser.addOptions({host, port});
    const cli::FlagTable table = mockFlags();
    table.addTo(parser);
    parser.addOptions({maxBody, headerTimeout, bodyTimeout, idleTimeout, exitAfter});

    const QString me = QStringLiteral("sluice mock");
    if (!parser.parse(arguments)) {
        cli::printError(me + QStringLiteral(": ") + parser.errorText() +
                        QStringLiteral(" (see sluice mock --help)"));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        cli::printOut(parser.helpText());
        return 0;
    }
    if (!parser.positionalArguments().isEmpty()) {
        cli::printError(me + QStringLiteral(": unexpected argument '%1' (see sluice mock --help)")
                                 .arg(parser.positionalArguments().first()));
        return 2;
    }

    QString error;
    MockConfig config;
    const auto fail = [&] {
        cli::printError(me + QStringLiteral(": ") + error);
        return 2;
    };
    const QHostAddress address(parser.value(host));
    if (address.isNull()) {
        error = QStringLiteral("--host: '%1' is not an IP address").arg(parser.value(host));
        return fail();
    }
    const auto portValue =
        cli::parseInteger(QStringLiteral("--port"), parser.value(port), 0, 65535, &error);
    if (!portValue) {
        return fail();
    }
    // The server's settings, as a JSON overlay on the defaults: MockConfig::apply() judges
    // them as it judges POST /mock/config.
    const auto overlay = table.overlay(parser);
    if (!overlay) {
        error = overlay.error().text();
        return fail();
    }
    if (auto applied = config.apply(*overlay); !applied) {
        error = table.blame(applied.error(), parser);
        if (error.isEmpty()) {
            error = applied.error().text();
        }
        return fail();
    }
    const auto bodyValue = cli::parseInteger(QStringLiteral("--max-body"), parser.value(maxBody),
                                             1024, 1'073'741'824LL, &error);
    if (!bodyValue) {
        return fail();
    }
    HttpServerLimits limits;
    limits.maxBodyBytes = *bodyValue;
    const std::pair<const QCommandLineOption&, int*> timeouts[] = {
        {headerTimeout, &limits.headerTimeoutMs},
        {bodyTimeout, &limits.bodyTimeoutMs},
        {idleTimeout, &limits.idleTimeoutMs},
    };
    for (const auto& [option, field] : timeouts) {
        const QString flag = QStringLiteral("--") + option.names().constFirst();
        const auto value = cli::parseDuration(flag, parser.value(option), &error);
        if (!value) {
            return fail();
        }
        *field = static_cast<int>(value->count());
    }
    std::optional<std::chrono::milliseconds> exitAfterValue;
    if (parser.isSet(exitAfter)) {
        exitAfterValue =
            cli::parseDuration(QStringLiteral("--exit-after"), parser.value(exitAfter), &error);
        if (!exitAfterValue) {
            return fail();
        }
    }
    if (auto valid = config.validate(); !valid) {
        error = valid.error().text();
        return fail();
    }

    MockServer server(config);
    limits.receiveStamps = server.http().limits().receiveStamps; // the mock's own choice
    server.http().setLimits(limits);
    // Out of file descriptors, the server stops accepting for a moment instead of spinning;
    // say so once, with what to do about it.
    QObject::connect(&server.http(), &HttpServer::acceptPaused, qApp, [me](const QString& why) {
        cli::printError(me + QStringLiteral(": cannot accept connections (%1); retrying. Raise "
                                            "the open-file limit (ulimit -n) for more clients.")
                                 .arg(why));
    });
    if (!server.listen(address, static_cast<quint16>(*portValue))) {
        cli::printError(me + QStringLiteral(": cannot listen on %1:%2: %3")
                                 .arg(address.toString())
                                 .arg(*portValue)
                                 .arg(server.errorString()));
        return 1;
    }
    const QString base = server.baseUrl().toString();
    cli::printOut(QStringLiteral("Sluice mock LLM server listening on %1").arg(base));
    cli::printOut(
        QStringLiteral("  OpenAI:    POST %1/v1/chat/completions   Anthropic: POST %1/v1/messages")
            .arg(base));
    cli::printOut(
        QStringLiteral(
            "  stats:     GET  %1/mock/stats            config:    GET|POST %1/mock/config")
            .arg(base));
    cli::printOut(
        QStringLiteral(
            "  limits: rpm %1, tpm %2, capacity %3, ttft %4ms, tpot %5ms, tokens %6..%7, seed %8")
            .arg(config.rpm)
            .arg(config.tpm)
            .arg(config.capacity)
            .arg(config.ttftMs)
            .arg(config.tpotMs)
            .arg(config.tokensMin)
            .arg(config.tokensMax)
            .arg(config.seed));

    SignalWatcher watcher;
    QObject::connect(&watcher, &SignalWatcher::terminationRequested, qApp, [] {
        cli::printOut(QStringLiteral("Stopping."));
        QCoreApplication::quit();
    });
    if (exitAfterValue) {
        QTimer::singleShot(*exitAfterValue, qApp, [] { QCoreApplication::quit(); });
    }
    return QCoreApplication::exec();
}

} // namespace sluice
