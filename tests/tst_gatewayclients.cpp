// The gateway's callers: client tokens and lanes, the limits every answer advertises, usage
// charged when a caller leaves mid-stream, and /metrics through `promtool check metrics`.
// What a waiting caller is told: tst_gatewaywaiting.
#include "core/server/gateway/gatewayserver.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/gatewayfixture.h"
#include "tests/support/httptestclient.h"
#include "tests/support/mockfixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include <algorithm>
#include <memory>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

GatewayClient client(const char* name, const char* token, double weight = 1) {
    GatewayClient c;
    c.name = QString::fromLatin1(name);
    c.token = token;
    c.weight = weight;
    return c;
}

QNetworkRequest requestAs(const QUrl& u, const QByteArray& token, int pool = 0) {
    QNetworkRequest r = test::jsonRequest(u, pool);
    if (!token.isEmpty()) {
        r.setRawHeader("Authorization", "Bearer " + token);
    }
    return r;
}

/// A gateway with a 10,000 tpm budget in front of a mock that streams 200 tokens at 20 ms each,
/// one streaming chat posted through it, and what its budget has charged. Not movable: the
/// reply's handler points into it.
struct MeteredStream {
    MockServer mock{test::unlimitedMock(20, 20, 200)};
    std::unique_ptr<GatewayServer> gateway;
    QNetworkAccessManager nam;
    QNetworkReply* reply = nullptr;
    int chunks = 0; ///< content events the caller has read

    bool start(const QByteArray& body) {
        if (!mock.listen()) {
            return false;
        }
        GatewayConfig c = test::keyedGatewayFor(mock, 10);
        c.tpm = 10000;
        gateway = std::make_unique<GatewayServer>(c);
        if (!gateway->listen().ok()) {
            return false;
        }
        reply =
            nam.post(test::jsonRequest(test::gatewayUrl(*gateway, "/v1/chat/completions")), body);
        QObject::connect(reply, &QNetworkReply::readyRead, &nam, [this] {
            chunks += static_cast<int>(reply->readAll().count("\"content\":\""));
        });
        return true;
    }
    /// Tokens charged in the current window: the limiter's debt ahead of now, in units.
    qint64 charged() const {
        const GcraLimiter& l =
            *gateway->engine().pooledBudget(QStringLiteral("mock-gpt")).minuteTokens();
        return (l.tat() - gateway->engine().clock().now()) / l.interval();
    }
};

} // namespace

class TestGatewayClients final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void clientsAreCheckedAndNeverShown();
    void unknownTokenIsRefusedInTheCallersFormat_data();
    void unknownTokenIsRefusedInTheCallersFormat();
    void priorityAndTimeoutAreBoundedByTheClient();
    void lanesShareByWeight();
    void aClientsOwnRateIsItsOwn();
    void everyAnswerCarriesItsLimits();
    void callerLeavingMidStreamIsChargedWhatItUsed();
    void maxCompletionTokensIsWhatIsReserved();
    void metricsPassPromtoolUnderLoad();
};

void TestGatewayClients::clientsAreCheckedAndNeverShown() {
    auto fieldOf = [](const char* json) {
        const auto parsed =
            parseClients(QJsonDocument::fromJson(json).array(), QStringLiteral("clients"));
        return parsed.ok() ? QString() : parsed.error().field;
    };
    QCOMPARE(fieldOf(R"([{"name":"web"}])"), QStringLiteral("clients[0].token"));
    QCOMPARE(fieldOf(R"([{"name":"web","token":"t","weight":0}])"),
             QStringLiteral("clients[0].weight"));
    QCOMPARE(fieldOf(R"([{"name":"web","token":"a"},{"name":"web","token":"b"}])"),
             QStringLiteral("clients[1].name"));
    QCOMPARE(fieldOf(R"([{"name":"web","token":"a"},{"name":"app","token":"a"}])"),
             QStringLiteral("clients[1].token"));
    QCOMPARE(fieldOf(R"([{"name":"web","tokn":"x"}])"), QStringLiteral("clients[0].tokn"));
    QCOMPARE(fieldOf(R"([{"name":"web","token":"t","max_priority":10}])"),
             QStringLiteral("clients[0].max_priority"));

    GatewayConfig c;
    c.upstream = QUrl(QStringLiteral("http://127.0.0.1:1/v1"));
    QVERIFY(c.apply(QJsonDocument::fromJson(R"({"clients":[{"name":"web",
                    "token":"sk-sluice-web-0123456789","weight":3,"max_priority":2,"rpm":60,
                    "max_timeout":"20s"}]})")
                        .object())
                .ok());
    QCOMPARE(c.clients.size(), 1);
    QCOMPARE(c.clients[0].maxTimeout, Nanos(20s));
    const QByteArray shown = QJsonDocument(c.toJson()).toJson();
    QVERIFY(!shown.contains("0123456789"));
    QVERIFY(shown.contains("sk-...6789"));
    // GET's answer posts back as it is (the masked token keeps the token); a weight changes live.
    QJsonObject back = c.toJson();
    QJsonArray clients = back.value(QStringLiteral("clients")).toArray();
    QJsonObject web = clients[0].toObject();
    web.insert(QStringLiteral("weight"), 5);
    clients[0] = web;
    back.insert(QStringLiteral("clients"), clients);
    QVERIFY(c.applyLimits(back).ok());
    QCOMPARE(c.clients[0].token, QByteArray("sk-sluice-web-0123456789"));
    QCOMPARE(c.clients[0].weight, 5.0);
    // A masked token for a client not known is refused, naming it.
    web.insert(QStringLiteral("name"), QStringLiteral("new"));
    const auto masked = c.applyLimits({{QStringLiteral("clients"), QJsonArray{web}}});
    QVERIFY(!masked.ok());
    QCOMPARE(masked.error().field, QStringLiteral("clients[0].token"));
}

void TestGatewayClients::unknownTokenIsRefusedInTheCallersFormat_data() {
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("openai") << QByteArray("/v1/chat/completions") << test::chatBody();
    QTest::newRow("anthropic") << QByteArray("/v1/messages") << test::messagesBody();
}

void TestGatewayClients::unknownTokenIsRefusedInTheCallersFormat() {
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    MockServer mock(test::unlimitedMock(5, 0, 1));
    QVERIFY(mock.listen());
    GatewayConfig c = test::keyedGatewayFor(mock, 10);
    c.clients = {client("web", "sk-sluice-web-0123456789")};
    GatewayServer gateway(c);
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    const bool anthropic = path.endsWith("/messages");
    for (const QByteArray& token : {QByteArray(), QByteArray("sk-someone-elses-key-999")}) {
        const test::Response r = test::waitFor(
            nam.post(requestAs(test::gatewayUrl(gateway, path.constData()), token), body));
        QCOMPARE(r.status, 401);
        const QJsonObject json = r.json();
        if (anthropic) {
            QCOMPARE(json.value(QStringLiteral("type")).toString(), QStringLiteral("error"));
            QCOMPARE(json.value(QStringLiteral("error"))
                         .toObject()
                         .value(QLatin1String("type"))
                         .toString(),
                     QStringLiteral("authentication_error"));
        } else {
            QCOMPARE(json.value(QStringLiteral("error"))
                         .toObject()
                         .value(QLatin1String("code"))
                         .toString(),
                     QStringLiteral("invalid_api_key"));
        }
        QVERIFY(!r.body.contains("elses-key-999")); // masked even in its own refusal
    }
    QCOMPARE(mock.statsJson().value(QStringLiteral("requests")).toInt(), 0);
    // The client's token works, with x-api-key as well as Bearer.
    QNetworkRequest ok = test::jsonRequest(test::gatewayUrl(gateway, path.constData()));
    ok.setRawHeader("x-api-key", "sk-sluice-web-0123456789");
    QCOMPARE(test::waitFor(nam.post(ok, body)).status, 200);
    QCOMPARE(mock.statsJson().value(QStringLiteral("requests")).toInt(), 1);
}

void TestGatewayClients::priorityAndTimeoutAreBoundedByTheClient() {
    MockServer mock(test::unlimitedMock(1500, 0, 1));
    QVERIFY(mock.listen());
    GatewayConfig c = test::keyedGatewayFor(mock, 1);
    GatewayClient batch = client("batch", "sk-sluice-batch-0123456789");
    batch.maxPriority = 5;
    batch.maxTimeout = 300ms;
    c.clients = {client("web", "sk-sluice-web-0123456789"), batch};
    GatewayServer gateway(c);
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    // web holds the only slot; batch queues behind it, asking for priority 0 and a 10 s deadline.
    QNetworkReply* holder = nam.post(
        requestAs(test::gatewayUrl(gateway, "/v1/chat/completions"), "sk-sluice-web-0123456789"),
        test::chatBody());
    QVERIFY(test::runUntil([&] { return gateway.engine().inFlight() == 1; }, 5000));
    QNetworkRequest asks = requestAs(test::gatewayUrl(gateway, "/v1/chat/completions"),
                                     "sk-sluice-batch-0123456789", 1);
    asks.setRawHeader("x-sluice-priority", "0");
    asks.setRawHeader("x-sluice-timeout", "10s");
    QNetworkReply* queued = nam.post(asks, test::chatBody());
    QVERIFY(test::runUntil([&] { return gateway.engine().queued() == 1; }, 5000));
    QCOMPARE(gateway.engine().statuses().front().priority, 5);
    QElapsedTimer t;
    t.start();
    const test::Response r = test::waitFor(queued, 5000);
    // Its deadline is the client's 300 ms, not the 10 s it asked for.
    QCOMPARE(r.status, 503);
    QVERIFY2(t.elapsed() < 1000, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(test::waitFor(holder).status, 200);
    const QJsonObject stats = gateway.statsJson()
                                  .value(QStringLiteral("clients"))
                                  .toObject()
                                  .value(QLatin1String("batch"))
                                  .toObject();
    QCOMPARE(stats.value(QStringLiteral("rejected")).toInt(), 1);
}

void TestGatewayClients::lanesShareByWeight() {
    MockServer mock(test::unlimitedMock(40, 0, 1));
    QVERIFY(mock.listen());
    GatewayConfig c = test::keyedGatewayFor(mock, 2);
    c.clients = {client("heavy", "sk-sluice-heavy-0123456789", 3),
                 client("light", "sk-sluice-light-0123456789", 1)};
    GatewayServer gateway(c);
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    // Both flood the queue at once; who gets through first shows the weights.
    QList<QNetworkReply*> replies;
    QStringList order;
    for (int i = 0; i < 60; ++i) {
        for (const char* who : {"heavy", "light"}) {
            const QByteArray token = QByteArray("sk-sluice-") + who + "-0123456789";
            QNetworkReply* reply =
                nam.post(requestAs(test::gatewayUrl(gateway, "/v1/chat/completions"), token,
                                   i / 3 + (who[0] == 'h') * 40),
                         test::chatBody());
            connect(reply, &QNetworkReply::finished, this,
                    [&order, who] { order << QString::fromLatin1(who); });
            replies << reply;
        }
    }
    QVERIFY(test::runUntil([&] { return order.size() == 120; }, 30000));
    // While both lanes were full (the first 60 answers, past the first few that left before
    // the queue filled), heavy got about three of every four.
    const auto heavy = std::count(order.begin() + 8, order.begin() + 60, QStringLiteral("heavy"));
    qInfo("heavy %lld of 52 while both waited", static_cast<long long>(heavy));
    QVERIFY2(heavy >= 33 && heavy <= 45, qPrintable(QString::number(heavy)));
    const QJsonObject clients = gateway.statsJson().value(QStringLiteral("clients")).toObject();
    QCOMPARE(
        clients.value(QLatin1String("heavy")).toObject().value(QLatin1String("received")).toInt(),
        60);
    QVERIFY(clients.value(QLatin1String("heavy")).toObject().contains(QStringLiteral("share")));
    QVERIFY(clients.value(QLatin1String("light"))
                .toObject()
                .value(QLatin1String("total_p95_ms"))
                .toDouble() > 0);
    qDeleteAll(replies);
}

void TestGatewayClients::aClientsOwnRateIsItsOwn() {
    MockServer mock(test::unlimitedMock(5, 0, 1));
    QVERIFY(mock.listen());
    GatewayConfig c = test::keyedGatewayFor(mock, 10);
    GatewayClient slow = client("slow", "sk-sluice-slow-0123456789");
    slow.rpm = 2;
    c.clients = {slow, client("fast", "sk-sluice-fast-0123456789")};
    GatewayServer gateway(c);
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    auto post = [&](const QByteArray& token) {
        return test::waitFor(nam.post(
            requestAs(test::gatewayUrl(gateway, "/v1/chat/completions"), token), test::chatBody()));
    };
    int ok = 0;
    test::Response refused;
    for (int i = 0; i < 4; ++i) {
        const test::Response r = post("sk-sluice-slow-0123456789");
        if (r.status == 200) {
            ++ok;
        } else {
            refused = r;
        }
    }
    QVERIFY2(ok >= 1 && ok <= 2, qPrintable(QString::number(ok)));
    QCOMPARE(refused.status, 429);
    QCOMPARE(refused.json()
                 .value(QLatin1String("error"))
                 .toObject()
                 .value(QLatin1String("code"))
                 .toString(),
             QStringLiteral("rate_limit_exceeded"));
    // Come back when its own budget reopens: a real wait, not a constant.
    QVERIFY(refused.header("retry-after-ms").toInt() > 1000);
    QVERIFY(refused.header("ratelimit-policy").contains("\"client-rpm\";q=2;w=60"));
    QVERIFY(refused.header("ratelimit").contains("\"client-rpm\";r=0;t="));
    QCOMPARE(refused.header("x-ratelimit-remaining-requests"), QByteArray("0"));
    // Another client is not held back by it.
    QCOMPARE(post("sk-sluice-fast-0123456789").status, 200);
}

void TestGatewayClients::everyAnswerCarriesItsLimits() {
    MockServer mock(test::unlimitedMock(5, 0, 1));
    QVERIFY(mock.listen());
    GatewayConfig c = test::keyedGatewayFor(mock, 10);
    c.rpm = 600;
    c.tpm = 100000;
    GatewayServer gateway(c);
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    for (int i = 0; i < 3; ++i) {
        const test::Response r =
            test::post(nam, test::gatewayUrl(gateway, "/v1/chat/completions"), test::chatBody());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-ratelimit-limit-requests"), QByteArray("600"));
        QCOMPARE(r.header("x-ratelimit-limit-tokens"), QByteArray("100000"));
        const std::int64_t remaining = r.header("x-ratelimit-remaining-requests").toLongLong();
        QVERIFY2(remaining < 600 && remaining >= 590, qPrintable(QString::number(remaining)));
        QVERIFY(!r.header("x-ratelimit-reset-requests").isEmpty());
        QVERIFY(r.header("x-ratelimit-remaining-tokens").toLongLong() < 100000);
        QCOMPARE(r.header("ratelimit-policy"),
                 QByteArray("\"rpm\";q=600;w=60, \"tpm\";q=100000;w=60, "
                            "\"concurrency\";q=10;qu=\"concurrent-requests\""));
        QVERIFY2(
            r.header("ratelimit").startsWith("\"rpm\";r=" + QByteArray::number(remaining) + ";t="),
            r.header("ratelimit").constData());
    }
    // An error answer carries them too.
    const test::Response bad =
        test::post(nam, test::gatewayUrl(gateway, "/v1/chat/completions"), "{");
    QVERIFY(!bad.header("ratelimit-policy").isEmpty());
}

void TestGatewayClients::callerLeavingMidStreamIsChargedWhatItUsed() {
    // 200 tokens at 20 ms each; the caller leaves after a few. With tpm 10,000 and a
    // reservation of 5,000 (max_tokens), keeping the reservation would leave ~5,000 available.
    MeteredStream s;
    QVERIFY(s.start(test::chatBody(QStringLiteral("hi"), true, 5000)));
    QVERIFY(test::runUntil([&] { return s.chunks >= 5; }, 5000));
    QVERIFY(s.gateway->engine().pooledBudget(QStringLiteral("mock-gpt")).minuteTokens());
    QVERIFY2(s.charged() > 4500, qPrintable(QString::number(s.charged())));
    s.reply->abort();
    QVERIFY(test::runUntil([&] { return s.gateway->engine().active() == 0; }, 2000));
    QVERIFY2(s.charged() < 200, qPrintable(QString::number(s.charged())));
    const QJsonObject tokens = s.gateway->statsJson().value(QStringLiteral("tokens")).toObject();
    const int completion = tokens.value(QStringLiteral("completion")).toInt();
    QVERIFY2(completion >= 3 && completion < 100, qPrintable(QString::number(completion)));
}

void TestGatewayClients::maxCompletionTokensIsWhatIsReserved() {
    // Newer OpenAI models take max_completion_tokens instead of max_tokens: the gateway reserves
    // what it names (3,000), not its default for a request that names none (1,024).
    MeteredStream s;
    QVERIFY(s.start(R"({"model":"mock-gpt","stream":true,"max_completion_tokens":3000,)"
                    R"("messages":[{"role":"user","content":"hi"}]})"));
    QVERIFY(test::runUntil([&] { return s.chunks >= 1; }, 5000));
    QVERIFY(s.gateway->engine().pooledBudget(QStringLiteral("mock-gpt")).minuteTokens());
    QVERIFY2(s.charged() > 2900 && s.charged() < 3100, qPrintable(QString::number(s.charged())));
    s.reply->abort();
    QVERIFY(test::runUntil([&] { return s.gateway->engine().active() == 0; }, 2000));
}

void TestGatewayClients::metricsPassPromtoolUnderLoad() {
    const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
    if (promtool.isEmpty()) {
        QSKIP("promtool not installed (Debian: apt-get install --no-install-recommends "
              "prometheus)");
    }
    MockServer mock(test::unlimitedMock(300, 20, 5));
    QVERIFY(mock.listen());
    GatewayConfig c = test::keyedGatewayFor(mock, 4, 10);
    c.keys << "sk-upstream-key-second-00000000";
    c.rpm = 6000;
    c.tpm = 1000000;
    GatewayClient limited = client("web \"app\"", "sk-sluice-web-0123456789", 2);
    limited.rpm = 5;
    c.clients = {limited, client("batch", "sk-sluice-batch-0123456789")};
    GatewayServer gateway(c);
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    QList<QNetworkReply*> replies;
    for (int i = 0; i < 30; ++i) {
        const QByteArray token = i % 3 == 0   ? QByteArray("sk-sluice-web-0123456789")
                                 : i % 3 == 1 ? QByteArray("sk-sluice-batch-0123456789")
                                              : QByteArray("sk-unknown-0123456789");
        replies << nam.post(
            requestAs(test::gatewayUrl(gateway, "/v1/chat/completions"), token, i / 6),
            test::chatBody(QStringLiteral("hi"), i % 2 == 0));
    }
    QVERIFY(test::runUntil([&] { return gateway.engine().inFlight() > 0; }, 5000));
    const QByteArray underLoad = test::get(nam, test::gatewayUrl(gateway, "/metrics")).body;
    for (QNetworkReply* r : replies) {
        test::waitFor(r, 20000); // and deleted
    }
    const QByteArray after = test::get(nam, test::gatewayUrl(gateway, "/metrics")).body;
    for (const QByteArray& text : {underLoad, after}) {
        QProcess p;
        p.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
        QVERIFY(p.waitForStarted(5000));
        p.write(text);
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(20000));
        const QByteArray complaints = p.readAllStandardOutput() + p.readAllStandardError();
        QVERIFY2(p.exitCode() == 0 && complaints.trimmed().isEmpty(),
                 (complaints + "\n" + text).constData());
        QVERIFY(!text.contains("sk-sluice") && !text.contains("sk-upstream"));
    }
    // The conventional names, with the client label.
    for (const char* needle :
         {"sluice_requests_total{client=\"batch\",model=\"mock-gpt\",code=\"200\"}",
          "sluice_requests_total{model=\"mock-gpt\",code=\"401\"} 10",
          "sluice_requests_total{client=\"web \\\"app\\\"\",", "# TYPE sluice_in_flight gauge",
          "# TYPE sluice_queue_depth gauge", "# TYPE sluice_overhead_seconds histogram",
          "# TYPE sluice_ttft_seconds histogram", "sluice_tokens_total{type=\"prompt\"}",
          "sluice_limit{kind=\"rpm\"} 6000", "sluice_client_in_flight{client=\"batch\"}",
          "sluice_client_rejected_total{client=\"web \\\"app\\\"\"}"}) {
        QVERIFY2(after.contains(needle), needle);
    }
}

QTEST_GUILESS_MAIN(TestGatewayClients)
#include "tst_gatewayclients.moc"
