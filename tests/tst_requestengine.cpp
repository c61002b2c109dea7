// The engine against the built-in mock on loopback: a request's life (whole and streamed,
// cancelled anywhere, failed and classified, published, ended by destruction), every count
// checked on the server's own counters (MockServer::statsJson(), as GET /mock/stats). Limits and
// rates: tst_enginelimits.
#include "core/net/requestengine.h"
#include "core/net/tokenestimate.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/enginefixture.h"
#include "tests/support/httptestclient.h"
#include "tests/support/timedtest.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <random>
#include <set>

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

class TestRequestEngine final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void completesStreamAndWhole_data();
    void completesStreamAndWhole();
    void accountingUnderFaults();
    void cancelEverywhere();
    void quotaIsNeverRetried();
    void breakerOpensOnOutage();
    void publishesSnapshotsAndUpdates();
    void destructionEndsEveryRequest();
    void displacedCallbackMayCancelTheNewcomer();
    void midstreamErrorEventsAreClassified_data();
    void midstreamErrorEventsAreClassified();
};

void TestRequestEngine::completesStreamAndWhole_data() {
    QTest::addColumn<int>("format");
    QTest::addColumn<bool>("stream");
    QTest::newRow("openai stream") << int(ApiFormat::OpenAi) << true;
    QTest::newRow("openai whole") << int(ApiFormat::OpenAi) << false;
    QTest::newRow("anthropic stream") << int(ApiFormat::Anthropic) << true;
    QTest::newRow("anthropic whole") << int(ApiFormat::Anthropic) << false;
}

void TestRequestEngine::completesStreamAndWhole() {
    QFETCH(int, format);
    QFETCH(bool, stream);
    MockServer mock(engineMock());
    QVERIFY(mock.listen());
    RequestEngine engine;
    std::optional<RequestRecord> record;
    const EngineRequest request = chat(mock, 16, stream, static_cast<ApiFormat>(format));
    // chatRequest() estimates the prompt as the body would be counted; the mock counts it the
    // same way, so its usage must agree exactly.
    QCOMPARE(request.promptTokens,
             qint64(estimatePromptTokens(QJsonDocument::fromJson(request.body).object())));
    engine.submit(request, [&](const RequestRecord& r) { record = r; });
    QVERIFY(test::runUntil([&] { return record.has_value(); }, 10000));
    QCOMPARE(stateName(record->state), "done");
    QCOMPARE(record->status, 200);
    QCOMPARE(record->attempts, 1);
    QCOMPARE(record->completionTokens, 5); // the mock's usage, exactly
    QVERIFY(!record->tokensEstimated);
    QCOMPARE(record->promptTokens, request.promptTokens);
    QVERIFY(record->firstTokenAt >= record->sentAt);
    QVERIFY(record->ttft() >= 15ms); // the mock waits 20 ms (timer slack aside)
    if (stream) {
        QCOMPARE(record->chunks, 5);
        QCOMPARE(int(record->chunkTimes.size()), 5);
        QVERIFY(std::is_sorted(record->chunkTimes.begin(), record->chunkTimes.end()));
    }
    QCOMPARE(engine.inFlight(), 0);
    QCOMPARE(stat(mock, "requests"), 1.0);
}

// Acceptance 1: asked for 200 concurrent, the server sees at least 190 at once.
void TestRequestEngine::accountingUnderFaults() {
    MockConfig m = engineMock();
    m.capacity = 8;
    m.faults.error500 = 0.1;
    m.faults.error503 = 0.05;
    m.faults.quota = 0.05;
    m.faults.stall = 0.05;
    m.faults.midstream = 0.05;
    m.stallMs = 5000;
    MockServer mock(m);
    QVERIFY(mock.listen());
    EngineConfig config;
    config.concurrency.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    config.concurrency.initial = 16;
    config.queue.capacity = 150;
    config.transferTimeout = 300ms;
    config.retry.baseDelay = 5ms;
    config.retry.maxDelay = 20ms;
    config.retry.budgetRatio = 0.5;
    config.breaker.enabled = false;
    RequestEngine engine(config);
    std::map<RequestState, int> ends;
    int callbacks = 0;
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 300; ++i) {
        EngineRequest r = chat(mock, 8, i % 3 != 0);
        if (i % 10 == 0) {
            r.timeout = 150ms;
        }
        ids.push_back(engine.submit(r, [&](const RequestRecord& rec) {
            ++ends[rec.state];
            ++callbacks;
        }));
    }
    for (std::size_t i = 0; i < ids.size(); i += 17) {
        engine.cancel(ids[i]);
    }
    QVERIFY(test::runUntil([&] { return engine.active() == std::size_t(0); }, 30000));
    const EngineSnapshot s = engine.snapshot();
    qInfo("submitted %lld: done %lld failed %lld rejected %lld timed out %lld cancelled %lld; "
          "attempts %lld (retries %lld); server saw %.0f",
          (long long)s.submitted, (long long)s.done, (long long)s.failed, (long long)s.rejected,
          (long long)s.timedOut, (long long)s.cancelled, (long long)s.attempts,
          (long long)s.retries, stat(mock, "requests"));
    QCOMPARE(callbacks, 300);
    QCOMPARE(s.submitted, 300);
    QVERIFY(balanced(s));
    QVERIFY(s.done > 0 && s.failed > 0 && s.rejected > 0 && s.timedOut > 0 && s.cancelled > 0);
    // The server's own count of requests is our count of attempts: first sends plus retries.
    QCOMPARE(stat(mock, "requests"), double(s.attempts));
    QCOMPARE(ends[RequestState::Done], int(s.done));
    QCOMPARE(engine.inFlight(), 0);
    QCOMPARE(engine.queued(), std::size_t(0));
}

void TestRequestEngine::cancelEverywhere() {
    MockConfig m = engineMock();
    m.capacity = 1;
    m.tpotMs = 200;
    m.tokensMin = m.tokensMax = 50; // ~10 s per reply: stays in flight
    MockServer mock(m);
    QVERIFY(mock.listen());
    EngineConfig config;
    config.concurrency.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    config.concurrency.initial = 1;
    RequestEngine engine(config);
    std::map<std::uint64_t, RequestRecord> ended;
    auto keep = [&](const RequestRecord& r) { ended[r.id] = r; };
    const auto streaming = engine.submit(chat(mock, 50), keep);
    const auto queued = engine.submit(chat(mock, 50), keep);
    QVERIFY(test::runUntil([&] { return stat(mock, "in_service") == 1; }, 5000));
    QVERIFY(test::runUntil([&] { return engine.position(queued) == qint64(0); }, 5000));
    QVERIFY(engine.cancel(queued));
    QVERIFY(!engine.cancel(queued)); // exactly once
    QVERIFY(engine.cancel(streaming));
    QVERIFY(test::runUntil([&] { return int(ended.size()) == 2; }, 5000));
    QCOMPARE(stateName(ended[queued].state), "cancelled");
    QCOMPARE(ended[queued].attempts, 0);
    QCOMPARE(stateName(ended[streaming].state), "cancelled");
    QCOMPARE(ended[streaming].attempts, 1);
    QCOMPARE(engine.inFlight(), 0);
    QVERIFY(test::runUntil([&] { return stat(mock, "concurrent") == 0.0; },
                           5000)); // the server saw it go
    QCOMPARE(stat(mock, "requests"), 1.0);
}

void TestRequestEngine::quotaIsNeverRetried() {
    MockConfig m = engineMock();
    m.faults.quota = 1.0;
    MockServer mock(m);
    QVERIFY(mock.listen());
    EngineConfig config;
    config.retry.budgetRatio = 1.0;
    config.retry.budgetFloor = 100;
    RequestEngine engine(config);
    std::optional<RequestRecord> record;
    engine.submit(chat(mock), [&](const RequestRecord& r) { record = r; });
    QVERIFY(test::runUntil([&] { return record.has_value(); }, 5000));
    QCOMPARE(stateName(record->state), "failed");
    QCOMPARE(record->status, 429);
    QCOMPARE(record->attempts, 1);
    QCOMPARE(outcomeName(record->outcome), "quota_exhausted");
    QVERIFY2(record->reason.contains(QLatin1String("quota")), qPrintable(record->reason));
    QCOMPARE(stat(mock, "requests"), 1.0);
}

void TestRequestEngine::breakerOpensOnOutage() {
    MockConfig m = engineMock();
    m.faults.error500 = 1.0;
    MockServer mock(m);
    QVERIFY(mock.listen());
    ManualClock clock; // breaker timing by hand; network timing is real
    EngineConfig config;
    config.retry.maxAttempts = 1;
    config.breaker.minimumCalls = 5;
    config.breaker.windowCalls = 10;
    config.breaker.openDuration = 5s;
    config.breaker.halfOpenProbes = 2;
    config.concurrency.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    config.concurrency.initial = 1;
    RequestEngine engine(config, &clock);
    std::vector<RequestRecord> records;
    auto keep = [&](const RequestRecord& r) { records.push_back(r); };
    for (int i = 0; i < 8; ++i) {
        engine.submit(chat(mock), keep);
    }
    QVERIFY(test::runUntil([&] { return int(records.size()) == 8; }, 10000));
    // Five real failures open it; the other three fail fast without reaching the server.
    QCOMPARE(stat(mock, "requests"), 5.0);
    QCOMPARE(int(std::count_if(records.begin(), records.end(),
                               [](const RequestRecord& r) {
                                   return r.reason.startsWith(QLatin1String("circuit open"));
                               })),
             3);
    QCOMPARE(engine.snapshot().breaker, CircuitBreaker::State::Open);
    // The outage ends; after the open duration two probes close it again.
    MockConfig healthy = m;
    healthy.faults = {};
    QVERIFY(mock.setConfig(healthy).ok());
    clock.advance(5s);
    records.clear();
    for (int i = 0; i < 4; ++i) {
        engine.submit(chat(mock), keep);
    }
    QVERIFY(test::runUntil([&] { return int(records.size()) == 4; }, 10000));
    for (const RequestRecord& r : records) {
        QCOMPARE(stateName(r.state), "done");
    }
    QCOMPARE(engine.snapshot().breaker, CircuitBreaker::State::Closed);
}

// The GUI's feed: value snapshots at a fixed cadence and batched per-request updates, with queue
// positions, never one signal per request.
void TestRequestEngine::publishesSnapshotsAndUpdates() {
    MockConfig m = engineMock();
    m.ttftMs = 300;
    MockServer mock(m);
    QVERIFY(mock.listen());
    EngineConfig config;
    config.concurrency.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    config.concurrency.initial = 2;
    RequestEngine engine(config);
    QSignalSpy snapshots(&engine, &RequestEngine::snapshotReady);
    QSignalSpy updates(&engine, &RequestEngine::requestsUpdated);
    for (int i = 0; i < 6; ++i) {
        engine.submit(chat(mock));
    }
    QVERIFY(snapshots.wait(2000));
    QVERIFY(test::runUntil([&] { return engine.inFlight() == 2; }, 2000));
    QVERIFY(snapshots.wait(2000));
    const auto s = snapshots.last().at(0).value<EngineSnapshot>();
    QCOMPARE(s.inFlight, 2);
    QCOMPARE(s.limit, 2);
    QCOMPARE(s.queued, 4);
    QCOMPARE(s.submitted, 6);
    // Queued requests were published with their places 0..3, in one batch per tick.
    std::set<qint64> positions;
    for (const QList<QVariant>& batch : std::as_const(updates)) {
        for (const RequestUpdate& u : batch.at(0).value<QList<RequestUpdate>>()) {
            if (u.state == RequestState::Queued) {
                positions.insert(u.position);
            }
        }
    }
    QCOMPARE(positions, (std::set<qint64>{0, 1, 2, 3}));
    QVERIFY(test::runUntil([&] { return engine.active() == 0; }, 10000));
    QVERIFY(snapshots.wait(2000));
    const auto end = snapshots.last().at(0).value<EngineSnapshot>();
    QCOMPARE(end.done, 6);
    QVERIFY(end.ttftP50 >= 250ms);
    QVERIFY(balanced(end));
}

// Raising a limit releases requests waiting for budget at once, not at their old time.
void TestRequestEngine::destructionEndsEveryRequest() {
    MockConfig m = engineMock();
    m.ttftMs = 5000;
    MockServer mock(m);
    QVERIFY(mock.listen());
    std::map<RequestState, int> ends;
    int callbacks = 0;
    {
        EngineConfig config;
        config.concurrency.algorithm = ConcurrencyConfig::Algorithm::Fixed;
        config.concurrency.initial = 3;
        RequestEngine engine(config);
        for (int i = 0; i < 8; ++i) {
            engine.submit(chat(mock), [&](const RequestRecord& r) {
                ++ends[r.state];
                ++callbacks;
            });
        }
        QVERIFY(test::runUntil([&] { return stat(mock, "concurrent") == 3; }, 5000));
    }
    QCOMPARE(callbacks, 8);
    QCOMPARE(ends[RequestState::Cancelled], 8);
    QVERIFY(test::runUntil([&] { return stat(mock, "concurrent") == 0; }, 5000));
}

// A full queue displaces a less urgent request; that request's completion runs while the
// newcomer is being queued and may cancel it: both end exactly once, nothing is left behind.
void TestRequestEngine::displacedCallbackMayCancelTheNewcomer() {
    MockConfig m = engineMock();
    m.ttftMs = 2000;
    MockServer mock(m);
    QVERIFY(mock.listen());
    EngineConfig config;
    config.concurrency.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    config.concurrency.initial = 1;
    config.queue.capacity = 1;
    RequestEngine engine(config);
    std::map<std::uint64_t, RequestRecord> ended;
    auto keep = [&](const RequestRecord& r) { ended[r.id] = r; };
    engine.submit(chat(mock), keep); // in flight
    QVERIFY(test::runUntil([&] { return engine.inFlight() == 1; }, 5000));
    std::uint64_t newcomer = 0;
    EngineRequest low = chat(mock);
    low.priority = 2;
    const auto lowId = engine.submit(low, [&](const RequestRecord& r) {
        keep(r);
        engine.cancel(newcomer); // re-entrant: the newcomer is still being queued
    });
    EngineRequest high = chat(mock);
    high.priority = 0;
    // The id is only known after submit returns, so cancel the next id from inside.
    newcomer = lowId + 1;
    QCOMPARE(engine.submit(high, keep), newcomer);
    QCOMPARE(stateName(ended[lowId].state), "rejected");
    QCOMPARE(stateName(ended[newcomer].state), "cancelled");
    QCOMPARE(engine.queued(), std::size_t(0));
    QCOMPARE(engine.snapshot().waitingBudget, 0);
    engine.cancelAll();
    QVERIFY(test::runUntil([&] { return engine.active() == 0; }, 5000));
    QVERIFY(balanced(engine.snapshot()));
}

// Acceptance 5 end to end: three classes at 3x the server's capacity (8 slots, ~200 ms each with
// 30% jitter, so a slot frees every ~25 ms on average, at random moments). High goes out with the
// first slot that frees after it arrives; low is sent by its max age; normal absorbs the overload.
void TestRequestEngine::midstreamErrorEventsAreClassified_data() {
    QTest::addColumn<int>("format");
    QTest::addColumn<QString>("outcome");
    // The mock breaks a stream halfway with Anthropic's overloaded_error or OpenAI's
    // server_error event.
    QTest::newRow("anthropic") << int(ApiFormat::Anthropic) << QStringLiteral("overloaded");
    QTest::newRow("openai") << int(ApiFormat::OpenAi) << QStringLiteral("server_error");
}

void TestRequestEngine::midstreamErrorEventsAreClassified() {
    QFETCH(int, format);
    QFETCH(QString, outcome);
    MockConfig m = engineMock();
    m.faults.midstream = 1.0;
    MockServer mock(m);
    QVERIFY(mock.listen());
    EngineConfig config;
    config.retry.maxAttempts = 1;
    RequestEngine engine(config);
    std::optional<RequestRecord> record;
    engine.submit(chat(mock, 16, true, static_cast<ApiFormat>(format)),
                  [&](const RequestRecord& r) { record = r; });
    QVERIFY(test::runUntil([&] { return record.has_value(); }, 5000));
    QCOMPARE(stateName(record->state), "failed");
    QCOMPARE(record->status, 200);
    QCOMPARE(QString::fromLatin1(outcomeName(record->outcome)), outcome);
}

QTEST_GUILESS_MAIN(TestRequestEngine)
#include "tst_requestengine.moc"
