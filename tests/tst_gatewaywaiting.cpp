// What the gateway tells a streaming caller while it waits: queue status as SSE comments
// (places falling, then the stream; an error event when it is refused after all) and the ETA's
// error under three times overload.
#include "core/server/gateway/gatewayserver.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/gatewayfixture.h"
#include "tests/support/httptestclient.h"
#include "tests/support/mockfixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

// A streaming reply read as it arrives: SSE comments apart (an SDK drops them), with times.
struct Stream {
    QNetworkReply* reply = nullptr;
    QElapsedTimer clock;
    QByteArray raw;
    QList<std::pair<qint64, QByteArray>> comments; ///< (ms since sent, comment text)
    qint64 headersMs = -1, firstDataMs = -1;
};

void watch(Stream& s, QObject* context) {
    s.clock.start();
    QObject::connect(s.reply, &QNetworkReply::metaDataChanged, context, [&s] {
        if (s.headersMs < 0) {
            s.headersMs = s.clock.elapsed();
        }
    });
    QObject::connect(s.reply, &QNetworkReply::readyRead, context, [&s] {
        const QByteArray bytes = s.reply->readAll();
        s.raw += bytes;
        for (const QByteArray& line : bytes.split('\n')) {
            if (line.startsWith(':')) {
                s.comments.append({s.clock.elapsed(), line});
            } else if (line.startsWith("data:") && s.firstDataMs < 0) {
                s.firstDataMs = s.clock.elapsed();
            }
        }
    });
}

// "ahead" and "eta" of ": queued 12 ahead, eta 3.2s".
std::pair<int, double> parseComment(const QByteArray& line) {
    const QList<QByteArray> words = line.split(' ');
    int ahead = -1;
    double eta = -1;
    for (qsizetype i = 0; i + 1 < words.size(); ++i) {
        if (words[i] == "queued") {
            ahead = words[i + 1].toInt();
        } else if (words[i] == "eta") {
            eta = words[i + 1].chopped(1).toDouble();
        }
    }
    return {ahead, eta};
}

double quantile(std::vector<double> v, double q) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

} // namespace

class TestGatewayWaiting final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void queueStatusWhileWaitingThenTheStream();
    void queueStatusThenRejectedIsAnErrorEvent_data();
    void queueStatusThenRejectedIsAnErrorEvent();
    void etaErrorUnderThreeTimesOverload();
};

void TestGatewayWaiting::queueStatusWhileWaitingThenTheStream() {
    MockServer mock(test::unlimitedMock(250, 10, 3));
    QVERIFY(mock.listen());
    GatewayServer gateway(test::keyedGatewayFor(mock, 1));
    gateway.setQueueStatusInterval(50ms);
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    std::vector<std::unique_ptr<Stream>> streams;
    for (int i = 0; i < 4; ++i) {
        QNetworkRequest r = test::jsonRequest(test::gatewayUrl(gateway, "/v1/chat/completions"), i);
        r.setRawHeader("x-sluice-queue-status", "1");
        auto s = std::make_unique<Stream>();
        s->reply = nam.post(r, test::chatBody(QStringLiteral("hi"), true));
        watch(*s, this);
        streams.push_back(std::move(s));
        QVERIFY(
            test::runUntil([&] { return gateway.engine().active() == std::size_t(i + 1); }, 5000));
    }
    for (auto& s : streams) {
        QSignalSpy done(s->reply, &QNetworkReply::finished);
        QVERIFY(s->reply->isFinished() || done.wait(10000));
        QCOMPARE(s->reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    }
    const Stream& last = *streams.back();
    // Headers at once, long before its turn; then comments whose place only falls; then the
    // normal stream, whose events an SDK reads with the comments dropped.
    QVERIFY(last.headersMs >= 0 && last.headersMs < 200);
    QVERIFY2(last.comments.size() >= 3, qPrintable(QString::number(last.comments.size())));
    int previous = 1000;
    for (const auto& [at, text] : last.comments) {
        const auto [ahead, eta] = parseComment(text);
        QVERIFY2(ahead >= 0 && ahead <= previous, text.constData());
        previous = ahead;
    }
    QCOMPARE(parseComment(last.comments.front().second).first, 2);
    QCOMPARE(previous, 0);
    QVERIFY(last.comments.back().first <= last.firstDataMs);
    const QList<test::SseEvent> events = test::parseSse(last.raw);
    QVERIFY(events.size() >= 4);
    QCOMPARE(events.back().data, QByteArray("[DONE]"));
    for (const test::SseEvent& e : events.mid(0, events.size() - 1)) {
        QVERIFY2(QJsonDocument::fromJson(e.data).isObject(), e.data.constData());
    }
    // The first one never waited: no comments.
    QVERIFY(streams.front()->comments.isEmpty());
    QCOMPARE(gateway.statsJson()
                 .value(QLatin1String("answers_by_status"))
                 .toObject()
                 .value(QLatin1String("200"))
                 .toInt(),
             4);
}

void TestGatewayWaiting::queueStatusThenRejectedIsAnErrorEvent_data() {
    QTest::addColumn<bool>("anthropic");
    QTest::newRow("openai") << false;
    QTest::newRow("anthropic") << true;
}

void TestGatewayWaiting::queueStatusThenRejectedIsAnErrorEvent() {
    QFETCH(bool, anthropic);
    MockServer mock(test::unlimitedMock(2000, 0, 1));
    QVERIFY(mock.listen());
    GatewayConfig c = test::keyedGatewayFor(mock, 1);
    c.queueTimeout = 300ms;
    GatewayServer gateway(c);
    gateway.setQueueStatusInterval(50ms);
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    const char* path = anthropic ? "/v1/messages" : "/v1/chat/completions";
    const QByteArray body = anthropic ? test::messagesBody(QStringLiteral("hi"), true)
                                      : test::chatBody(QStringLiteral("hi"), true);
    QNetworkReply* holder = nam.post(test::jsonRequest(test::gatewayUrl(gateway, path)), body);
    QVERIFY(test::runUntil([&] { return gateway.engine().inFlight() == 1; }, 5000));
    QNetworkRequest r = test::jsonRequest(test::gatewayUrl(gateway, path), 1);
    r.setRawHeader("x-sluice-queue-status", "1");
    Stream s;
    s.reply = nam.post(r, body);
    watch(s, this);
    QSignalSpy done(s.reply, &QNetworkReply::finished);
    QVERIFY(done.wait(5000));
    QCOMPARE(s.reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QVERIFY(!s.comments.isEmpty());
    // Timed out in the queue: one error event in the caller's format, a clean end, no [DONE].
    const QList<test::SseEvent> events = test::parseSse(s.raw);
    QCOMPARE(events.size(), 1);
    const QJsonObject error = QJsonDocument::fromJson(events[0].data).object();
    if (anthropic) {
        QCOMPARE(events[0].event, QByteArray("error"));
        QCOMPARE(
            error.value(QLatin1String("error")).toObject().value(QLatin1String("type")).toString(),
            QStringLiteral("overloaded_error"));
    } else {
        QCOMPARE(
            error.value(QLatin1String("error")).toObject().value(QLatin1String("code")).toString(),
            QStringLiteral("server_overloaded"));
    }
    QVERIFY(!s.raw.contains("[DONE]"));
    QCOMPARE(s.reply->error(), QNetworkReply::NoError);
    holder->abort();
    holder->deleteLater();
    s.reply->deleteLater();
}

void TestGatewayWaiting::etaErrorUnderThreeTimesOverload() {
    // Capacity 4 slots / 200 ms = 20 req/s; offered 60 req/s for 3 s.
    MockConfig m = test::unlimitedMock(200, 0, 1);
    m.jitter = 0.2;
    MockServer mock(m);
    QVERIFY(mock.listen());
    GatewayConfig c = test::keyedGatewayFor(mock, 4);
    c.queueTimeout = 60s;
    GatewayServer gateway(c);
    gateway.setQueueStatusInterval(100ms);
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    constexpr int kRequests = 180;
    std::vector<std::unique_ptr<Stream>> streams;
    QTimer pace;
    pace.setTimerType(Qt::PreciseTimer);
    pace.setInterval(1000 / 60);
    connect(&pace, &QTimer::timeout, this, [&] {
        const int i = static_cast<int>(streams.size());
        QNetworkRequest r =
            test::jsonRequest(test::gatewayUrl(gateway, "/v1/chat/completions"), i / 6);
        r.setRawHeader("x-sluice-queue-status", "1");
        auto s = std::make_unique<Stream>();
        s->reply = nam.post(r, test::chatBody(QStringLiteral("hi"), true));
        watch(*s, this);
        streams.push_back(std::move(s));
        if (streams.size() == kRequests) {
            pace.stop();
        }
    });
    pace.start();
    QVERIFY(test::runUntil(
        [&] {
            return streams.size() == kRequests &&
                   std::all_of(streams.begin(), streams.end(),
                               [](const auto& s) { return s->reply->isFinished(); });
        },
        60000));
    // For every comment: the ETA it gave against the wait that followed (until the first
    // event, less the mock's time to first token). Position must only fall.
    std::vector<double> errors, relative;
    int monotone = 0, waited = 0, front = 0;
    for (const auto& s : streams) {
        QCOMPARE(s->reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        if (s->comments.isEmpty()) {
            continue;
        }
        ++waited;
        int previous = 1 << 30;
        bool falls = true;
        for (const auto& [at, text] : s->comments) {
            const auto [ahead, eta] = parseComment(text);
            falls = falls && ahead <= previous;
            previous = ahead;
            if (eta < 0) {
                continue;
            }
            const double actual = static_cast<double>(s->firstDataMs - 200 - at) / 1000;
            if (actual > 0.2) {
                errors.push_back(std::abs(eta - actual));
                relative.push_back(std::abs(eta - actual) / actual);
            }
        }
        monotone += falls ? 1 : 0;
        // Four slots free at once at times: a request leaves from any of the first four places
        // between two comments.
        front += previous < 4 ? 1 : 0;
    }
    qInfo("3x overload: %d of %d waited, %d with positions only falling, %d told a place < 4 "
          "last; ETA error over %zu reports: median %.2f s (%.0f%%), p90 %.2f s (%.0f%%)",
          waited, kRequests, monotone, front, errors.size(), quantile(errors, 0.5),
          100 * quantile(relative, 0.5), quantile(errors, 0.9), 100 * quantile(relative, 0.9));
    QVERIFY(waited > kRequests / 2);
    QCOMPARE(monotone, waited);
    QCOMPARE(front, waited);
    QVERIFY(errors.size() > 100);
    QVERIFY2(quantile(relative, 0.5) < 0.5, qPrintable(QString::number(quantile(relative, 0.5))));
}

QTEST_GUILESS_MAIN(TestGatewayWaiting)
#include "tst_gatewaywaiting.moc"
