// The console's attach client against a fake gateway in this process (the admin API's shapes,
// served by the project's HTTP server): the answers it reads, garbage refused with the field
// named, a refused token not retried, a lost or silent gateway reported within 2 s and found
// again, limits sent and config changes made elsewhere seen.
#include "core/host/attachclient.h"
#include "core/host/attachwire.h"
#include "core/server/httpresponder.h"
#include "core/server/httpserver.h"
#include "tests/support/httptestclient.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace sluice;

namespace {

QByteArray statsBody(int version, int inFlight = 3) {
    return QJsonDocument(QJsonObject{{QStringLiteral("in_flight"), inFlight},
                                     {QStringLiteral("limit"), 8},
                                     {QStringLiteral("queued"), 2},
                                     {QStringLiteral("config_version"), version},
                                     {QStringLiteral("rps"), 12.5},
                                     {QStringLiteral("submitted"), 100},
                                     {QStringLiteral("done"), 90},
                                     {QStringLiteral("breaker"), QStringLiteral("closed")}})
        .toJson(QJsonDocument::Compact);
}

/// Just enough of `sluice gateway`'s admin API: config (GET and POST), stats, events.
class FakeGateway {
public:
    QByteArray token;        ///< required when set (401 otherwise)
    QByteArray stats;        ///< the /admin/stats body; empty: made from the config
    bool silent = false;     ///< take requests and never answer
    GatewayConfig config;    ///< what /admin/config shows
    int requests = 0;        ///< every request seen
    QList<QByteArray> posts; ///< POST /admin/config bodies
    QList<QPointer<HttpResponder>> streams;

    bool listen(quint16 port = 0) {
        server = std::make_unique<HttpServer>(
            [this](const HttpRequest& r, HttpResponder* out) { handle(r, out); });
        return server->listen(QHostAddress::LocalHost, port);
    }
    quint16 port() const { return server->serverPort(); }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port())); }
    void stop() { server.reset(); } // closes every connection, the event streams too
    void sendEvent(const QByteArray& event, const QJsonObject& data) {
        for (const auto& s : streams) {
            if (s) {
                s->write("event: " + event +
                         "\ndata: " + QJsonDocument(data).toJson(QJsonDocument::Compact) + "\n\n");
            }
        }
    }

private:
    void json(HttpResponder* out, int status, const QByteArray& body) {
        out->respond(status, {{"content-type", "application/json"}}, body);
    }
    void handle(const HttpRequest& r, HttpResponder* out) {
        ++requests;
        if (silent) {
            return;
        }
        if (!token.isEmpty() && r.header("authorization") != "Bearer " + token) {
            json(out, 401, R"({"error":"wrong or missing admin token"})");
            return;
        }
        if (r.path == "/admin/config" && r.method == "POST") {
            posts << r.body;
            if (auto applied = config.applyLimits(QJsonDocument::fromJson(r.body).object());
                !applied) {
                json(out, 400, R"({"error":"bad","field":"max_concurrent"})");
                return;
            }
            ++config.version;
            json(out, 200, QJsonDocument(config.toJson()).toJson());
        } else if (r.path == "/admin/config") {
            json(out, 200, QJsonDocument(config.toJson()).toJson());
        } else if (r.path == "/admin/stats") {
            json(out, 200, stats.isEmpty() ? statsBody(config.version) : stats);
        } else if (r.path == "/admin/events") {
            out->beginChunked(200, {{"content-type", "text/event-stream"}});
            out->write(": sluice gateway request states\n\n");
            streams << out;
        } else {
            json(out, 404, R"({"error":"no such path"})");
        }
    }
    std::unique_ptr<HttpServer> server;
};

AttachClient::State stateOf(const QSignalSpy& spy, qsizetype i) {
    return spy.at(i).at(0).value<AttachClient::State>();
}

} // namespace

class TestAttachClient final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void parseStatsReadsTheGatewaysFigures();
    void garbageIsRefusedNamingTheField_data();
    void garbageIsRefusedNamingTheField();
    void eventsAndFailureKeys();
    void limitsRoundTrip();
    void attachesAndFollows();
    void wrongTokenIsNotRetriedUntilItChanges();
    void lostGatewayIsDisconnectedWithinTwoSecondsAndFoundAgain();
    void silentGatewayIsDisconnectedWithinTwoSeconds();
    void unreachableAndGarbageAnswersAreSaidSo();
    void limitsGoToTheGatewayAndChangesElsewhereAreSeen();

private:
    std::unique_ptr<FakeGateway> m_gateway;
};

void TestAttachClient::init() {
    m_gateway = std::make_unique<FakeGateway>();
    m_gateway->config.maxConcurrent = 8;
    m_gateway->config.upstream = QUrl(QStringLiteral("http://127.0.0.1:9/v1"));
    QVERIFY(m_gateway->listen());
}

void TestAttachClient::parseStatsReadsTheGatewaysFigures() {
    const QByteArray body = R"({"in_flight":7,"limit":10,"queued":4,"waiting_budget":1,
        "config_version":3,"rps":20.5,"ok_per_s":19,"errors_per_s":1.5,"rate_limited_per_s":0.5,
        "tokens_in_per_s":100,"tokens_out_per_s":250,"submitted":500,"done":480,"failed":5,
        "rejected":10,"cancelled":1,"retries":4,"upstream_429":3,"next_allowed_ms":250,
        "breaker":"half_open","recent":{"e2e_p50_ms":120,"e2e_p95_ms":300,"ttft_p95_ms":80},
        "failures":[{"reason":"http_429:rate_limit","count":3},{"reason":"queue_full","count":10}],
        "tokens":{"prompt":1000,"completion":2000},
        "alarms":[{"message":"upstream key sk-...abcd retired"}]})";
    const auto stats = attach::parseStats(body);
    QVERIFY2(stats.ok(), qPrintable(stats.ok() ? QString() : stats.error().text()));
    const EngineSnapshot& s = stats->snapshot;
    QCOMPARE(s.inFlight, 7);
    QCOMPARE(s.limit, 10);
    QCOMPARE(s.queued, 4);
    QCOMPARE(s.waitingBudget, 1);
    QCOMPARE(stats->configVersion, 3);
    QCOMPARE(s.sentPerSecond, 20.5);
    QCOMPARE(s.tokensOutPerSecond, 250.0);
    QCOMPARE(s.rejected, 10);
    QCOMPARE(s.rateLimited, 3);
    QCOMPARE(s.attempts, 480 + 5 + 4);
    QCOMPARE(s.breaker, CircuitBreaker::State::HalfOpen);
    QCOMPARE(s.nextAllowedIn, std::chrono::milliseconds(250));
    QCOMPARE(s.e2eP95, std::chrono::milliseconds(300));
    QCOMPARE(s.ttftP95, std::chrono::milliseconds(80));
    QCOMPARE(s.failures.size(), std::size_t{2});
    QCOMPARE(s.failures[0].reason.kind, FailureKind::Http);
    QCOMPARE(s.failures[0].reason.status, 429);
    QCOMPARE(s.failures[0].reason.type, QStringLiteral("rate_limit"));
    QCOMPARE(s.failures[1].reason.kind, FailureKind::QueueFull);
    QCOMPARE(stats->completionTokens, 2000);
    QCOMPARE(stats->alarms, QStringList{QStringLiteral("upstream key sk-...abcd retired")});
}

void TestAttachClient::garbageIsRefusedNamingTheField_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    QTest::newRow("not json") << QByteArray("<html>hello</html>") << "/admin/stats: not JSON";
    QTest::newRow("array") << QByteArray("[1,2]") << "/admin/stats: not a JSON object";
    QTest::newRow("missing") << QByteArray(R"({"limit":1,"queued":0,"config_version":1})")
                             << "in_flight: missing";
    QTest::newRow("wrong type")
        << QByteArray(R"({"in_flight":"many","limit":1,"queued":0,"config_version":1})")
        << "in_flight: must be a number";
    QTest::newRow("nested")
        << QByteArray(
               R"({"in_flight":1,"limit":1,"queued":0,"config_version":1,"recent":{"e2e_p95_ms":true}})")
        << "recent.e2e_p95_ms: must be a number";
    QTest::newRow("failure without reason")
        << QByteArray(
               R"({"in_flight":1,"limit":1,"queued":0,"config_version":1,"failures":[{"count":2}]})")
        << "failures[0].reason: missing";
}

void TestAttachClient::garbageIsRefusedNamingTheField() {
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    const auto stats = attach::parseStats(body);
    QVERIFY(!stats.ok());
    QVERIFY2(stats.error().text().startsWith(error), qPrintable(stats.error().text()));
    QCOMPARE(stats.error().kind, Error::Kind::Invalid);
}

void TestAttachClient::eventsAndFailureKeys() {
    const auto u = attach::parseEvent(
        R"({"id":42,"state":"failed","priority":0,"attempts":2,"status":503,"failure":"http_503","total_ms":1500})");
    QVERIFY(u.ok());
    QCOMPARE(u->id, 42u);
    QCOMPARE(u->state, RequestState::Failed);
    QCOMPARE(u->priority, 0);
    QCOMPARE(u->failure.status, 503);
    QCOMPARE(u->total, std::chrono::milliseconds(1500));
    const auto bad = attach::parseEvent(R"({"id":1,"state":"sleeping"})");
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().field, QStringLiteral("event.state"));
    QVERIFY(!attach::parseEvent("{").ok());
    for (const FailureReason& r :
         {FailureReason{FailureKind::ConnectionRefused, 0, {}},
          FailureReason{FailureKind::Http, 429, QStringLiteral("insufficient_quota")},
          FailureReason{FailureKind::StreamError, 0, QStringLiteral("overloaded_error")},
          FailureReason{FailureKind::Cancelled, 0, {}}}) {
        QCOMPARE(attach::failureFromKey(r.key()), r);
    }
    QCOMPARE(attach::failureFromKey(QStringLiteral("from_the_future")).kind, FailureKind::Network);
}

void TestAttachClient::limitsRoundTrip() {
    TrafficLimits panel;
    panel.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    panel.maxConcurrency = 12;
    panel.rpm = 600;
    panel.queueCapacity = 50;
    panel.retries = 1;
    GatewayConfig config;
    config.upstream = QUrl(QStringLiteral("http://127.0.0.1:9/v1"));
    QVERIFY(config.applyLimits(attach::configBody(panel)).ok());
    QCOMPARE(config.maxConcurrent, 12);
    QCOMPARE(config.rpm, 600);
    QCOMPARE(config.queueSize, 50);
    QCOMPARE(attach::limitsOf(config, panel), panel);
    panel.maxConcurrency = 0; // no cap: the gateway's highest
    QVERIFY(config.applyLimits(attach::configBody(panel)).ok());
    QCOMPARE(config.maxConcurrent, 100000);
    GatewayConfig before;
    before.upstream = config.upstream;
    QCOMPARE(attach::configChanges(before, config).join(QStringLiteral(", ")),
             QStringLiteral("max_concurrent 100 -> 100000, rpm off -> 600, queue_size 1000 -> "
                            "50, retries 2 -> 1"));
}

void TestAttachClient::attachesAndFollows() {
    AttachClient client;
    QSignalSpy states(&client, &AttachClient::stateChanged);
    QSignalSpy snapshots(&client, &AttachClient::snapshot);
    QSignalSpy updates(&client, &AttachClient::requestsUpdated);
    QSignalSpy configs(&client, &AttachClient::configChanged);
    client.attach(m_gateway->url());
    QCOMPARE(client.state(), AttachClient::State::Connecting);
    QVERIFY(test::runUntil([&] { return client.state() == AttachClient::State::Attached; }, 5000));
    QVERIFY(test::runUntil([&] { return snapshots.size() >= 2; }, 5000));
    const auto s = snapshots.last().at(0).value<EngineSnapshot>();
    QCOMPARE(s.inFlight, 3);
    QCOMPARE(s.limit, 8);
    QCOMPARE(s.sentPerSecond, 12.5);
    QVERIFY(s.at > Nanos{0});
    QCOMPARE(configs.size(), 1); // the first read: no change to draw
    QVERIFY(configs.at(0).at(1).toStringList().isEmpty());
    QCOMPARE(client.config()->maxConcurrent, 8);

    QVERIFY(test::runUntil([&] { return !m_gateway->streams.isEmpty(); }, 5000));
    m_gateway->sendEvent("state", {{QStringLiteral("id"), 7},
                                   {QStringLiteral("state"), QStringLiteral("in_flight")},
                                   {QStringLiteral("priority"), 1},
                                   {QStringLiteral("attempts"), 1}});
    QVERIFY(updates.wait(3000));
    const auto list = updates.last().at(0).value<QList<RequestUpdate>>();
    QCOMPARE(list.size(), 1);
    QCOMPARE(list[0].id, 7u);
    QCOMPARE(list[0].state, RequestState::InFlight);

    client.detach();
    QCOMPARE(client.state(), AttachClient::State::Detached);
    QCOMPARE(stateOf(states, states.size() - 1), AttachClient::State::Detached);
}

void TestAttachClient::wrongTokenIsNotRetriedUntilItChanges() {
    m_gateway->token = "right";
    AttachClient client;
    client.attach(m_gateway->url(), "wrong");
    QVERIFY(
        test::runUntil([&] { return client.state() == AttachClient::State::Unauthorized; }, 5000));
    QVERIFY2(client.detail().contains(QLatin1String("refused the admin token")),
             qPrintable(client.detail()));
    QVERIFY(!client.detail().contains(QLatin1String("wrong\""))); // the token is not repeated
    const int seen = m_gateway->requests;
    // No retry with the same token: over three backoff periods nothing more arrives.
    QVERIFY(!test::runUntil([&] { return m_gateway->requests > seen; }, 1500));
    client.setToken("right");
    QVERIFY(test::runUntil([&] { return client.state() == AttachClient::State::Attached; }, 5000));
}

void TestAttachClient::lostGatewayIsDisconnectedWithinTwoSecondsAndFoundAgain() {
    AttachClient client;
    client.attach(m_gateway->url());
    QVERIFY(test::runUntil([&] { return client.state() == AttachClient::State::Attached; }, 5000));
    const quint16 port = m_gateway->port();
    QElapsedTimer lost;
    lost.start();
    m_gateway->stop();
    QVERIFY(
        test::runUntil([&] { return client.state() == AttachClient::State::Disconnected; }, 2000));
    QVERIFY2(lost.elapsed() < 2000, qPrintable(QString::number(lost.elapsed())));
    // Back on the same port: found again within the longest backoff and a poll.
    QVERIFY(m_gateway->listen(port));
    QVERIFY(test::runUntil([&] { return client.state() == AttachClient::State::Attached; }, 5000));
}

void TestAttachClient::silentGatewayIsDisconnectedWithinTwoSeconds() {
    AttachClient client;
    client.attach(m_gateway->url());
    QVERIFY(test::runUntil([&] { return client.state() == AttachClient::State::Attached; }, 5000));
    QElapsedTimer lost;
    lost.start();
    m_gateway->silent = true; // connections stay open; nothing is answered any more
    QVERIFY(
        test::runUntil([&] { return client.state() == AttachClient::State::Disconnected; }, 2500));
    QVERIFY2(lost.elapsed() < 2000, qPrintable(QString::number(lost.elapsed())));
    QVERIFY2(client.detail().contains(QLatin1String("no answer in time")),
             qPrintable(client.detail()));
}

void TestAttachClient::unreachableAndGarbageAnswersAreSaidSo() {
    AttachClient client;
    const QUrl url = m_gateway->url();
    m_gateway->stop();
    QElapsedTimer t;
    t.start();
    client.attach(url);
    QVERIFY(
        test::runUntil([&] { return client.state() == AttachClient::State::Disconnected; }, 2000));
    QVERIFY2(client.detail().startsWith(QLatin1String("cannot reach")),
             qPrintable(client.detail()));

    // Something that answers, but not as a gateway: said so, and retried (it may yet become one).
    QVERIFY(m_gateway->listen());
    m_gateway->stats = "<html>not a gateway</html>";
    QSignalSpy states(&client, &AttachClient::stateChanged);
    client.attach(m_gateway->url());
    QVERIFY(test::runUntil(
        [&] {
            return client.state() == AttachClient::State::Disconnected &&
                   client.detail().contains(QLatin1String("not a Sluice gateway"));
        },
        5000));
    QVERIFY2(client.detail().contains(QLatin1String("/admin/stats: not JSON")),
             qPrintable(client.detail()));
    m_gateway->stats.clear();
    QVERIFY(test::runUntil([&] { return client.state() == AttachClient::State::Attached; }, 5000));
}

void TestAttachClient::limitsGoToTheGatewayAndChangesElsewhereAreSeen() {
    AttachClient client;
    QSignalSpy configs(&client, &AttachClient::configChanged);
    QSignalSpy refused(&client, &AttachClient::limitsRefused);
    client.attach(m_gateway->url());
    QVERIFY(test::runUntil([&] { return client.state() == AttachClient::State::Attached; }, 5000));
    QCOMPARE(configs.size(), 1);

    TrafficLimits limits = attach::limitsOf(*client.config(), {});
    limits.maxConcurrency = 4;
    client.applyLimits(limits);
    QVERIFY(test::runUntil([&] { return configs.size() == 2; }, 3000));
    QCOMPARE(m_gateway->config.maxConcurrent, 4);
    QCOMPARE(configs.at(1).at(1).toStringList(),
             QStringList{QStringLiteral("max_concurrent 8 -> 4")});
    QVERIFY(configs.at(1).at(2).toBool()); // ours
    QCOMPARE(m_gateway->posts.size(), 1);

    // `sluice config set max_concurrent 6` elsewhere: the version moves, the change is seen.
    m_gateway->config.maxConcurrent = 6;
    ++m_gateway->config.version;
    QVERIFY(test::runUntil([&] { return configs.size() == 3; }, 3000));
    QCOMPARE(configs.at(2).at(1).toStringList(),
             QStringList{QStringLiteral("max_concurrent 4 -> 6")});
    QVERIFY(!configs.at(2).at(2).toBool());
    QVERIFY(!test::runUntil([&] { return configs.size() > 3; }, 1200)); // drawn once
    QCOMPARE(refused.size(), 0);
}

QTEST_GUILESS_MAIN(TestAttachClient)
#include "tst_attachclient.moc"
