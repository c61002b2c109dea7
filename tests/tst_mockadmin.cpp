// The mock's admin endpoints: live config, reset, revoking a key, and the 404/405 answers of
// what it does not serve.
#include "core/net/llmformat.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/httptestclient.h"
#include "tests/support/mockserverfixture.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>

using namespace sluice;
using namespace sluice::test;

namespace {

MockConfig fastConfig() {
    return fastMockConfig();
}

} // namespace

class TestMockAdmin final : public QObject, public MockServerFixture {
    Q_OBJECT

private Q_SLOTS:
    void init() { setUpClient(); }
    void cleanup() { tearDown(); }

    void liveConfigStartsWaitingRequests();
    void badConfigIsRejected();
    void revokedKeyIsRefused();
    void revokeNamesTheKeyField();
    void adminWrongMethodGets405_data();
    void adminWrongMethodGets405();
    void adminUnknownPathGets404();
    void resetClearsCounters();

private:
    Response chatAs(const QByteArray& key) {
        QNetworkRequest request = jsonRequest(url(QStringLiteral("/v1/chat/completions")));
        request.setRawHeader("Authorization", "Bearer " + key);
        return waitFor(m_nam->post(request, chatBody()));
    }
};

void TestMockAdmin::liveConfigStartsWaitingRequests() {
    MockConfig c = fastConfig();
    c.capacity = 1;
    c.ttftMs = 3000;
    start(c);
    QList<QNetworkReply*> replies;
    for (int i = 0; i < 4; ++i) {
        replies.append(
            m_nam->post(jsonRequest(url(QStringLiteral("/v1/chat/completions")), i), chatBody()));
    }
    QTRY_COMPARE(m_server->statsJson()[QStringLiteral("waiting")].toInt(), 3);
    QCOMPARE(m_server->statsJson()[QStringLiteral("in_service")].toInt(), 1);
    const Response changed = postConfig(R"({"capacity": 4})");
    QCOMPARE(changed.status, 200);
    QCOMPARE(changed.json()[QStringLiteral("capacity")].toInt(), 4);
    // The change applies at once: all four are in service well before the first would finish.
    const QJsonObject s = m_server->statsJson();
    QCOMPARE(s[QStringLiteral("in_service")].toInt(), 4);
    QCOMPARE(s[QStringLiteral("waiting")].toInt(), 0);
    for (QNetworkReply* reply : replies) {
        reply->abort();
        reply->deleteLater();
    }
    QTRY_COMPARE(m_server->statsJson()[QStringLiteral("in_service")].toInt(), 0);
    QTRY_COMPARE(
        m_server->statsJson()[QStringLiteral("by_status")][QStringLiteral("client_closed")].toInt(),
        4);
    QCOMPARE(m_server->statsJson()[QStringLiteral("concurrent")].toInt(), 0);
}

void TestMockAdmin::badConfigIsRejected() {
    start(fastConfig());
    const MockConfig before = m_server->config();
    for (const QByteArray& body :
         {QByteArray(R"({"capacity": 0})"), QByteArray(R"({"rpm": "fast"})"),
          QByteArray(R"({"nonsense": 1})"), QByteArray("not json"), QByteArray("[]")}) {
        const Response r = postConfig(body);
        QCOMPARE(r.status, 400);
        QVERIFY(!r.json()[QStringLiteral("error")][QStringLiteral("message")].toString().isEmpty());
    }
    const Response r = postConfig(R"({"capacity": 0})");
    QCOMPARE(r.json()[QStringLiteral("error")][QStringLiteral("param")].toString(),
             QStringLiteral("capacity"));
    QVERIFY(m_server->config() == before);
    QCOMPARE(
        get(*m_nam, url(QStringLiteral("/mock/config"))).json()[QStringLiteral("capacity")].toInt(),
        before.capacity);
}

void TestMockAdmin::revokedKeyIsRefused() {
    start(fastConfig());
    const QByteArray key = "sk-test-revoked-key-0001";
    QCOMPARE(chatAs(key).status, 200);
    const Response revoked =
        post(*m_nam, url(QStringLiteral("/mock/revoke")), R"({"key": "sk-test-revoked-key-0001"})");
    QCOMPARE(revoked.status, 200);
    // The answer names the key masked, never in clear.
    QCOMPARE(revoked.json().value(QStringLiteral("revoked")).toString(), maskKey(key));
    QVERIFY(!revoked.body.contains(key));
    const Response refused = chatAs(key);
    QCOMPARE(refused.status, 401);
    QCOMPARE(refused.json()[QStringLiteral("error")][QStringLiteral("code")].toString(),
             QStringLiteral("invalid_api_key"));
    QCOMPARE(chatAs("sk-test-other-key-0002").status, 200); // only that key
}

void TestMockAdmin::revokeNamesTheKeyField() {
    start(fastConfig());
    for (const QByteArray& body :
         {QByteArray("{}"), QByteArray(R"({"key": ""})"), QByteArray("not json")}) {
        const Response r = post(*m_nam, url(QStringLiteral("/mock/revoke")), body);
        QCOMPARE(r.status, 400);
        const QJsonObject error = r.json()[QStringLiteral("error")].toObject();
        QCOMPARE(error[QStringLiteral("param")].toString(), QStringLiteral("key"));
        QVERIFY(error[QStringLiteral("message")].toString().startsWith(QStringLiteral("key: ")));
    }
}

void TestMockAdmin::adminWrongMethodGets405_data() {
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("allow");
    QTest::newRow("POST stats") << QByteArray("POST") << QByteArray("/mock/stats")
                                << QByteArray("GET, HEAD");
    QTest::newRow("DELETE stats") << QByteArray("DELETE") << QByteArray("/mock/stats")
                                  << QByteArray("GET, HEAD");
    QTest::newRow("PUT config") << QByteArray("PUT") << QByteArray("/mock/config")
                                << QByteArray("GET, HEAD, POST");
    QTest::newRow("GET reset") << QByteArray("GET") << QByteArray("/mock/reset")
                               << QByteArray("POST");
    QTest::newRow("GET pause") << QByteArray("GET") << QByteArray("/mock/pause")
                               << QByteArray("POST");
    QTest::newRow("DELETE pause") << QByteArray("DELETE") << QByteArray("/mock/pause")
                                  << QByteArray("POST");
    QTest::newRow("POST health") << QByteArray("POST") << QByteArray("/health")
                                 << QByteArray("GET, HEAD");
}

void TestMockAdmin::adminWrongMethodGets405() {
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, allow);
    start(fastConfig());
    const RawResult raw =
        rawExchange(m_server->port(), method + ' ' + path +
                                          " HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
                                          "Connection: close\r\n\r\n{}");
    QVERIFY2(raw.data.startsWith("HTTP/1.1 405 Method Not Allowed\r\n"), raw.data.constData());
    QVERIFY2(raw.data.contains("\r\nallow: " + allow + "\r\n"), raw.data.constData());
    const QJsonObject error =
        QJsonDocument::fromJson(raw.data.mid(raw.data.indexOf("\r\n\r\n") + 4))
            .object()[QStringLiteral("error")]
            .toObject();
    QCOMPARE(error[QStringLiteral("type")].toString(), QStringLiteral("invalid_request_error"));
    QVERIFY(error[QStringLiteral("message")].toString().contains(QString::fromLatin1(method)));
    // Refused, so nothing happened: the counters were not reset, the server not paused.
    QCOMPARE(post(*m_nam, url(QStringLiteral("/v1/chat/completions")), chatBody()).status, 200);
    QCOMPARE(stats()[QStringLiteral("requests")].toInt(), 1);
}

void TestMockAdmin::adminUnknownPathGets404() {
    start(fastConfig());
    for (const char* method : {"GET", "POST"}) {
        const RawResult raw =
            rawExchange(m_server->port(), QByteArray(method) +
                                              " /mock/nothing HTTP/1.1\r\nHost: a\r\n"
                                              "Content-Length: 0\r\nConnection: close\r\n\r\n");
        QVERIFY2(raw.data.startsWith("HTTP/1.1 404 "), raw.data.constData());
        QVERIFY(!raw.data.contains("\r\nallow: "));
    }
    // HEAD is answered wherever GET is: the same head, no body.
    const RawResult head =
        rawExchange(m_server->port(), "HEAD /mock/stats HTTP/1.1\r\nHost: a\r\n\r\n");
    QVERIFY2(head.data.startsWith("HTTP/1.1 200 OK\r\n"), head.data.constData());
    QVERIFY(head.data.endsWith("\r\n\r\n"));
}

void TestMockAdmin::resetClearsCounters() {
    start(fastConfig());
    QCOMPARE(post(*m_nam, url(QStringLiteral("/v1/chat/completions")), chatBody()).status, 200);
    QCOMPARE(stats()[QStringLiteral("requests")].toInt(), 1);
    const Response reset = post(*m_nam, url(QStringLiteral("/mock/reset")), {});
    QCOMPARE(reset.status, 200);
    const QJsonObject s = stats();
    QCOMPARE(s[QStringLiteral("requests")].toInt(), 0);
    QCOMPARE(s[QStringLiteral("peak_concurrent")].toInt(), 0);
    QCOMPARE(s[QStringLiteral("window")][QStringLiteral("max_requests")].toInt(), 0);
}

QTEST_GUILESS_MAIN(TestMockAdmin)
#include "tst_mockadmin.moc"
