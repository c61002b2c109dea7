// One queue order for the fleet: two RedisGates (two "processes": their own SharedAdmission,
// process id and connections) on one real redis-server admit the asks of one scope in one
// order, priority then arrival, whoever holds them; their positions agree; a dead process's
// member at the head is skipped once its liveness lapses; a head waiting for a lease keeps
// its place.
#include "core/redis/redisgate.h"
#include "tests/support/redisserver.h"

#include <QElapsedTimer>
#include <QTest>

#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

const std::string kScope = "sk-test-queue-0123\nmodel-1";

SharedAdmissionConfig configFor(const RedisServer& server) {
    SharedAdmissionConfig c;
    c.client = server.clientConfig(500);
    c.policy = RedisPolicy::Closed;
    c.heartbeat = 100ms; // positions read every 100 ms; a process is dead 1 s after its last word
    c.leaseTtl = 2s;
    return c;
}

GateAsk askFor(int priority, std::chrono::milliseconds waited, std::int64_t perMinute,
               int concurrency = 0) {
    GateAsk a;
    a.key = kScope;
    if (perMinute > 0) {
        a.limits.requests.push_back(RateLevel{perMinute, 60s, 0});
    }
    a.concurrency = concurrency;
    a.priority = priority;
    a.waited = waited;
    return a;
}

/// One command on a client of the test's own, answered.
std::optional<RedisReply> run(RedisClient& client, const QList<QByteArray>& args) {
    std::optional<Result<RedisReply>> out;
    client.send(args, [&out](Result<RedisReply> r) { out.emplace(std::move(r)); });
    waitUntil([&out] { return out.has_value(); }, 3000);
    if (!out || !out->ok()) {
        return std::nullopt;
    }
    return out->value();
}

bool timeKnown(RedisGate& a, RedisGate& b) {
    return a.shared().queue().redisNowUs() && b.shared().queue().redisNowUs();
}

} // namespace

class TestSharedQueue : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void scoresArePriorityThenArrival() {
        const std::int64_t t = 1'800'000'000'000'000; // µs since the epoch, in 2027
        QVERIFY(SharedQueue::score(0, t + 3'600'000'000) < SharedQueue::score(1, t));
        QVERIFY(SharedQueue::score(1, t) < SharedQueue::score(1, t + 1));
        // Exact in a double (Redis keeps scores as doubles), up to the last band.
        const std::int64_t top = SharedQueue::score(9, t + 1);
        QVERIFY(top < (std::int64_t{1} << 53));
        QCOMPARE(static_cast<std::int64_t>(static_cast<double>(top)), top);
        QVERIFY(static_cast<double>(top) != static_cast<double>(top - 1));
        QCOMPARE(SharedQueue::score(42, t), SharedQueue::score(9, t)); // clamped to 0..9
        QCOMPARE(SharedQueue::processOf(QByteArrayLiteral("812:k3x9:00000000000000ff")),
                 QByteArrayLiteral("812:k3x9"));
    }

    void oneOrderAcrossTwoProcesses_data() {
        QTest::addColumn<bool>("scripts");
        QTest::newRow("scripted") << true;
        QTest::newRow("script-free") << false;
    }
    // Eight asks at two processes, interleaved in arrival, one of them more urgent and the last
    // to arrive, under 150 a minute (one every ~0.4 s): admitted in exactly the fleet's order,
    // and before each admission both processes give every waiter its place in it.
    void oneOrderAcrossTwoProcesses() {
        SKIP_WITHOUT_REDIS();
        QFETCH(bool, scripts);
        RedisServer redis(scripts ? QStringList() : RedisServer::withoutScripts());
        QVERIFY(redis.start());
        const std::int64_t rpm = 150;
        RedisGate a(configFor(redis));
        RedisGate b(configFor(redis));
        QTRY_VERIFY_WITH_TIMEOUT(timeKnown(a, b), 3000);
        // The budget's first slot goes now: the next is an interval away, so every ask below
        // is registered before any of them is decided.
        bool warm = false;
        a.ask(askFor(1, 0ms, rpm), [&warm](std::string) { warm = true; });
        QTRY_VERIFY_WITH_TIMEOUT(warm, 3000);

        struct Spec {
            RedisGate* gate;
            std::string name;
            int priority;
            std::chrono::milliseconds waited;
        };
        const std::vector<Spec> specs{{&a, "a0", 1, 900ms}, {&b, "b0", 1, 800ms},
                                      {&a, "a1", 1, 700ms}, {&b, "b1", 1, 600ms},
                                      {&a, "a2", 1, 500ms}, {&b, "b2", 1, 400ms},
                                      {&a, "a3", 1, 300ms}, {&b, "urgent", 0, 0ms}};
        const std::vector<std::string> expected{"urgent", "a0", "b0", "a1", "b1", "a2", "b2", "a3"};
        std::vector<std::string> admitted;
        std::map<std::string, std::pair<RedisGate*, std::uint64_t>> tickets;
        for (const Spec& s : specs) {
            const std::uint64_t t =
                s.gate->ask(askFor(s.priority, s.waited, rpm),
                            [&admitted, name = s.name](std::string) { admitted.push_back(name); });
            tickets[s.name] = {s.gate, t};
        }
        // Positions of those still waiting, from whichever process holds each.
        auto placesAre = [&](std::size_t done) {
            if (admitted.size() != done) {
                return false;
            }
            for (std::size_t i = done; i < expected.size(); ++i) {
                const auto& [gate, ticket] = tickets.at(expected[i]);
                const auto p = gate->position(ticket);
                if (!p || *p != i - done) {
                    return false;
                }
            }
            return true;
        };
        QElapsedTimer t;
        t.start();
        for (std::size_t done = 0; done < expected.size(); ++done) {
            QTRY_VERIFY_WITH_TIMEOUT(placesAre(done), 3000);
        }
        QTRY_COMPARE_WITH_TIMEOUT(admitted.size(), expected.size(), 3000);
        qInfo("%s: admitted %s %s %s %s %s %s %s %s in %lld ms",
              scripts ? "scripted" : "script-free", admitted[0].c_str(), admitted[1].c_str(),
              admitted[2].c_str(), admitted[3].c_str(), admitted[4].c_str(), admitted[5].c_str(),
              admitted[6].c_str(), admitted[7].c_str(), static_cast<long long>(t.elapsed()));
        QCOMPARE(admitted, expected);
        QCOMPARE(a.status().waiting, std::uint64_t{0});
        QCOMPARE(b.status().waiting, std::uint64_t{0});
        QCOMPARE(QString::fromStdString(a.status().mode),
                 scripts ? QStringLiteral("scripted") : QStringLiteral("script-free"));
        // Nothing left behind in Redis.
        RedisClient raw(redis.clientConfig());
        const auto left = run(raw, {"ZCARD", SharedQueue::queueKey(SharedBudget::keyHash(
                                                 QByteArray::fromStdString(kScope)))});
        QVERIFY(left.has_value());
        QCOMPARE(left->integer, std::int64_t{0});
    }

    void deadProcessAtTheHeadIsSkipped_data() {
        QTest::addColumn<bool>("scripts");
        QTest::newRow("scripted") << true;
        QTest::newRow("script-free") << false;
    }
    // A process that registered a request ahead of everyone, then went silent (crashed): its
    // member holds the head until its liveness lapses, then the next one goes.
    void deadProcessAtTheHeadIsSkipped() {
        SKIP_WITHOUT_REDIS();
        QFETCH(bool, scripts);
        RedisServer redis(scripts ? QStringList() : RedisServer::withoutScripts());
        QVERIFY(redis.start());
        RedisClient raw(redis.clientConfig());
        const QByteArray keyHash = SharedBudget::keyHash(QByteArray::fromStdString(kScope));
        const auto time = run(raw, {"TIME"});
        QVERIFY(time && time->elements.size() == 2);
        const std::int64_t nowUs = time->elements[0].toInt() * 1000000 + time->elements[1].toInt();
        const std::int64_t lapseUs = 800'000;
        QVERIFY(run(raw, {"ZADD", SharedQueue::liveKey(keyHash),
                          QByteArray::number(nowUs + lapseUs), "4242:crashed"}));
        QVERIFY(run(raw, {"ZADD", SharedQueue::queueKey(keyHash),
                          QByteArray::number(SharedQueue::score(1, nowUs - 10'000'000)),
                          "4242:crashed:0000000000000001"}));
        QElapsedTimer sinceWritten;
        sinceWritten.start();

        RedisGate a(configFor(redis));
        QTRY_VERIFY_WITH_TIMEOUT(a.shared().queue().redisNowUs().has_value(), 3000);
        bool admitted = false;
        const std::uint64_t ticket =
            a.ask(askFor(1, 0ms, 6000), [&admitted](std::string) { admitted = true; });
        // Behind the silent process's request while it counts as alive.
        QTRY_COMPARE_WITH_TIMEOUT(a.position(ticket), std::optional<std::uint64_t>(1), 700);
        QVERIFY(!admitted);
        QTRY_VERIFY_WITH_TIMEOUT(admitted, 3000);
        qInfo("admitted %lld ms after the dead member was written (liveness %lld ms)",
              static_cast<long long>(sinceWritten.elapsed()),
              static_cast<long long>(lapseUs / 1000));
        QVERIFY(sinceWritten.elapsed() >= lapseUs / 1000 - 50);
        const auto left = run(raw, {"ZCARD", SharedQueue::queueKey(keyHash)});
        QVERIFY(left.has_value());
        QCOMPARE(left->integer, std::int64_t{0}); // the dead member was dropped
    }

    // Concurrency 1 for the fleet, held by A: B's earlier request waits at the head for the
    // lease, and A's later one, though its process is the one releasing, does not overtake it.
    void headWaitingForALeaseKeepsItsPlace() {
        SKIP_WITHOUT_REDIS();
        RedisServer redis;
        QVERIFY(redis.start());
        RedisGate a(configFor(redis));
        RedisGate b(configFor(redis));
        QTRY_VERIFY_WITH_TIMEOUT(timeKnown(a, b), 3000);
        std::optional<std::string> held;
        const GateAsk first = askFor(1, 0ms, 0, 1);
        a.ask(first, [&held](std::string lease) { held = std::move(lease); });
        QTRY_VERIFY_WITH_TIMEOUT(held.has_value(), 3000);
        QVERIFY(!held->empty());

        std::vector<std::string> admitted;
        std::map<std::string, std::string> leases;
        auto record = [&](const std::string& name) {
            return [&admitted, &leases, name](std::string lease) {
                admitted.push_back(name);
                leases[name] = std::move(lease);
            };
        };
        const std::uint64_t early = b.ask(askFor(1, 500ms, 0, 1), record("b-early"));
        const std::uint64_t late = a.ask(askFor(1, 0ms, 0, 1), record("a-late"));
        QTRY_COMPARE_WITH_TIMEOUT(b.position(early), std::optional<std::uint64_t>(0), 2000);
        QTRY_COMPARE_WITH_TIMEOUT(a.position(late), std::optional<std::uint64_t>(1), 2000);
        QVERIFY(admitted.empty());
        a.settle(first, *held, 0);
        QTRY_COMPARE_WITH_TIMEOUT(admitted.size(), std::size_t{1}, 3000);
        QCOMPARE(admitted.front(), std::string("b-early"));
        b.settle(askFor(1, 0ms, 0, 1), leases["b-early"], 0);
        QTRY_COMPARE_WITH_TIMEOUT(admitted.size(), std::size_t{2}, 3000);
        QCOMPARE(admitted.back(), std::string("a-late"));
        a.settle(askFor(1, 0ms, 0, 1), leases["a-late"], 0);
    }
};

QTEST_GUILESS_MAIN(TestSharedQueue)
#include "tst_sharedqueue.moc"
