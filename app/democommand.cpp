#include "app/democommand.h"

#include "app/commandline.h"
#include "app/signalwatcher.h"
#include "core/server/mock/mockserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>

#include <QCoro/QCoroNetworkReply>
#include <QCoro/QCoroTask>
#include <QCoro/QCoroTimer>

#include <map>

namespace sluice {

namespace {

/// Closed-loop demo traffic: `concurrency` workers, each sending one streaming request after
/// another until the deadline. A 429 waits for Retry-After. Owned by runDemoCommand, which only
/// returns after every worker has finished, so `this` outlives the coroutines.
class DemoRunner final : public QObject {
public:
    DemoRunner(MockServer* mock, int concurrency, std::chrono::milliseconds duration)
        : m_mock(mock)
        , m_duration(duration)
        , m_running(concurrency) {
        m_clock.start();
        for (int i = 0; i < concurrency; ++i) {
            worker(i);
        }
    }

    bool done() const { return m_running == 0; }
    const std::map<int, int>& statuses() const { return m_statuses; }
    void stop() { m_stopped = true; }

private:
    QCoro::Task<> worker(int slot) {
        QNetworkRequest request(
            QUrl(m_mock->baseUrl().toString() + QStringLiteral("/v1/chat/completions")));
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        // One QNAM opens 6 connections per host; a distinct peer name per 6 workers opens more.
        request.setPeerVerifyName(QStringLiteral("pool%1").arg(slot / 6));
        const QByteArray body =
            QJsonDocument(QJsonObject{{QStringLiteral("model"), QStringLiteral("mock-gpt")},
                                      {QStringLiteral("stream"), true},
                                      {QStringLiteral("max_tokens"), 64},
                                      {QStringLiteral("messages"),
                                       QJsonArray{QJsonObject{
                                           {QStringLiteral("role"), QStringLiteral("user")},
                                           {QStringLiteral("content"),
                                            QStringLiteral("Say something about rivers.")}}}}})
                .toJson(QJsonDocument::Compact);
        try {
            while (!m_stopped && m_clock.elapsed() < m_duration.count()) {
                QNetworkReply* raw = m_nam.post(request, body);
                co_await raw;
                const int status = raw->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                ++m_statuses[status];
                const QByteArray retryMs = raw->rawHeader("retry-after-ms");
                raw->deleteLater();
                if (status == 429) {
                    const qint64 left = m_duration.count() - m_clock.elapsed();
                    const qint64 wait =
                        std::min<qint64>(std::max<qint64>(retryMs.toLongLong(), 50), left);
                    if (wait > 0) {
                        co_await QCoro::sleepFor(std::chrono::milliseconds(wait));
                    }
                }
            }
        } catch (const std::exception& e) {
            cli::printError(
                QStringLiteral("demo worker failed: %1").arg(QString::fromUtf8(e.what())));
        }
        --m_running;
    }

    MockServer* m_mock;
    std::chrono::milliseconds m_duration;
    QNetworkAccessManager m_nam;
    QElapsedTimer m_clock;
    std::map<int, int> m_statuses;
    int m_running;
    bool m_stopped = false;
};

} // namespace

int runDemoCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Starts the built-in mock (capacity 4, 40 requests/min) and sends streaming "
                       "traffic at it,\n"
                       "printing each second what the server saw."));
    parser.addHelpOption();
    const QCommandLineOption duration(QStringLiteral("duration"),
                                      QStringLiteral("How long to run."),
                                      QStringLiteral("duration"), QStringLiteral("6s"));
    const QCommandLineOption concurrency(QStringLiteral("concurrency"),
                                         QStringLiteral("Requests kept in flight."),
                                         QStringLiteral("n"), QStringLiteral("12"));
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
    config.rpm = 40;
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
    cli::printOut(QStringLiteral("Mock LLM server on %1 (capacity %2, %3 requests/min). Sending %4 "
                                 "streams for %5 ms...")
                      .arg(mock.baseUrl().toString())
                      .arg(config.capacity)
                      .arg(config.rpm)
                      .arg(*concurrencyValue)
                      .arg(durationValue->count()));
    cli::printOut(QStringLiteral("  sec  in-flight  in-service  waiting  ok(200)  limited(429)"));

    DemoRunner runner(&mock, static_cast<int>(*concurrencyValue), *durationValue);
    SignalWatcher watcher;
    QObject::connect(&watcher, &SignalWatcher::terminationRequested, &runner,
                     [&runner] { runner.stop(); });
    int second = 0;
    QTimer ticker;
    QObject::connect(&ticker, &QTimer::timeout, &runner, [&] {
        const QJsonObject s = mock.statsJson();
        const QJsonObject statuses = s.value(QStringLiteral("by_status")).toObject();
        cli::printOut(QStringLiteral("  %1  %2  %3  %4  %5  %6")
                          .arg(++second, 3)
                          .arg(s.value(QStringLiteral("concurrent")).toInt(), 9)
                          .arg(s.value(QStringLiteral("in_service")).toInt(), 10)
                          .arg(s.value(QStringLiteral("waiting")).toInt(), 7)
                          .arg(statuses.value(QStringLiteral("200")).toInt(), 7)
                          .arg(statuses.value(QStringLiteral("429")).toInt(), 12));
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
