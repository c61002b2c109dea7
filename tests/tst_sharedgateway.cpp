// Shared limits end to end: engines (each with its own RedisGate and connections, as separate
// gateway processes would have) in front of the built-in mock, judged by the mock's own
// counters (MockServer::statsJson(), the same as GET /mock/stats). Minute windows are scaled
// (ScaledClock) so a run takes seconds; the gates divide their periods by the same speed.
#include "core/net/requestengine.h"
#include "core/redis/redisgate.h"
#include "core/server/gateway/gatewayserver.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/gatewayfixture.h"
#include "tests/support/httptestclient.h"
#include "tests/support/redisserver.h"
#include "tests/support/timedtest.h"

#include <QJsonObject>
#include <QTest>

#include <memory>
#include <vector>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

SharedAdmissionConfig sharedFor(const RedisServer& server, RedisPolicy policy) {
    SharedAdmissionConfig c;
    c.client.url = RedisUrl::parse(server.url()).value();
    c.client.connectTimeout = 500ms;
    c.client.commandTimeout = 500ms;
    c.client.reconnectMin = 20ms;
    c.client.reconnectMax = 100ms;
    c.policy = policy;
    return c;
}

MockConfig quietMock(int ttftMs) {
    MockConfig c;
    c.rpm = 0;
    c.tpm = 0;
    c.capacity = 1000;
    c.ttftMs = ttftMs;
    c.tpotMs = 1;
    c.tokensMin = c.tokensMax = 5;
    return c;
}

EngineRequest chat(const MockServer& mock) {
    return chatRequest(ApiFormat::OpenAi, QUrl(mock.baseUrl().toString() + QStringLiteral("/v1")),
                       QByteArrayLiteral("sk-test-0123456789abcdef"), QStringLiteral("mock-1"),
                       {{QStringLiteral("user"), QStringLiteral("Say hi")}}, 16, true);
}

double stat(MockServer& mock, const char* name) {
    return mock.statsJson().value(QLatin1String(name)).toDouble();
}

double windowStat(MockServer& mock, const char* name) {
    return mock.statsJson()
        .value(QStringLiteral("window"))
        .toObject()
        .value(QLatin1String(name))
        .toDouble();
}

/// One "process": an engine with its own gate (its own Redis connections).
std::unique_ptr<RequestEngine> engineFor(const RedisServer& redis, const Clock& clock,
                                         int concurrency, std::int64_t rpm) {
    EngineConfig config;
    config.concurrency.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    config.concurrency.initial = config.concurrency.min = config.concurrency.max = concurrency;
    if (rpm > 0) {
        config.budgets = {BudgetRule{"*", "*", BudgetLimits{{RateLevel{rpm, 1min, 0}}, {}}}};
    }
    auto engine = std::make_unique<RequestEngine>(config, &clock);
    engine->setGate(
        std::make_unique<RedisGate>(sharedFor(redis, RedisPolicy::Closed), clock.speed()));
    return engine;
}

} // namespace

class TestSharedGateway : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fourShareOneRpm_data() {
        QTest::addColumn<bool>("scripts");
        QTest::newRow("scripted") << true;
        QTest::newRow("script-free") << false;
    }
    // Four engines sharing 600 rpm (a minute is 10 s here) for two minutes: no minute at the mock
    // holds more than 600, and the last one (the first warms up) holds at least 97% of it.
    // At 6x the one thread (four engines, the mock, the callers) keeps up with 60 admissions a
    // second even sharing its cores with two busy loops (99% then); at 15x a loaded machine
    // left it at 97% or below, which measured the machine rather than the shared budget.
    void fourShareOneRpm() {
        SKIP_WITHOUT_REDIS();
        QFETCH(bool, scripts);
        RedisServer redis(scripts ? QStringList() : RedisServer::withoutScripts());
        QVERIFY(redis.start());
        const double speed = 6;
        const std::int64_t rpm = 600;
        ScaledClock clock(speed);
        MockServer mock(quietMock(5), nullptr, &clock);
        QVERIFY(mock.listen());
        std::vector<std::unique_ptr<RequestEngine>> engines;
        for (int i = 0; i < 4; ++i) {
            engines.push_back(engineFor(redis, clock, 64, rpm));
        }
        // More than the two minutes can take, queued at once, arriving in turn at each engine
        // (the fleet admits in one order of arrival: had one engine taken its 600 first, it
        // would be served first).
        for (int i = 0; i < 600; ++i) {
            for (auto& e : engines) {
                e->submit(chat(mock));
            }
        }
        const Nanos start = clock.now();
        QVERIFY(test::runUntil([&] { return clock.now() - start >= 2min; }, 30000));
        const double lastMinute = windowStat(mock, "requests_now");
        const double busiest = windowStat(mock, "max_requests");
        std::vector<std::uint64_t> admitted;
        for (auto& e : engines) {
            const GateStatus s = e->gate()->status();
            QCOMPARE(QString::fromStdString(s.mode),
                     scripts ? QStringLiteral("scripted") : QStringLiteral("script-free"));
            QVERIFY(!s.alarm);
            admitted.push_back(s.admitted);
            e->cancelAll();
        }
        qInfo("%s: busiest minute %.0f of %lld, last minute %.0f (%.1f%%); admitted per engine "
              "%llu %llu %llu %llu; 429s %.0f",
              scripts ? "scripted" : "script-free", busiest, static_cast<long long>(rpm),
              lastMinute, 100 * lastMinute / rpm, static_cast<unsigned long long>(admitted[0]),
              static_cast<unsigned long long>(admitted[1]),
              static_cast<unsigned long long>(admitted[2]),
              static_cast<unsigned long long>(admitted[3]), stat(mock, "rate_limited"));
        QVERIFY(busiest <= rpm);
        // How much of the limit is used depends on keeping up at a 6x clock, which a
        // sanitizer's slowdown of this one thread (four engines, the mock, the callers) breaks.
        if (!test::timedTestsSkipped()) {
            QVERIFY(lastMinute >= 0.97 * rpm);
        }
        for (std::uint64_t a : admitted) {
            QVERIFY(a > 0); // every process took part
        }
    }

    // Three engines with a fleet-wide concurrency of 30 and long answers: the mock never sees
    // more than 30 at once, and does see 30.
    void threeShareConcurrency() {
        SKIP_WITHOUT_REDIS();
        RedisServer redis;
        QVERIFY(redis.start());
        SteadyClock clock;
        MockServer mock(quietMock(300), nullptr, &clock);
        QVERIFY(mock.listen());
        std::vector<std::unique_ptr<RequestEngine>> engines;
        for (int i = 0; i < 3; ++i) {
            engines.push_back(engineFor(redis, clock, 30, 0));
        }
        int ended = 0;
        for (auto& e : engines) {
            for (int i = 0; i < 40; ++i) {
                e->submit(chat(mock), [&ended](const RequestRecord&) { ++ended; });
            }
        }
        QVERIFY(test::runUntil([&] { return ended == 120; }, 30000));
        qInfo("mock: %.0f requests, peak concurrency %.0f", stat(mock, "requests"),
              stat(mock, "peak_concurrent"));
        QCOMPARE(stat(mock, "requests"), 120.0);
        QCOMPARE(stat(mock, "peak_concurrent"), 30.0);
    }

    // A gateway with the closed policy: Redis killed mid-run raises the alarm within a second
    // (stats, metrics); nothing is sent while it stands; Redis back, the waiting requests go
    // and the limits are shared again, without a restart.
    void redisKilledClosedThenBack() {
        SKIP_WITHOUT_REDIS();
        RedisServer redis;
        QVERIFY(redis.start());
        SteadyClock clock;
        MockServer mock(quietMock(5), nullptr, &clock);
        QVERIFY(mock.listen());
        GatewayConfig config = test::gatewayFor(mock.baseUrl(), 10);
        config.rpm = 6000;
        GatewayServer gateway(config, &clock);
        gateway.setGate(
            std::make_unique<RedisGate>(sharedFor(redis, RedisPolicy::Closed), clock.speed()));
        QVERIFY(gateway.listen().ok());
        int ended = 0;
        gateway.engine().submit(chat(mock), [&ended](const RequestRecord&) { ++ended; });
        QVERIFY(test::runUntil([&] { return ended == 1; }, 5000));
        QCOMPARE(stat(mock, "requests"), 1.0);
        auto shared = [&gateway] {
            return gateway.statsJson().value(QStringLiteral("shared")).toObject();
        };
        QCOMPARE(shared().value(QStringLiteral("alarm")).toBool(), false);

        QElapsedTimer sinceKill;
        redis.kill();
        sinceKill.start();
        QVERIFY(
            test::runUntil([&] { return shared().value(QStringLiteral("alarm")).toBool(); }, 1000));
        qInfo("alarm after %lld ms", static_cast<long long>(sinceKill.elapsed()));
        QVERIFY(sinceKill.elapsed() <= 1000);
        QVERIFY(gateway.metricsText().contains("sluice_shared_alarm{policy=\"closed\"} 1"));
        QCOMPARE(shared().value(QStringLiteral("policy")).toString(), QStringLiteral("closed"));

        for (int i = 0; i < 5; ++i) {
            gateway.engine().submit(chat(mock), [&ended](const RequestRecord&) { ++ended; });
        }
        // They wait at the gate, and the policy keeps them there: asked again and refused at
        // least twice while the alarm stands, nothing reaches the mock.
        QVERIFY(test::runUntil(
            [&] {
                return shared().value(QStringLiteral("waiting")).toInt() == 5 &&
                       shared().value(QStringLiteral("policy_decisions")).toInt() >= 2;
            },
            5000));
        QCOMPARE(stat(mock, "requests"), 1.0);
        QCOMPARE(ended, 1);

        QVERIFY(redis.start());
        QVERIFY(test::runUntil([&] { return ended == 6; }, 5000));
        QCOMPARE(stat(mock, "requests"), 6.0);
        QCOMPARE(shared().value(QStringLiteral("alarm")).toBool(), false);
        QVERIFY(gateway.metricsText().contains("sluice_shared_alarm{policy=\"closed\"} 0"));
    }
};

QTEST_GUILESS_MAIN(TestSharedGateway)
#include "tst_sharedgateway.moc"
