// The fault matrix: every upstream fault, met by Sluice's own engine straight at the upstream
// and by a client through the gateway in front of it. Each cell is judged by the upstream's own
// counters (MockServer::statsJson(), the same as GET /mock/stats; GarbageServer::requests()):
// every request ends exactly once, what we say we sent is what arrived, retries stay within
// their budget, the breaker opens under a total failure and closes once the upstream is well,
// nothing hangs (stalls end by the transfer timeout), and no live entry is left behind.
// docs/faults.md lists the cells and what each asserts.
#include "core/net/requestengine.h"
#include "core/server/gateway/gatewayserver.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/faultmatrix.h"
#include "tests/support/gatewayfixture.h"
#include "tests/support/httptestclient.h"

#include <QNetworkAccessManager>
#include <QTest>

#include <functional>
#include <map>
#include <optional>

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

constexpr int kRequests = 30; // per cell
constexpr int kWaitMs = 10000;

EngineRequest chatTo(const Upstream& upstream) {
    return chatRequest(ApiFormat::OpenAi,
                       QUrl(upstream.baseUrl().toString() + QStringLiteral("/v1")),
                       QByteArrayLiteral("sk-test-0123456789abcdef"), QStringLiteral("mock-1"),
                       {{QStringLiteral("user"), QStringLiteral("Say hi")}}, 16, true);
}

/// At most 1.1x the requests reached the upstream (in integers: no rounding at the edge).
bool withinBudget(int attempts, int requests) {
    return attempts * 10 <= requests * 11;
}

/// Every request ended once, and the books balance.
void checkEnded(const EngineSnapshot& s, int requests) {
    QCOMPARE(s.submitted, qint64(requests));
    QCOMPARE(s.done + s.failed + s.rejected + s.timedOut + s.cancelled, qint64(requests));
}

/// Nothing live is left: the engine's tables and the upstream's open exchanges.
void checkDrained(const RequestEngine& engine, Upstream& upstream) {
    QVERIFY(runUntil([&] { return upstream.inProgress() == 0; }, kWaitMs));
    QCOMPARE(engine.active(), std::size_t(0));
    QCOMPARE(engine.inFlight(), 0);
    QCOMPARE(engine.queued(), std::size_t(0));
    QVERIFY(engine.statuses().empty());
}

/// A stall is ended by our transfer timeout, long before the upstream would give up (10 s).
void checkStallEndedByTimeout(Fault f, qint64 elapsedMs) {
    if (f == Fault::StallAfterHeaders) {
        QVERIFY2(elapsedMs >= kTransferTimeout.count() && elapsedMs < 5000,
                 qPrintable(QString::number(elapsedMs)));
    }
}

/// Every failure is of the cell's kind (a prefix: "http_500" takes "http_500:server_error") or
/// circuit_open; returns how many the breaker refused, -1 for a failure of another kind.
qint64 checkFailureKinds(const EngineSnapshot& s, const QString& kind) {
    qint64 circuitOpen = 0;
    for (const FailureTally::Entry& e : s.failures) {
        const QString key = e.reason.key();
        if (key == QLatin1String("circuit_open")) {
            circuitOpen += e.count;
            continue;
        }
        if (kind.isEmpty() || !key.startsWith(kind)) {
            qWarning("unexpected failure kind %s (x%lld)", qPrintable(key),
                     static_cast<long long>(e.count));
            return -1;
        }
    }
    return circuitOpen;
}

} // namespace

class TestFaultMatrix final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void engineStraightToUpstream_data() { matrix(); }
    void engineStraightToUpstream();
    void clientThroughGateway_data() { matrix(); }
    void clientThroughGateway();
    void retryBudgetAloneCapsAnOutage_data();
    void retryBudgetAloneCapsAnOutage();

private:
    static void matrix();
    /// After a total failure: the upstream made well, the breaker lets a probe through once
    /// its open time has passed and closes when the probes succeed. `send` sends one request
    /// and returns whether it succeeded.
    static void recover(Upstream& upstream, const std::function<CircuitBreaker::State()>& breaker,
                        const std::function<bool()>& send);
};

void TestFaultMatrix::matrix() {
    QTest::addColumn<int>("fault");
    QTest::addColumn<QString>("kind"); // how every request that reached the fault failed
    const auto row = [](Fault f, const char* kind) {
        QTest::newRow(faultName(f)) << int(f) << QString::fromLatin1(kind);
    };
    row(Fault::ResetBeforeHeaders, "connection_reset");
    row(Fault::ResetMidStream, "connection_reset");
    row(Fault::StallAfterHeaders, "timeout_mid_stream");
    row(Fault::Garbage, "protocol_error");
    // A FIN before the final chunk is told as the connection closing before the answer ended.
    row(Fault::TruncatedChunked, "connection_reset");
    row(Fault::SlowDrip, "");
    row(Fault::Outage5xx, "http_500");
    row(Fault::ConnectionRefused, "connection_refused");
}

void TestFaultMatrix::recover(Upstream& upstream,
                              const std::function<CircuitBreaker::State()>& breaker,
                              const std::function<bool()>& send) {
    upstream.heal(); // and its counters start again
    // The breaker turns half-open by itself once its open time has passed (no request needed).
    QVERIFY(runUntil([&] { return breaker() != CircuitBreaker::State::Open; }, kWaitMs));
    for (int i = 0; i < kRecoveryRequests; ++i) {
        QVERIFY2(send(), qPrintable(QStringLiteral("recovery request %1").arg(i)));
    }
    QCOMPARE(breaker(), CircuitBreaker::State::Closed);
    QCOMPARE(upstream.requestsSeen(), kRecoveryRequests);
    QCOMPARE(upstream.byStatus("200"), kRecoveryRequests);
}

void TestFaultMatrix::engineStraightToUpstream() {
    QFETCH(int, fault);
    QFETCH(QString, kind);
    const Fault f = static_cast<Fault>(fault);
    Upstream upstream(f);
    QVERIFY(upstream.start());
    RequestEngine engine(matrixEngineConfig());

    std::map<std::uint64_t, int> ends;
    bool sawOpen = false;
    for (int i = 0; i < kRequests; ++i) {
        engine.submit(chatTo(upstream), [&](const RequestRecord& r) {
            ++ends[r.id];
            sawOpen = sawOpen || engine.snapshot().breaker == CircuitBreaker::State::Open;
        });
    }
    QElapsedTimer clock;
    clock.start();
    QVERIFY(runUntil([&] { return int(ends.size()) == kRequests; }, kWaitMs));
    const qint64 elapsedMs = clock.elapsed();
    for (const auto& [id, count] : ends) {
        QCOMPARE(count, 1); // exactly one terminal state
    }
    checkDrained(engine, upstream);
    const EngineSnapshot s = engine.snapshot();
    checkEnded(s, kRequests);
    // What we sent is what arrived (nothing arrives where nothing listens).
    const int seen = upstream.requestsSeen();
    QCOMPARE(seen, f == Fault::ConnectionRefused ? 0 : int(s.attempts));
    if (const QByteArray key = upstream.faultStatusKey(); !key.isEmpty()) {
        QCOMPARE(upstream.byStatus(key), seen); // every one of them met the fault
    }
    const double amplification = double(s.attempts) / kRequests;
    const qint64 circuitOpen = checkFailureKinds(s, kind);
    QVERIFY(circuitOpen >= 0);
    printCell("engine", f, kRequests, s.done, s.failed + s.timedOut, s, seen, circuitOpen, sawOpen,
              elapsedMs);
    checkStallEndedByTimeout(f, elapsedMs);
    if (f == Fault::SlowDrip) {
        // Each gap is shorter than the transfer timeout, the whole reply longer: all done.
        QCOMPARE(s.done, qint64(kRequests));
        QCOMPARE(s.retries, qint64(0));
        QCOMPARE(upstream.byStatus("200"), kRequests);
        return;
    }
    QCOMPARE(s.done, qint64(0));
    QVERIFY2(withinBudget(int(s.attempts), kRequests), qPrintable(QString::number(amplification)));
    QVERIFY(sawOpen);
    QVERIFY(circuitOpen > 0); // the open breaker turned requests away without sending
    if (upstream.canHeal()) {
        recover(
            upstream, [&] { return engine.snapshot().breaker; },
            [&] {
                std::optional<RequestRecord> record;
                engine.submit(chatTo(upstream), [&](const RequestRecord& r) { record = r; });
                return runUntil([&] { return record.has_value(); }, kWaitMs) &&
                       record->state == RequestState::Done;
            });
        checkDrained(engine, upstream);
    }
}

void TestFaultMatrix::clientThroughGateway() {
    QFETCH(int, fault);
    QFETCH(QString, kind);
    const Fault f = static_cast<Fault>(fault);
    Upstream upstream(f);
    QVERIFY(upstream.start());
    GatewayServer gateway(gatewayFor(upstream.baseUrl(), 10));
    QVERIFY(gateway.listen().ok());
    configureGatewayEngine(gateway.engine());
    const QUrl chatUrl(
        QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(gateway.port()));
    const QByteArray body = chatBody(QStringLiteral("Say hi"), true, 16);

    QNetworkAccessManager nam;
    std::map<QNetworkReply*, int> finishes;
    std::map<int, int> byStatus; // what the callers got
    int cleanEnds = 0;           // 200 with the stream's end marker
    for (int i = 0; i < kRequests; ++i) {
        QNetworkReply* reply = nam.post(jsonRequest(chatUrl, i % 5), body);
        finishes[reply] = 0;
        connect(reply, &QNetworkReply::finished, this, [&, reply] {
            ++finishes[reply];
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            ++byStatus[status];
            const QByteArray got = reply->readAll();
            cleanEnds += status == 200 && reply->error() == QNetworkReply::NoError &&
                                 got.contains("data: [DONE]")
                             ? 1
                             : 0;
            reply->deleteLater();
        });
    }
    QElapsedTimer clock;
    clock.start();
    const auto finished = [&] {
        int n = 0;
        for (const auto& [reply, count] : finishes) {
            n += count > 0 ? 1 : 0;
        }
        return n;
    };
    QVERIFY(runUntil([&] { return finished() == kRequests; }, kWaitMs));
    const qint64 elapsedMs = clock.elapsed();
    for (const auto& [reply, count] : finishes) {
        QCOMPARE(count, 1);
    }
    RequestEngine& engine = gateway.engine();
    checkDrained(engine, upstream);
    const EngineSnapshot s = engine.snapshot();
    checkEnded(s, kRequests);
    // The gateway's answers are what the callers got, one each.
    const QJsonObject stats = gateway.statsJson();
    QCOMPARE(stats.value(QStringLiteral("processed")).toInt(), kRequests);
    QCOMPARE(stats.value(QStringLiteral("in_flight")).toInt(), 0);
    QCOMPARE(stats.value(QStringLiteral("queued")).toInt(), 0);
    QCOMPARE(stats.value(QStringLiteral("client_gone")).toInt(), 0);
    const QJsonObject answers = stats.value(QStringLiteral("answers_by_status")).toObject();
    QCOMPARE(answers.size(), qsizetype(byStatus.size()));
    for (const auto& [status, count] : byStatus) {
        QCOMPARE(answers.value(QString::number(status)).toInt(), count);
    }
    const int seen = upstream.requestsSeen();
    QCOMPARE(seen, f == Fault::ConnectionRefused ? 0 : int(s.attempts));
    if (const QByteArray key = upstream.faultStatusKey(); !key.isEmpty()) {
        QCOMPARE(upstream.byStatus(key), seen);
    }
    const double amplification = double(s.attempts) / kRequests;
    const qint64 circuitOpen = checkFailureKinds(s, kind);
    QVERIFY(circuitOpen >= 0);
    printCell("gateway", f, kRequests, cleanEnds, kRequests - cleanEnds, s, seen, circuitOpen,
              circuitOpen > 0, elapsedMs);
    checkStallEndedByTimeout(f, elapsedMs);
    if (f == Fault::SlowDrip) {
        QCOMPARE(cleanEnds, kRequests);
        QCOMPARE(byStatus[200], kRequests);
        QCOMPARE(s.retries, qint64(0));
        return;
    }
    QCOMPARE(cleanEnds, 0); // a broken upstream never looks like a clean answer
    QVERIFY2(withinBudget(int(s.attempts), kRequests), qPrintable(QString::number(amplification)));
    QVERIFY(circuitOpen > 0);
    QVERIFY(byStatus[503] > 0); // the open breaker's honest overload answer
    if (upstream.canHeal()) {
        recover(
            upstream, [&] { return engine.snapshot().breaker; },
            [&] {
                const Response r = post(nam, chatUrl, body);
                return r.status == 200 && r.body.contains("data: [DONE]");
            });
        checkDrained(engine, upstream);
    }
}

void TestFaultMatrix::retryBudgetAloneCapsAnOutage_data() {
    QTest::addColumn<bool>("gateway");
    QTest::newRow("engine") << false;
    QTest::newRow("gateway") << true;
}

// With the breaker off, only the retry budget stands between a full outage and a client that
// would send every request three times: the upstream sees at most 1.1x the requests.
void TestFaultMatrix::retryBudgetAloneCapsAnOutage() {
    QFETCH(bool, gateway);
    constexpr int kOutageRequests = 40;
    Upstream upstream(Fault::Outage5xx);
    QVERIFY(upstream.start());
    EngineConfig config = matrixEngineConfig();
    config.breaker.enabled = false;
    std::unique_ptr<RequestEngine> ownEngine;
    std::unique_ptr<GatewayServer> server;
    QNetworkAccessManager nam;
    std::map<int, int> answers; // gateway: what the callers got
    int ended = 0;
    if (gateway) {
        server = std::make_unique<GatewayServer>(gatewayFor(upstream.baseUrl(), 10));
        QVERIFY(server->listen().ok());
        configureGatewayEngine(server->engine());
        server->engine().setBreaker(config.breaker);
        const QUrl chatUrl(
            QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(server->port()));
        for (int i = 0; i < kOutageRequests; ++i) {
            QNetworkReply* reply =
                nam.post(jsonRequest(chatUrl, i % 5), chatBody(QStringLiteral("Say hi"), true, 16));
            connect(reply, &QNetworkReply::finished, this, [&, reply] {
                ++answers[reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt()];
                ++ended;
                reply->deleteLater();
            });
        }
    } else {
        ownEngine = std::make_unique<RequestEngine>(config);
        for (int i = 0; i < kOutageRequests; ++i) {
            ownEngine->submit(chatTo(upstream), [&](const RequestRecord&) { ++ended; });
        }
    }
    RequestEngine& engine = gateway ? server->engine() : *ownEngine;
    QVERIFY(runUntil([&] { return ended == kOutageRequests; }, kWaitMs));
    checkDrained(engine, upstream);
    const EngineSnapshot s = engine.snapshot();
    checkEnded(s, kOutageRequests);
    QCOMPARE(s.failed, qint64(kOutageRequests));
    const int seen = upstream.requestsSeen();
    QCOMPARE(seen, int(s.attempts));
    QCOMPARE(upstream.byStatus("500"), seen);
    QCOMPARE(checkFailureKinds(s, QStringLiteral("http_500")), qint64(0));
    const double amplification = double(seen) / kOutageRequests;
    printCell(gateway ? "gateway" : "engine", Fault::Outage5xx, kOutageRequests, 0, kOutageRequests,
              s, seen, 0, false, 0);
    QVERIFY(s.retries >= 1); // the budget is spent, not unused
    QVERIFY2(withinBudget(seen, kOutageRequests), qPrintable(QString::number(amplification)));
    if (gateway) {
        // The upstream's own error reaches every caller, once.
        QCOMPARE(answers.size(), std::size_t(1));
        QCOMPARE(answers[500], kOutageRequests);
    }
}

QTEST_GUILESS_MAIN(TestFaultMatrix)
#include "tst_faultmatrix.moc"
