#include "app/mockcommand.h"

#include "app/commandline.h"
#include "app/signalwatcher.h"
#include "core/server/mock/mockserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTimer>

namespace sluice {

int runMockCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs the built-in mock LLM server: OpenAI /v1/chat/completions, Anthropic /v1/messages,\n"
        "/v1/models, with a latency model, capacity, rate limits and faults you dial in.\n"
        "Admin: GET /mock/stats, GET|POST /mock/config, POST /mock/reset."));
    parser.addHelpOption();
    const MockConfig d;
    const HttpServerLimits dl;
    const auto seconds = [](int ms) { return QStringLiteral("%1s").arg(ms / 1000); };
    const QCommandLineOption host(QStringLiteral("host"), QStringLiteral("Address to listen on."),
                                  QStringLiteral("address"), QStringLiteral("127.0.0.1"));
    const QCommandLineOption port(QStringLiteral("port"),
                                  QStringLiteral("Port (0 picks a free one)."),
                                  QStringLiteral("port"), QStringLiteral("8787"));
    const QCommandLineOption rpm(QStringLiteral("rpm"),
                                 QStringLiteral("Requests per minute (0 = unlimited)."),
                                 QStringLiteral("n"), QString::number(d.rpm));
    const QCommandLineOption tpm(QStringLiteral("tpm"),
                                 QStringLiteral("Tokens per minute (0 = unlimited)."),
                                 QStringLiteral("n"), QString::number(d.tpm));
    const QCommandLineOption capacity(QStringLiteral("capacity"),
                                      QStringLiteral("Service slots; more requests wait."),
                                      QStringLiteral("n"), QString::number(d.capacity));
    const QCommandLineOption queueLimit(
        QStringLiteral("queue-limit"),
        QStringLiteral("Requests that may wait for a slot; beyond: 503/529."), QStringLiteral("n"),
        QString::number(d.queueLimit));
    const QCommandLineOption ttft(QStringLiteral("ttft"), QStringLiteral("Time to first token."),
                                  QStringLiteral("duration"), QStringLiteral("%1ms").arg(d.ttftMs));
    const QCommandLineOption tpot(QStringLiteral("tpot"), QStringLiteral("Time per output token."),
                                  QStringLiteral("duration"), QStringLiteral("%1ms").arg(d.tpotMs));
    const QCommandLineOption jitter(QStringLiteral("jitter"),
                                    QStringLiteral("Random spread of each delay (0.1 or 10%)."),
                                    QStringLiteral("fraction"), QStringLiteral("0"));
    const QCommandLineOption tokens(
        QStringLiteral("tokens"),
        QStringLiteral("Output length, N or MIN..MAX (capped by max_tokens)."),
        QStringLiteral("range"), QStringLiteral("%1..%2").arg(d.tokensMin).arg(d.tokensMax));
    const QCommandLineOption seed(QStringLiteral("seed"),
                                  QStringLiteral("Seed of the random source."), QStringLiteral("n"),
                                  QStringLiteral("1"));
    const QCommandLineOption faults(
        QStringLiteral("fault-rate"),
        QStringLiteral("Faults as key=share pairs: 500, 503, 529, reset, stall, midstream, quota\n"
                       "(e.g. 500=0.02,reset=1%)."),
        QStringLiteral("faults"));
    const QCommandLineOption stall(
        QStringLiteral("stall"), QStringLiteral("How long a stalled response stays silent."),
        QStringLiteral("duration"), QStringLiteral("%1s").arg(d.stallMs / 1000));
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
    const QCommandLineOption stamp(
        QStringLiteral("stamp"),
        QStringLiteral("Stamp streamed events with the server's own times (x_sent_ns,\n"
                       "x_arrived_ns) so a client here can measure its timing error."));
    parser.addOptions({host, port, rpm, tpm, capacity, queueLimit, ttft, tpot, jitter, tokens, seed,
                       faults, stall, maxBody, headerTimeout, bodyTimeout, idleTimeout, exitAfter,
                       stamp});

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
    const auto rpmValue = cli::parseInteger(QStringLiteral("--rpm"), parser.value(rpm), 0,
                                            1'000'000'000'000LL, &error);
    if (!rpmValue) {
        return fail();
    }
    config.rpm = *rpmValue;
    const auto tpmValue = cli::parseInteger(QStringLiteral("--tpm"), parser.value(tpm), 0,
                                            1'000'000'000'000LL, &error);
    if (!tpmValue) {
        return fail();
    }
    config.tpm = *tpmValue;
    const auto capValue = cli::parseInteger(QStringLiteral("--capacity"), parser.value(capacity), 1,
                                            1'000'000, &error);
    if (!capValue) {
        return fail();
    }
    config.capacity = static_cast<int>(*capValue);
    const auto queueValue = cli::parseInteger(QStringLiteral("--queue-limit"),
                                              parser.value(queueLimit), 0, 10'000'000, &error);
    if (!queueValue) {
        return fail();
    }
    config.queueLimit = static_cast<int>(*queueValue);
    const auto ttftValue = cli::parseDuration(QStringLiteral("--ttft"), parser.value(ttft), &error);
    if (!ttftValue) {
        return fail();
    }
    config.ttftMs = static_cast<int>(ttftValue->count());
    const auto tpotValue = cli::parseDuration(QStringLiteral("--tpot"), parser.value(tpot), &error);
    if (!tpotValue) {
        return fail();
    }
    config.tpotMs = static_cast<int>(tpotValue->count());
    const auto jitterValue =
        cli::parseFraction(QStringLiteral("--jitter"), parser.value(jitter), &error);
    if (!jitterValue) {
        return fail();
    }
    config.jitter = *jitterValue;
    const auto range =
        cli::parseRange(QStringLiteral("--tokens"), parser.value(tokens), 1, 1'000'000, &error);
    if (!range) {
        return fail();
    }
    config.tokensMin = range->first;
    config.tokensMax = range->second;
    const auto seedValue = cli::parseInteger(QStringLiteral("--seed"), parser.value(seed), 0,
                                             std::int64_t{1} << 53, &error);
    if (!seedValue) {
        return fail();
    }
    config.seed = static_cast<std::uint64_t>(*seedValue);
    const auto stallValue =
        cli::parseDuration(QStringLiteral("--stall"), parser.value(stall), &error);
    if (!stallValue) {
        return fail();
    }
    config.stallMs = static_cast<int>(stallValue->count());
    config.stamp = parser.isSet(stamp);
    if (parser.isSet(faults)) {
        auto parsed = MockConfig::parseFaults(parser.value(faults), config.faults);
        if (!parsed) {
            error = parsed.error().text();
            return fail();
        }
        config.faults = *parsed;
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
