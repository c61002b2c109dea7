#include "app/democommand.h"

#include "app/commandline.h"
#include "app/signalwatcher.h"
#include "core/net/requestengine.h"
#include "core/server/mock/mockserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTimer>

namespace sluice {

namespace {

/// Closed-loop demo traffic through the engine: `callers` callers, each submitting one streaming
/// request after another until the deadline. The engine paces them inside the mock's rate limit
/// and finds its capacity by itself.
class DemoRunner final : public QObject {
public:
    DemoRunner(MockServer* mock, int callers, std::chrono::milliseconds duration)
        : m_mock(mock)
        , m_engine(engineConfig(mock->config()))
        , m_duration(duration) {
        m_clock.start();
        for (int i = 0; i < callers; ++i) {
            next();
        }
    }

    bool done() const { return m_stopped && m_engine.active() == 0; }
    void stop() {
        m_stopped = true;
        m_engine.cancelAll();
    }
    RequestEngine& engine() { return m_engine; }
    bool expired() const { return m_clock.elapsed() >= m_duration.count(); }

private:
    static EngineConfig engineConfig(const MockConfig& mock) {
        EngineConfig c;
        c.concurrency.initial = 2;
        c.concurrency.min = 1;
        c.concurrency.max = 64;
        c.budgets = {BudgetRule{"*", "*",
                                BudgetLimits{{RateLevel{mock.rpm, std::chrono::minutes(1), 0}},
                                             {RateLevel{mock.tpm, std::chrono::minutes(1), 0}}}}};
        return c;
    }

    void next() {
        if (m_stopped || expired()) {
            m_stopped = true;
            return;
        }
        const EngineRequest r = chatRequest(
            ApiFormat::OpenAi, QUrl(m_mock->baseUrl().toString() + QStringLiteral("/v1")),
            QByteArrayLiteral("sk-demo-key-not-secret-0000"), QStringLiteral("mock-gpt"),
            {{QStringLiteral("user"), QStringLiteral("Say something about rivers.")}}, 64);
        m_engine.submit(r, [this](const RequestRecord&) { next(); });
    }

    MockServer* m_mock;
    RequestEngine m_engine;
    std::chrono::milliseconds m_duration;
    QElapsedTimer m_clock;
    bool m_stopped = false;
};

} // namespace

int runDemoCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Starts the built-in mock (capacity 4, 600 requests/min) and sends streaming "
        "traffic at it\n"
        "through the engine, printing each second what the server saw."));
    parser.addHelpOption();
    const QCommandLineOption duration(QStringLiteral("duration"),
                                      QStringLiteral("How long to run."),
                                      QStringLiteral("duration"), QStringLiteral("6s"));
    const QCommandLineOption concurrency(QStringLiteral("concurrency"),
                                         QStringLiteral("Callers submitting one request after "
                                                        "another."),
                                         QStringLiteral("n"), QStringLiteral("24"));
    parser.addOptions({duration, concurrency});
    const QString me = QStringLiteral("sluice demo");
    if (!parser.parse(arguments)) {
        cli::printError(me + QStringLiteral(": ") + parser.errorText());
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        cli::printOut(parser.helpText());
        return 0;
    }
    QString error;
    const auto durationValue =
        cli::parseDuration(QStringLiteral("--duration"), parser.value(duration), &error);
    const auto concurrencyValue =
        durationValue ? cli::parseInteger(QStringLiteral("--concurrency"),
                                          parser.value(concurrency), 1, 1000, &error)
                      : std::nullopt;
    if (!durationValue || !concurrencyValue) {
        cli::printError(me + QStringLiteral(": ") + error);
        return 2;
    }

    MockConfig config;
    config.capacity = 4;
    config.rpm = 600;
    config.tpm = 0;
    config.ttftMs = 150;
    config.tpotMs = 8;
    config.tokensMin = 20;
    config.tokensMax = 60;
    config.jitter = 0.2;
    MockServer mock(config);
    if (!mock.listen(QHostAddress::LocalHost, 0)) {
        cli::printError(me + QStringLiteral(": cannot listen on 127.0.0.1: ") + mock.errorString());
        return 1;
    }
    cli::printOut(QStringLiteral("Mock LLM server on %1 (capacity %2, %3 requests/min). %4 callers "
                                 "send streams through the engine for %5 ms...")
                      .arg(mock.baseUrl().toString())
                      .arg(config.capacity)
                      .arg(config.rpm)
                      .arg(*concurrencyValue)
                      .arg(durationValue->count()));
    cli::printOut(QStringLiteral(
        "  sec  limit  queued  in-flight  in-service  waiting  ok(200)  limited(429)"));

    DemoRunner runner(&mock, static_cast<int>(*concurrencyValue), *durationValue);
    SignalWatcher watcher;
    QObject::connect(&watcher, &SignalWatcher::terminationRequested, &runner,
                     [&runner] { runner.stop(); });
    int second = 0;
    QTimer ticker;
    QObject::connect(&ticker, &QTimer::timeout, &runner, [&] {
        const QJsonObject s = mock.statsJson();
        const QJsonObject statuses = s.value(QStringLiteral("by_status")).toObject();
        const EngineSnapshot e = runner.engine().snapshot();
        cli::printOut(QStringLiteral("  %1  %2  %3  %4  %5  %6  %7  %8")
                          .arg(++second, 3)
                          .arg(e.limit, 5)
                          .arg(e.queued, 6)
                          .arg(s.value(QStringLiteral("concurrent")).toInt(), 9)
                          .arg(s.value(QStringLiteral("in_service")).toInt(), 10)
                          .arg(s.value(QStringLiteral("waiting")).toInt(), 7)
                          .arg(statuses.value(QStringLiteral("200")).toInt(), 7)
                          .arg(statuses.value(QStringLiteral("429")).toInt(), 12));
        if (runner.expired()) {
            runner.stop();
        }
        if (runner.done()) {
            QCoreApplication::quit();
        }
    });
    ticker.start(1000);
    // Bounded: the workers stop at the deadline; a stuck request cannot hold the demo forever.
    QTimer::singleShot(*durationValue + std::chrono::seconds(30), &runner,
                       [] { QCoreApplication::quit(); });
    QCoreApplication::exec();

    const QJsonObject s = mock.statsJson();
    const QJsonObject window = s.value(QStringLiteral("window")).toObject();
    cli::printOut(QStringLiteral("Server saw %1 requests; peak %2 in flight, at most %3 in service "
                                 "(capacity %4); %5 rate-limited; busiest minute %6 requests "
                                 "(limit %7); %8 tokens out.")
                      .arg(s.value(QStringLiteral("requests")).toInt())
                      .arg(s.value(QStringLiteral("peak_concurrent")).toInt())
                      .arg(s.value(QStringLiteral("peak_in_service")).toInt())
                      .arg(config.capacity)
                      .arg(s.value(QStringLiteral("rate_limited")).toInt())
                      .arg(window.value(QStringLiteral("max_requests")).toInt())
                      .arg(config.rpm)
                      .arg(s.value(QStringLiteral("tokens_out")).toInt()));
    return runner.done() ? 0 : 1;
}

} // namespace sluice
