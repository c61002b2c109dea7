// Every request of a fleet, from any of its gateways: two gateways (each with its own Redis gate,
// board and connections, as separate processes would have) share one rpm through a real
// redis-server in front of the built-in mock. Each is asked through its admin API about the
// other's requests: the same place in the queue, the states in order on its /admin/events,
// the end.
#include "core/fleetboard.h"
#include "core/redis/redisfleetboard.h"
#include "core/redis/redisgate.h"
#include "core/server/gateway/gatewayserver.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/gatewayfixture.h"
#include "tests/support/httptestclient.h"
#include "tests/support/redisserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QTest>

#include <map>
#include <memory>
#include <set>
#include <vector>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

RedisClientConfig clientFor(const RedisServer& server) {
    RedisClientConfig c;
    c.url = RedisUrl::parse(server.url()).value();
    c.connectTimeout = 500ms;
    c.commandTimeout = 500ms;
    c.reconnectMin = 20ms;
    c.reconnectMax = 100ms;
    return c;
}

MockConfig quietMock() {
    MockConfig c;
    c.rpm = 0;
    c.tpm = 0;
    c.capacity = 1000;
    c.ttftMs = 5;
    c.tpotMs = 1;
    c.tokensMin = c.tokensMax = 5;
    return c;
}

/// One whole chat completion for the mock, under the key both gateways share.
EngineRequest chat(const MockServer& mock) {
    return chatRequest(ApiFormat::OpenAi, QUrl(mock.baseUrl().toString() + QStringLiteral("/v1")),
                       QByteArrayLiteral("sk-test-0123456789abcdef"), QStringLiteral("mock-1"),
                       {{QStringLiteral("user"), QStringLiteral("Say hi")}}, 16, false);
}

/// A gateway "process": its own gate and board on the shared Redis, `rpm` for the fleet.
std::unique_ptr<GatewayServer> gatewayOn(const RedisServer& redis, const MockServer& mock,
                                         int rpm) {
    GatewayConfig config = test::gatewayFor(mock.baseUrl(), 10);
    config.rpm = rpm;
    auto gateway = std::make_unique<GatewayServer>(config);
    SharedAdmissionConfig shared;
    shared.client = clientFor(redis);
    gateway->setGate(std::make_unique<RedisGate>(shared));
    gateway->setFleet(std::make_unique<RedisFleetBoard>(clientFor(redis)));
    return gateway;
}

/// Redis, the mock, and two gateways in front of it sharing `rpm` (each with its own gate,
/// board and connections, as two processes would have), listening.
struct TwoGateways {
    RedisServer redis;
    MockServer mock{quietMock()};
    std::unique_ptr<GatewayServer> a, b;

    bool start(int rpm) {
        if (!redis.start() || !mock.listen()) {
            return false;
        }
        a = gatewayOn(redis, mock, rpm);
        b = gatewayOn(redis, mock, rpm);
        return a->listen().ok() && b->listen().ok();
    }
};

QUrl url(const GatewayServer& g, const QString& path) {
    return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(g.port()).arg(path));
}

/// A state's rank along a request's life (the order /admin/events must show).
int rank(const QString& state) {
    static const std::map<QString, int> ranks{
        {QStringLiteral("queued"), 0},    {QStringLiteral("waiting_budget"), 0},
        {QStringLiteral("in_flight"), 1}, {QStringLiteral("retrying"), 1},
        {QStringLiteral("streaming"), 2}, {QStringLiteral("done"), 3},
        {QStringLiteral("failed"), 3},    {QStringLiteral("timed_out"), 3},
        {QStringLiteral("rejected"), 3},  {QStringLiteral("cancelled"), 3},
    };
    const auto it = ranks.find(state);
    return it == ranks.end() ? -1 : it->second;
}

} // namespace

class TestFleetRequests : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void eitherGatewayAnswersForEveryRequest() {
        SKIP_WITHOUT_REDIS();
        // One request a minute for the fleet: after the first, the rest wait, and their places
        // hold still while both gateways are asked. Each gateway applies the fleet's limits to
        // its own requests first: most wait in their own gateway's queue (for its budget),
        // B's first at the shared gate.
        TwoGateways fleet;
        QVERIFY(fleet.start(1));
        MockServer& mock = fleet.mock;
        std::unique_ptr<GatewayServer>& a = fleet.a;
        std::unique_ptr<GatewayServer>& b = fleet.b;
        QVERIFY(a->fleet() && b->fleet());
        // Each names itself by host and port, what an operator can go and ask.
        QVERIFY(a->fleet()->processName().endsWith(QStringLiteral(":%1").arg(a->port())));
        QVERIFY(b->fleet()->processName().endsWith(QStringLiteral(":%1").arg(b->port())));
        // Ids are unique across the fleet: each gateway numbers from its own base.
        QVERIFY(a->fleet()->idBase() != b->fleet()->idBase());
        QVERIFY(a->fleet()->idBase() >= (1ULL << 32) && a->fleet()->idBase() < (1ULL << 52));
        QCOMPARE(a->engine().nextId(), a->fleet()->idBase() + 1);

        QNetworkAccessManager nam;
        QNetworkReply* events = nam.get(QNetworkRequest(url(*b, QStringLiteral("/admin/events"))));
        QByteArray eventBytes;
        connect(events, &QNetworkReply::readyRead, this, [&] { eventBytes += events->readAll(); });
        QVERIFY(test::runUntil([&] { return eventBytes.contains("request states"); }, 5000));

        // The first takes the minute's one request; then three each, in turn, each once the
        // other gateway has heard of the one before (their arrivals are that far apart).
        int ended = 0;
        const auto done = [&ended](const RequestRecord&) { ++ended; };
        a->engine().submit(chat(mock), done);
        QVERIFY(test::runUntil([&] { return ended == 1; }, 5000));
        std::vector<std::uint64_t> ofA, ofB;
        const auto submitTo = [&](GatewayServer& to, GatewayServer& other) {
            const std::uint64_t id = to.engine().submit(chat(mock), done);
            return test::runUntil([&] { return other.fleet()->find(id).has_value(); }, 5000) ? id
                                                                                             : 0;
        };
        for (int i = 0; i < 3; ++i) {
            ofA.push_back(submitTo(*a, *b));
            QVERIFY(ofA.back() != 0);
            ofB.push_back(submitTo(*b, *a));
            QVERIFY(ofB.back() != 0);
        }

        // Asked of either gateway, each request is in the same place: the order they came in,
        // across both, whether it waits at the shared gate or in its own gateway's queue.
        const auto askAll = [&](const GatewayServer& g) {
            std::map<std::uint64_t, QJsonObject> seen;
            for (const auto* ids : {&ofA, &ofB}) {
                for (std::uint64_t id : *ids) {
                    seen[id] =
                        test::get(nam, url(g, QStringLiteral("/admin/requests/%1").arg(id))).json();
                }
            }
            return seen;
        };
        std::map<std::uint64_t, QJsonObject> fromA, fromB;
        const bool agree = test::runUntil(
            [&] {
                fromA = askAll(*a);
                fromB = askAll(*b);
                for (int i = 0; i < 6; ++i) {
                    const std::uint64_t id = i % 2 == 0 ? ofA[i / 2] : ofB[i / 2];
                    for (const auto* seen : {&fromA, &fromB}) {
                        if (seen->at(id).value(QStringLiteral("ahead")).toInt(-1) != i) {
                            return false;
                        }
                    }
                }
                return true;
            },
            5000);
        for (int i = 0; i < 6; ++i) {
            const std::uint64_t id = i % 2 == 0 ? ofA[i / 2] : ofB[i / 2];
            qInfo("request %d (%llu, at %s): %s, ahead %d asked of A, %d asked of B", i + 1,
                  static_cast<unsigned long long>(id), i % 2 == 0 ? "A" : "B",
                  qPrintable(fromA[id].value(QStringLiteral("state")).toString()),
                  fromA[id].value(QStringLiteral("ahead")).toInt(-1),
                  fromB[id].value(QStringLiteral("ahead")).toInt(-1));
        }
        QVERIFY(agree);
        int atGate = 0;
        for (int i = 0; i < 3; ++i) {
            // Who has it says so; the other says whose it is, and how old its word is.
            QCOMPARE(fromA[ofA[i]].value(QStringLiteral("gateway")).toString(),
                     a->fleet()->processName());
            QCOMPARE(fromB[ofA[i]].value(QStringLiteral("gateway")).toString(),
                     a->fleet()->processName());
            QCOMPARE(fromA[ofB[i]].value(QStringLiteral("gateway")).toString(),
                     b->fleet()->processName());
            QVERIFY(fromB[ofA[i]].value(QStringLiteral("as_of_ms")).isDouble());
            // ... and what its place counts (its gateway's queue, or the fleet at the gate).
            for (const auto* seen : {&fromA, &fromB}) {
                for (const std::uint64_t id : {ofA[i], ofB[i]}) {
                    // Where it waits, its place counts the fleet.
                    QCOMPARE(seen->at(id).value(QStringLiteral("ahead_scope")).toString(),
                             QStringLiteral("fleet"));
                    QCOMPARE(seen->at(id).value(QStringLiteral("at_shared_gate")),
                             fromA.at(id).value(QStringLiteral("at_shared_gate")));
                }
            }
            for (const std::uint64_t id : {ofA[i], ofB[i]}) {
                atGate += fromA.at(id).value(QStringLiteral("at_shared_gate")).toBool() ? 1 : 0;
            }
            QVERIFY(!fromA[ofA[i]].contains(QStringLiteral("as_of_ms")));
            const QString state = fromB[ofA[i]].value(QStringLiteral("state")).toString();
            QVERIFY2(state == QLatin1String("waiting_budget") || state == QLatin1String("queued"),
                     qPrintable(state));
        }
        // Both kinds in one order: some at the shared gate, some still in their gateway's queue.
        QVERIFY2(atGate > 0 && atGate < 6, qPrintable(QString::number(atGate)));
        // Each gateway lists the fleet's waiting requests, its own first.
        const QJsonArray listed =
            test::get(nam, url(*b, QStringLiteral("/admin/requests?state=queued")))
                .json()
                .value(QStringLiteral("requests"))
                .toArray();
        std::set<std::uint64_t> listedIds;
        for (const QJsonValue& v : listed) {
            listedIds.insert(static_cast<std::uint64_t>(v[QStringLiteral("id")].toDouble()));
        }
        QCOMPARE(listedIds.size(), std::size_t{6});
        for (std::uint64_t id : ofA) {
            QVERIFY(listedIds.count(id) == 1);
        }

        // The limit is raised to a thousand a second: the waiting requests ask again under it
        // at once (a fresh window, not the old one's pacing), everything goes, and each
        // gateway's events tell the other's requests' states in order, to the end.
        for (GatewayServer* g : {a.get(), b.get()}) {
            QVERIFY(g->applyLimits(QJsonObject{{QStringLiteral("rpm"), 60000}}).ok());
        }
        QVERIFY(test::runUntil([&] { return ended == 7; }, 10000));
        std::map<std::uint64_t, std::vector<QString>> statesOf;
        QVERIFY(test::runUntil(
            [&] {
                statesOf.clear();
                for (const test::SseEvent& e : test::parseSse(eventBytes)) {
                    const QJsonObject o = QJsonDocument::fromJson(e.data).object();
                    if (e.event == "state") {
                        statesOf[static_cast<std::uint64_t>(o[QStringLiteral("id")].toDouble())]
                            .push_back(o[QStringLiteral("state")].toString());
                    }
                }
                for (std::uint64_t id : ofA) {
                    if (statesOf[id].empty() || statesOf[id].back() != QLatin1String("done")) {
                        return false;
                    }
                }
                return true;
            },
            5000));
        for (std::uint64_t id : ofA) {
            const std::vector<QString>& states = statesOf[id];
            QCOMPARE(states.front(), QStringLiteral("waiting_budget"));
            for (std::size_t i = 1; i < states.size(); ++i) {
                QVERIFY2(rank(states[i - 1]) <= rank(states[i]),
                         qPrintable(states[i - 1] + QStringLiteral(" then ") + states[i]));
            }
            const QJsonObject end =
                test::get(nam, url(*b, QStringLiteral("/admin/requests/%1").arg(id))).json();
            QCOMPARE(end.value(QStringLiteral("state")).toString(), QStringLiteral("done"));
            QCOMPARE(end.value(QStringLiteral("gateway")).toString(), a->fleet()->processName());
        }
        // An id nobody has is still unknown.
        QCOMPARE(
            test::get(
                nam, url(*b, QStringLiteral("/admin/requests/%1").arg(a->fleet()->idBase() + 1000)))
                .status,
            404);
        events->abort();
    }

    // A gateway that stops says so: the others forget its requests still waiting at once, not
    // after the silence that tells them a process died.
    void aStoppedGatewaysRequestsAreForgotten() {
        SKIP_WITHOUT_REDIS();
        TwoGateways fleet;
        QVERIFY(fleet.start(1));
        MockServer& mock = fleet.mock;
        std::unique_ptr<GatewayServer>& a = fleet.a;
        std::unique_ptr<GatewayServer>& b = fleet.b;
        int ended = 0;
        a->engine().submit(chat(mock), [&ended](const RequestRecord&) { ++ended; });
        QVERIFY(test::runUntil([&] { return ended == 1; }, 5000));
        const std::uint64_t waiting =
            a->engine().submit(chat(mock), [&ended](const RequestRecord&) { ++ended; });
        QVERIFY(test::runUntil(
            [&] {
                return b->requestJson(waiting).isEmpty() &&
                       !b->fleet()->find(waiting).value_or(QJsonObject{}).isEmpty();
            },
            5000));
        QElapsedTimer sinceStop;
        a.reset();
        sinceStop.start();
        QVERIFY(test::runUntil([&] { return !b->fleet()->find(waiting).has_value(); }, 5000));
        qInfo("forgotten %lld ms after its gateway stopped",
              static_cast<long long>(sinceStop.elapsed()));
        QVERIFY(sinceStop.elapsed() < RedisFleetBoard::kSilentFor.count());
    }
};

QTEST_GUILESS_MAIN(TestFleetRequests)
#include "tst_fleetrequests.moc"
