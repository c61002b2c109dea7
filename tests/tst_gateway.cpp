// The gateway in front of the in-process mock, judged by the mock's own counters: streaming
// pass-through, honest overload answers, request status, callers leaving, live limits, admin.
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

using namespace sluice;
using namespace std::chrono_literals;

class TestGateway final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void upstreamPathsDoNotDoubleV1_data();
    void upstreamPathsDoNotDoubleV1();
    void configRefusesWhatItCannotDo();
    void streamsEventsAsTheyArrive();
    void overloadIsAnsweredAtOnceWithRetryAfter();
    void upstreamSeesTheConcurrencyAsked();
    void queuedPositionFallsToZero();
    void callerLeavingStopsItsRequest_data();
    void callerLeavingStopsItsRequest();
    void upstreamErrorsPassThrough();
    void upstreamDyingMidStreamIsNeverACleanEnd();
    void limitsChangeLiveThroughTheAdminApi();
    void adminNeedsTheTokenWhenSet();
    void metricsHaveTheFamiliesAndNoKey();

private:
    static GatewayConfig gatewayFor(const MockServer& mock, int maxConcurrent, int queue = 1000) {
        return test::gatewayFor(mock.baseUrl(), maxConcurrent, queue);
    }
    static QUrl url(const GatewayServer& g, const QString& path) {
        return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(g.port()).arg(path));
    }
    static QUrl url(const GatewayServer& g, const char* path) {
        return url(g, QString::fromLatin1(path));
    }
    static QJsonObject mockStats(MockServer& mock) { return mock.statsJson(); }
};

void TestGateway::upstreamPathsDoNotDoubleV1_data() {
    QTest::addColumn<QByteArray>("base");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("openai base with /v1")
        << QByteArray("https://api.openai.com/v1") << QByteArray("/v1/chat/completions")
        << QByteArray("https://api.openai.com/v1/chat/completions");
    QTest::newRow("trailing slash")
        << QByteArray("https://api.openai.com/v1/") << QByteArray("/v1/models")
        << QByteArray("https://api.openai.com/v1/models");
    QTest::newRow("anthropic base without /v1")
        << QByteArray("https://api.anthropic.com") << QByteArray("/v1/messages")
        << QByteArray("https://api.anthropic.com/v1/messages");
    QTest::newRow("mock") << QByteArray("http://127.0.0.1:8787/v1") << QByteArray("/v1/embeddings")
                          << QByteArray("http://127.0.0.1:8787/v1/embeddings");
    QTest::newRow("prefix kept") << QByteArray("https://example.com/openai/v1")
                                 << QByteArray("/v1/chat/completions")
                                 << QByteArray("https://example.com/openai/v1/chat/completions");
}

void TestGateway::upstreamPathsDoNotDoubleV1() {
    QFETCH(QByteArray, base);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, expected);
    GatewayConfig c;
    c.upstream = QUrl(QString::fromLatin1(base));
    QCOMPARE(c.upstreamFor(path, {}).toString(), QString::fromLatin1(expected));
}

void TestGateway::configRefusesWhatItCannotDo() {
    GatewayConfig c;
    c.upstream = QUrl(QStringLiteral("http://127.0.0.1:1/v1"));
    auto bad = c.applyLimits({{QStringLiteral("max_concurrent"), 0}});
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().field, QStringLiteral("max_concurrent"));
    QCOMPARE(c.maxConcurrent, 100); // nothing changed
    auto restart = c.applyLimits({{QStringLiteral("upstream"), QStringLiteral("http://x/v1")}});
    QVERIFY(!restart.ok());
    QVERIFY(restart.error().message.contains(QLatin1String("restart")));
    auto unknown = c.applyLimits({{QStringLiteral("max_concurency"), 5}});
    QVERIFY(!unknown.ok());
    QCOMPARE(unknown.error().field, QStringLiteral("max_concurency"));
    QVERIFY(
        c.applyLimits({{QStringLiteral("max_concurrent"), 7}, {QStringLiteral("rpm"), 60}}).ok());
    QCOMPARE(c.maxConcurrent, 7);
    QCOMPARE(c.version, 2);
    // What GET /admin/config answers can be posted back as it is.
    QVERIFY(c.applyLimits(c.toJson()).ok());
}

void TestGateway::streamsEventsAsTheyArrive() {
    MockServer mock(test::unlimitedMock(50, 80, 5));
    QVERIFY(mock.listen());
    GatewayServer gateway(gatewayFor(mock, 10));
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    QNetworkReply* reply = nam.post(test::jsonRequest(url(gateway, "/v1/chat/completions")),
                                    test::chatBody(QStringLiteral("hi"), true));
    QElapsedTimer clock;
    clock.start();
    std::vector<qint64> arrivals;
    QByteArray body;
    connect(reply, &QNetworkReply::readyRead, this, [&] {
        const QByteArray bytes = reply->readAll();
        body += bytes;
        if (bytes.contains("\"content\":\"") && !bytes.contains("\"content\":\"\"")) {
            arrivals.push_back(clock.elapsed());
        }
    });
    QSignalSpy done(reply, &QNetworkReply::finished);
    QVERIFY(done.wait(10000));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QVERIFY(!reply->rawHeader("x-sluice-request-id").isEmpty());
    QCOMPARE(reply->rawHeader("cache-control"), QByteArray("no-cache"));
    QCOMPARE(reply->rawHeader("x-accel-buffering"), QByteArray("no"));
    QVERIFY(body.contains("data: [DONE]"));
    // Five tokens 80 ms apart arrive as five reads, not one buffered lump.
    QVERIFY2(arrivals.size() >= 4, qPrintable(QString::number(arrivals.size())));
    QVERIFY2(arrivals.back() - arrivals.front() >= 200,
             qPrintable(QStringLiteral("%1..%2").arg(arrivals.front()).arg(arrivals.back())));
    reply->deleteLater();
}

void TestGateway::overloadIsAnsweredAtOnceWithRetryAfter() {
    MockServer mock(test::unlimitedMock(1000, 0, 1));
    QVERIFY(mock.listen());
    GatewayServer gateway(gatewayFor(mock, 50, 20));
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    std::vector<QNetworkReply*> replies;
    for (int i = 0; i < 300; ++i) {
        replies.push_back(nam.post(test::jsonRequest(url(gateway, "/v1/chat/completions"), i / 6),
                                   test::chatBody()));
    }
    int ok = 0, overloaded = 0, other = 0;
    for (QNetworkReply* reply : replies) {
        const test::Response r = test::waitFor(reply, 30000);
        if (r.status == 200) {
            ++ok;
        } else if (r.status == 503) {
            ++overloaded;
            QVERIFY(r.header("retry-after").toInt() >= 1);
            QVERIFY(r.header("retry-after-ms").toInt() >= 1000);
            QVERIFY(r.json().value(QStringLiteral("error")).isObject());
        } else {
            ++other;
        }
        reply->deleteLater();
    }
    const QJsonObject stats = mockStats(mock);
    qInfo("ok %d, 503 %d, other %d; mock peak %d, requests %d", ok, overloaded, other,
          stats.value(QStringLiteral("peak_concurrent")).toInt(),
          stats.value(QStringLiteral("requests")).toInt());
    QCOMPARE(other, 0);
    QCOMPARE(ok + overloaded, 300);
    QVERIFY(overloaded > 0);
    // Never above the cap; at it, or close (connections open at their own pace).
    const int peak = stats.value(QStringLiteral("peak_concurrent")).toInt();
    QVERIFY2(peak <= 50 && peak >= 45, qPrintable(QString::number(peak)));
    QCOMPARE(stats.value(QStringLiteral("requests")).toInt(), ok); // nothing else reached it
    const QJsonObject gw = gateway.statsJson();
    QCOMPARE(gw.value(QStringLiteral("done")).toInt(), ok);
    QCOMPARE(gw.value(QStringLiteral("rejected")).toInt(), overloaded);
}

void TestGateway::upstreamSeesTheConcurrencyAsked() {
    MockServer mock(test::unlimitedMock(1000, 0, 1));
    QVERIFY(mock.listen());
    GatewayServer gateway(gatewayFor(mock, 150));
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    std::vector<QNetworkReply*> replies;
    for (int i = 0; i < 150; ++i) {
        replies.push_back(nam.post(test::jsonRequest(url(gateway, "/v1/chat/completions"), i / 6),
                                   test::chatBody()));
    }
    for (QNetworkReply* reply : replies) {
        QCOMPARE(test::waitFor(reply, 30000).status, 200);
        reply->deleteLater();
    }
    QCOMPARE(mockStats(mock).value(QStringLiteral("peak_concurrent")).toInt(), 150);
}

void TestGateway::queuedPositionFallsToZero() {
    MockConfig m = test::unlimitedMock(200, 0, 1);
    m.jitter = 0.5; // completions spread out, so requests leave the queue one at a time
    MockServer mock(m);
    QVERIFY(mock.listen());
    GatewayServer gateway(gatewayFor(mock, 2));
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    std::vector<QNetworkReply*> replies;
    for (int i = 0; i < 10; ++i) {
        replies.push_back(nam.post(test::jsonRequest(url(gateway, "/v1/chat/completions"), i / 6),
                                   test::chatBody()));
    }
    // The last one: its id from the engine, its position watched until it is sent.
    QVERIFY(test::runUntil([&] { return gateway.engine().queued() == 8; }, 5000));
    const std::vector<RequestStatus> all = gateway.engine().statuses();
    const std::uint64_t last = all.at(7).id; // queued ones come first, in dispatch order
    QCOMPARE(all.at(7).position, 7);
    std::int64_t previous = 7;
    int seen = 0;
    while (true) {
        const auto s = gateway.engine().status(last);
        if (!s || s->position < 0) {
            break;
        }
        QVERIFY2(s->position <= previous,
                 qPrintable(QStringLiteral("%1 after %2").arg(s->position).arg(previous)));
        previous = s->position;
        ++seen;
        QTest::qWait(5); // a sampling interval, not a wait for something to happen
    }
    // It reached the front (two slots may free in one event: then it leaves from second place).
    QVERIFY2(previous <= 1, qPrintable(QString::number(previous)));
    QVERIFY(seen > 10);
    // The admin API says the same after the end.
    for (QNetworkReply* reply : replies) {
        QCOMPARE(test::waitFor(reply, 15000).status, 200);
        reply->deleteLater();
    }
    const test::Response detail =
        test::get(nam, url(gateway, QStringLiteral("/admin/requests/%1").arg(last)));
    QCOMPARE(detail.status, 200);
    QCOMPARE(detail.json().value(QStringLiteral("state")).toString(), QStringLiteral("done"));
    QVERIFY(detail.json().value(QStringLiteral("queue_ms")).toDouble() > 100);
}

void TestGateway::callerLeavingStopsItsRequest_data() {
    QTest::addColumn<QString>("phase");
    QTest::newRow("queued") << QStringLiteral("queued");
    QTest::newRow("waiting for the first byte") << QStringLiteral("first byte");
    QTest::newRow("mid-stream") << QStringLiteral("mid-stream");
}

void TestGateway::callerLeavingStopsItsRequest() {
    QFETCH(QString, phase);
    MockServer mock(
        test::unlimitedMock(phase == QLatin1String("first byte") ? 3000 : 50, 100, 100));
    QVERIFY(mock.listen());
    GatewayServer gateway(gatewayFor(mock, 1));
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    // One request holds the only slot, so a second one queues.
    QNetworkReply* first = nam.post(test::jsonRequest(url(gateway, "/v1/chat/completions")),
                                    test::chatBody(QStringLiteral("hi"), true));
    QNetworkReply* leaving = first;
    if (phase == QLatin1String("queued")) {
        leaving = nam.post(test::jsonRequest(url(gateway, "/v1/chat/completions"), 1),
                           test::chatBody(QStringLiteral("hi"), true));
        QVERIFY(test::runUntil([&] { return gateway.engine().queued() == 1; }, 5000));
        QVERIFY(test::runUntil(
            [&] { return mockStats(mock).value(QStringLiteral("concurrent")).toInt() == 1; },
            5000));
    } else if (phase == QLatin1String("mid-stream")) {
        QSignalSpy bytes(first, &QNetworkReply::readyRead);
        QVERIFY(bytes.wait(5000));
    } else {
        QVERIFY(test::runUntil(
            [&] { return mockStats(mock).value(QStringLiteral("concurrent")).toInt() == 1; },
            5000));
    }
    const int upstreamBefore = mockStats(mock).value(QStringLiteral("concurrent")).toInt();
    leaving->abort();
    QElapsedTimer t;
    t.start();
    if (phase == QLatin1String("queued")) {
        QVERIFY(test::runUntil([&] { return gateway.engine().queued() == 0; }, 1000));
        QVERIFY2(t.elapsed() < 100, qPrintable(QString::number(t.elapsed())));
        QCOMPARE(mockStats(mock).value(QStringLiteral("concurrent")).toInt(), upstreamBefore);
        first->abort();
    } else {
        QVERIFY(test::runUntil(
            [&] { return mockStats(mock).value(QStringLiteral("concurrent")).toInt() == 0; },
            1000));
        QVERIFY2(t.elapsed() < 100, qPrintable(QString::number(t.elapsed())));
    }
    QVERIFY(test::runUntil([&] { return gateway.engine().active() == 0; }, 2000));
    const QJsonObject stats = gateway.statsJson();
    QVERIFY(stats.value(QStringLiteral("client_gone")).toInt() >= 1);
    QCOMPARE(stats.value(QStringLiteral("cancelled")).toInt() +
                 stats.value(QStringLiteral("done")).toInt(),
             stats.value(QStringLiteral("submitted")).toInt());
    first->deleteLater();
    if (leaving != first) {
        leaving->deleteLater();
    }
}

void TestGateway::upstreamErrorsPassThrough() {
    MockConfig m = test::unlimitedMock(10, 0, 1);
    m.faults.quota = 1.0;
    MockServer mock(m);
    QVERIFY(mock.listen());
    GatewayServer gateway(gatewayFor(mock, 4));
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    const test::Response r =
        test::post(nam, url(gateway, "/v1/chat/completions"), test::chatBody());
    QCOMPARE(r.status, 429);
    QVERIFY(r.body.contains("insufficient_quota"));
    QVERIFY(!r.header("x-sluice-request-id").isEmpty());
    QCOMPARE(mockStats(mock).value(QStringLiteral("requests")).toInt(), 1); // never retried
}

void TestGateway::upstreamDyingMidStreamIsNeverACleanEnd() {
    MockConfig m = test::unlimitedMock(10, 5, 20);
    m.faults.midstream = 1.0;
    MockServer mock(m);
    QVERIFY(mock.listen());
    GatewayServer gateway(gatewayFor(mock, 4));
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    const test::Response r = test::post(nam, url(gateway, "/v1/chat/completions"),
                                        test::chatBody(QStringLiteral("hi"), true));
    QCOMPARE(r.status, 200); // the stream had started
    QVERIFY2(r.body.contains("\"error\""), r.body.constData());
    QVERIFY2(r.body.contains("upstream answer broke off"), r.body.constData());
    QVERIFY2(!r.body.contains("[DONE]"), r.body.constData());
    QCOMPARE(mockStats(mock).value(QStringLiteral("requests")).toInt(), 1); // never retried
    QCOMPARE(gateway.statsJson().value(QStringLiteral("failed")).toInt(), 1);
}

void TestGateway::limitsChangeLiveThroughTheAdminApi() {
    MockServer mock(test::unlimitedMock(10, 0, 1));
    QVERIFY(mock.listen());
    GatewayServer gateway(gatewayFor(mock, 10));
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    QSignalSpy changed(&gateway, &GatewayServer::configChanged);
    test::Response r =
        test::post(nam, url(gateway, "/admin/config"), R"({"max_concurrent": 3, "rpm": 1200})");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("max_concurrent")).toInt(), 3);
    QCOMPARE(r.json().value(QStringLiteral("version")).toInt(), 2);
    QCOMPARE(gateway.engine().limit(), 3);
    QCOMPARE(changed.count(), 1);
    r = test::post(nam, url(gateway, "/admin/config"), R"({"queue_size": -1})");
    QCOMPARE(r.status, 400);
    QCOMPARE(r.json().value(QStringLiteral("field")).toString(), QStringLiteral("queue_size"));
    QCOMPARE(gateway.config().queueSize, 1000);
    r = test::get(nam, url(gateway, "/admin/config"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("rpm")).toInt(), 1200);
    // Every answer advertises the gateway's own limits.
    r = test::post(nam, url(gateway, "/v1/chat/completions"), test::chatBody());
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("x-ratelimit-limit-requests"), QByteArray("1200"));
    QVERIFY(r.header("ratelimit-policy").contains("\"rpm\";q=1200;w=60"));
}

void TestGateway::adminNeedsTheTokenWhenSet() {
    MockServer mock(test::unlimitedMock(10, 0, 1));
    QVERIFY(mock.listen());
    GatewayConfig c = gatewayFor(mock, 10);
    c.adminToken = "s3cret";
    GatewayServer gateway(c);
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    QCOMPARE(test::get(nam, url(gateway, "/admin/stats")).status, 401);
    QNetworkRequest request(url(gateway, "/admin/stats"));
    request.setRawHeader("Authorization", "Bearer s3cret");
    QNetworkReply* reply = nam.get(request);
    QCOMPARE(test::waitFor(reply).status, 200);
    reply->deleteLater();
    QCOMPARE(test::get(nam, url(gateway, "/admin/nothing")).status, 401);
}

void TestGateway::metricsHaveTheFamiliesAndNoKey() {
    MockServer mock(test::unlimitedMock(10, 0, 1));
    QVERIFY(mock.listen());
    GatewayConfig c = gatewayFor(mock, 10);
    c.keys = {"sk-gateway-key-0123456789abcdef"};
    GatewayServer gateway(c);
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    QCOMPARE(test::post(nam, url(gateway, "/v1/chat/completions"), test::chatBody()).status, 200);
    const test::Response m = test::get(nam, url(gateway, "/metrics"));
    QCOMPARE(m.status, 200);
    QVERIFY(m.header("content-type").startsWith("text/plain; version=0.0.4"));
    for (const char* family :
         {"# TYPE sluice_requests_total counter",
          "sluice_requests_total{model=\"mock-gpt\",code=\"200\"} 1",
          "# TYPE sluice_in_flight gauge", "# TYPE sluice_queue_depth gauge",
          "# TYPE sluice_overhead_seconds histogram", "sluice_overhead_seconds_count 1",
          "# TYPE sluice_ttft_seconds histogram", "sluice_tokens_total{type=\"completion\"} 1",
          "sluice_limit{kind=\"concurrency\"} 10"}) {
        QVERIFY2(m.body.contains(family), family);
    }
    QVERIFY(!m.body.contains("sk-gateway-key"));
    const test::Response config = test::get(nam, url(gateway, "/admin/config"));
    QVERIFY(!config.body.contains("0123456789abcdef"));
    QVERIFY(config.body.contains("sk-...cdef"));
}

QTEST_GUILESS_MAIN(TestGateway)
#include "tst_gateway.moc"
