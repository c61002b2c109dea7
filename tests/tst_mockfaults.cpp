// The mock's faults as a client meets them: provider errors and quota answers, resets before
// and during the answer, stalls after the head, error events mid-stream, and replies cut off
// halfway (the raw bytes, read below the HTTP client).
#include "core/engine/clock.h"
#include "core/goduration.h"
#include "core/server/mock/mockerrors.h"
#include "core/server/mock/mockprotocol.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/httptestclient.h"
#include "tests/support/mockserverfixture.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QTest>

#include <memory>

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

MockConfig fastConfig() {
    return fastMockConfig();
}

QJsonObject data(const SseEvent& e) {
    return QJsonDocument::fromJson(e.data).object();
}

} // namespace

class TestMockFaults final : public QObject, public MockServerFixture {
    Q_OBJECT

private Q_SLOTS:
    void init() { setUpClient(); }
    void cleanup() { tearDown(); }
    void faults_data();
    void faults();
    void stallSendsHeadersThenSilence();
    void midstreamErrorInStream_data();
    void midstreamErrorInStream();
    void streamsBreakOffHalfway_data();
    void streamsBreakOffHalfway();
};

void TestMockFaults::faults_data() {
    QTest::addColumn<QString>("fault");
    QTest::addColumn<bool>("anthropic");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("errorType");
    QTest::addColumn<QString>("statusKey");
    QTest::newRow("500 openai") << QStringLiteral("500") << false << 500
                                << QStringLiteral("server_error") << QStringLiteral("500");
    QTest::newRow("500 anthropic") << QStringLiteral("500") << true << 500
                                   << QStringLiteral("api_error") << QStringLiteral("500");
    QTest::newRow("503") << QStringLiteral("503") << false << 503 << QStringLiteral("server_error")
                         << QStringLiteral("503");
    QTest::newRow("529 anthropic") << QStringLiteral("529") << true << 529
                                   << QStringLiteral("overloaded_error") << QStringLiteral("529");
    QTest::newRow("529 on openai is 503")
        << QStringLiteral("529") << false << 503 << QStringLiteral("server_error")
        << QStringLiteral("503");
    QTest::newRow("quota openai") << QStringLiteral("quota") << false << 429
                                  << QStringLiteral("insufficient_quota") << QStringLiteral("429");
    QTest::newRow("reset") << QStringLiteral("reset") << false << 0 << QString()
                           << QStringLiteral("reset");
    QTest::newRow("midstream whole reply is cut")
        << QStringLiteral("midstream") << false << 200 << QString() << QStringLiteral("200");
    QTest::newRow("reset_midstream whole reply")
        << QStringLiteral("reset_midstream") << false << 200 << QString()
        << QStringLiteral("reset_midstream");
    QTest::newRow("truncate whole reply")
        << QStringLiteral("truncate") << false << 200 << QString() << QStringLiteral("truncated");
}

void TestMockFaults::faults() {
    QFETCH(QString, fault);
    QFETCH(bool, anthropic);
    QFETCH(int, status);
    QFETCH(QString, errorType);
    QFETCH(QString, statusKey);
    MockConfig c = fastConfig();
    c.stallMs = 300;
    QVERIFY(c.apply(QJsonObject{{QStringLiteral("faults"), QJsonObject{{fault, 1.0}}}}));
    start(c);
    const Response r = anthropic
                           ? post(*m_nam, url(QStringLiteral("/v1/messages")), messagesBody())
                           : post(*m_nam, url(QStringLiteral("/v1/chat/completions")), chatBody());
    QCOMPARE(r.status, status);
    if (!errorType.isEmpty()) {
        QCOMPARE(r.error != QNetworkReply::NoError, true);
        const QJsonObject error = r.json()[QStringLiteral("error")].toObject();
        QCOMPARE(error[QStringLiteral("type")].toString(), errorType);
        QVERIFY(!error[QStringLiteral("message")].toString().isEmpty());
        if (fault == QLatin1String("quota")) {
            QCOMPARE(error[QStringLiteral("code")].toString(),
                     QStringLiteral("insufficient_quota"));
            QVERIFY(!r.hasHeader("retry-after"));
        }
    } else if (fault == QLatin1String("reset")) {
        QVERIFY(r.error != QNetworkReply::NoError);
    } else {
        // stall and midstream: headers arrive, the body never completes.
        QVERIFY(r.error != QNetworkReply::NoError);
        QVERIFY(QJsonDocument::fromJson(r.body).isNull());
    }
    QTRY_COMPARE(m_server->statsJson()[QStringLiteral("concurrent")].toInt(), 0);
    // A client may resend a request whose connection died before any answer (QNAM does, once):
    // whatever arrived ended the same way.
    const QJsonObject s = stats();
    QVERIFY(s[QStringLiteral("requests")].toInt() >= 1);
    QCOMPARE(s[QStringLiteral("by_status")][statusKey].toInt(),
             s[QStringLiteral("requests")].toInt());
}

void TestMockFaults::stallSendsHeadersThenSilence() {
    MockConfig c = fastConfig();
    c.stallMs = 400;
    c.faults.stall = 1.0;
    start(c);
    QElapsedTimer clock;
    clock.start();
    const QByteArray body = chatBody();
    const RawResult raw =
        rawExchange(m_server->port(),
                    "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Type: "
                    "application/json\r\nContent-Length: " +
                        QByteArray::number(body.size()) + "\r\n\r\n" + body,
                    5000, 3000);
    QVERIFY(raw.data.startsWith("HTTP/1.1 200 OK\r\n"));
    QVERIFY(raw.data.endsWith("\r\n\r\n")); // headers only: not one byte of body
    QVERIFY(raw.closedByServer);
    QVERIFY(clock.elapsed() >= 400);
    QTRY_COMPARE(m_server->statsJson()[QStringLiteral("concurrent")].toInt(), 0);
    QCOMPARE(stats()[QStringLiteral("by_status")][QStringLiteral("stall")].toInt(), 1);
}

void TestMockFaults::midstreamErrorInStream_data() {
    QTest::addColumn<bool>("anthropic");
    QTest::newRow("openai") << false;
    QTest::newRow("anthropic") << true;
}

void TestMockFaults::midstreamErrorInStream() {
    QFETCH(bool, anthropic);
    MockConfig c = fastConfig();
    c.faults.midstream = 1.0;
    start(c);
    const Response r = anthropic ? post(*m_nam, url(QStringLiteral("/v1/messages")),
                                        messagesBody(QStringLiteral("hi"), true))
                                 : post(*m_nam, url(QStringLiteral("/v1/chat/completions")),
                                        chatBody(QStringLiteral("hi"), true));
    QCOMPARE(r.status, 200);
    const QList<SseEvent> events = parseSse(r.body);
    QVERIFY(!events.isEmpty());
    const SseEvent last = events.last();
    if (anthropic) {
        QCOMPARE(last.event, QByteArray("error"));
        QCOMPARE(data(last)[QStringLiteral("error")][QStringLiteral("type")].toString(),
                 QStringLiteral("overloaded_error"));
    } else {
        QVERIFY(data(last).contains(QStringLiteral("error")));
        QVERIFY(!r.body.contains("[DONE]"));
    }
    int tokens = 0;
    for (const SseEvent& e : events) {
        tokens += e.data.contains("\"content\":\"") || e.event == "content_block_delta" ? 1 : 0;
    }
    QVERIFY(tokens >= 1 && tokens < 8);
    QCOMPARE(stats()[QStringLiteral("midstream_faults")].toInt(), 1);
}

void TestMockFaults::streamsBreakOffHalfway_data() {
    QTest::addColumn<QString>("fault");
    QTest::addColumn<bool>("reset");
    QTest::addColumn<QString>("statusKey");
    QTest::newRow("reset_midstream")
        << QStringLiteral("reset_midstream") << true << QStringLiteral("reset_midstream");
    QTest::newRow("truncate") << QStringLiteral("truncate") << false << QStringLiteral("truncated");
}

// Half the events arrive in proper chunks, then the connection goes: by RST, or by FIN without
// the final zero-length chunk (truncated chunked encoding).
void TestMockFaults::streamsBreakOffHalfway() {
    QFETCH(QString, fault);
    QFETCH(QString, statusKey);
    MockConfig c = fastConfig();
    QVERIFY(c.apply(QJsonObject{{QStringLiteral("faults"), QJsonObject{{fault, 1.0}}}}));
    start(c);
    const QByteArray body = chatBody(QStringLiteral("hi"), true);
    const RawResult raw =
        rawExchange(m_server->port(),
                    "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Type: "
                    "application/json\r\nContent-Length: " +
                        QByteArray::number(body.size()) + "\r\n\r\n" + body,
                    5000, 3000);
    QVERIFY(raw.data.startsWith("HTTP/1.1 200 OK\r\n"));
    QVERIFY(raw.data.contains("transfer-encoding: chunked") ||
            raw.data.contains("Transfer-Encoding: chunked"));
    const int tokens = int(raw.data.count("\"content\":\"")) - 1; // the role chunk has ""
    QVERIFY2(tokens >= 1 && tokens < 8, raw.data.constData());
    QVERIFY(!raw.data.contains("[DONE]"));
    QVERIFY(!raw.data.endsWith("0\r\n\r\n")); // never the final chunk
    // Whether the client reads the RST as a reset or as a close depends on timing: both end it.
    QVERIFY(raw.closedByServer);
    QTRY_COMPARE(m_server->statsJson()[QStringLiteral("concurrent")].toInt(), 0);
    QCOMPARE(stats()[QStringLiteral("by_status")][statusKey].toInt(), 1);
    QCOMPARE(stats()[QStringLiteral("midstream_faults")].toInt(), 0);
}

QTEST_GUILESS_MAIN(TestMockFaults)
#include "tst_mockfaults.moc"
