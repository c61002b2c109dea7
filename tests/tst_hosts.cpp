// The hosts of core/host/: each starts its server or run on a worker thread without blocking
// the caller, reports a start failure (a taken port) through a signal, and ends what is in
// flight when stopped.

#include "core/host/gatewayhost.h"
#include "core/host/mockhost.h"
#include "core/host/runhost.h"
#include "core/server/gateway/gatewayserver.h"
#include "core/server/httpresponder.h"
#include "core/server/httpserver.h"
#include "tests/support/httptestclient.h"

#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <QThread>

using namespace sluice;
using namespace sluice::test;

namespace {

/// A mock that answers in about 30 ms.
MockConfig fastMock() {
    MockConfig m;
    m.capacity = 100;
    m.rpm = 0;
    m.tpm = 0;
    m.ttftMs = 20;
    m.tpotMs = 1;
    m.tokensMin = m.tokensMax = 5;
    m.jitter = 0;
    return m;
}

/// A mock whose first token takes a minute: whatever is sent stays in flight.
MockConfig stuckMock() {
    MockConfig m = fastMock();
    m.ttftMs = 60000;
    return m;
}

/// Starts `host` and waits for started(); the port, or 0.
quint16 started(MockHost& host, const MockConfig& config) {
    QSignalSpy spy(&host, &MockHost::started);
    if (!host.start(config) || !spy.wait(5000)) {
        return 0;
    }
    return spy.first().first().value<quint16>();
}

} // namespace

class TestHosts final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void mockHostStartsWithoutBlocking();
    void mockHostRefusesAnInvalidConfigAtOnce();
    void mockHostReportsATakenPort();
    void mockHostStopEndsRequestsInFlight();
    void mockHostAppliesConfigWhileRunning();
    void runHostRunsToTheEnd();
    void runHostAbortEndsRequestsInFlight();
    void runHostRefusesASecondRun();
    void gatewayHostProxiesAndStops();
    void gatewayHostReportsATakenPort();
    void httpServerMovesToAnotherThread();
};

void TestHosts::mockHostStartsWithoutBlocking() {
    MockHost host;
    QSignalSpy startedSpy(&host, &MockHost::started);
    QVERIFY(host.start(fastMock()));
    // Returned before the worker listened: the answer comes as a signal.
    QCOMPARE(host.state(), MockHost::State::Starting);
    QCOMPARE(startedSpy.count(), 0);
    QCOMPARE(host.port(), quint16(0));
    QVERIFY(startedSpy.wait(5000));
    QVERIFY(host.running());
    const quint16 port = startedSpy.first().first().value<quint16>();
    QVERIFY(port != 0);
    QCOMPARE(host.port(), port);
    QCOMPARE(host.baseUrl(), QUrl(QStringLiteral("http://127.0.0.1:%1/v1").arg(port)));

    QNetworkAccessManager nam;
    const Response r = post(
        nam, QUrl(host.baseUrl().toString() + QStringLiteral("/chat/completions")), chatBody());
    QCOMPARE(r.status, 200);

    QSignalSpy stoppedSpy(&host, &MockHost::stopped);
    host.stop();
    QVERIFY(stoppedSpy.wait(5000));
    QCOMPARE(host.state(), MockHost::State::Stopped);
    QCOMPARE(host.port(), quint16(0));
    // Stopped means closed: nothing listens there any more.
    QCOMPARE(get(nam, QUrl(QStringLiteral("http://127.0.0.1:%1/mock/stats").arg(port))).status, 0);
}

void TestHosts::mockHostRefusesAnInvalidConfigAtOnce() {
    MockHost host;
    QSignalSpy failedSpy(&host, &MockHost::failed);
    MockConfig bad = fastMock();
    bad.capacity = 0;
    const Result<void> r = host.start(bad);
    QVERIFY(!r);
    QVERIFY2(r.error().text().contains(QLatin1String("capacity")), qPrintable(r.error().text()));
    QCOMPARE(host.state(), MockHost::State::Stopped);
    QVERIFY(!host.setConfig(bad));
    QCOMPARE(host.config(), MockConfig{}); // unchanged
    QCOMPARE(failedSpy.count(), 0);
}

void TestHosts::mockHostReportsATakenPort() {
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
    MockHost host;
    QSignalSpy startedSpy(&host, &MockHost::started);
    QSignalSpy failedSpy(&host, &MockHost::failed);
    QVERIFY(host.start(fastMock(), taken.serverPort()));
    QCOMPARE(failedSpy.count(), 0); // reported later, not by blocking here
    QVERIFY(failedSpy.wait(5000));
    const auto error = failedSpy.first().first().value<Error>();
    QCOMPARE(error.kind, Error::Kind::Unavailable);
    QCOMPARE(error.field, QStringLiteral("port"));
    QVERIFY(!error.message.isEmpty());
    QCOMPARE(startedSpy.count(), 0);
    QCOMPARE(host.state(), MockHost::State::Stopped);
    // Free to try again elsewhere.
    QVERIFY(started(host, fastMock()) != 0);
}

void TestHosts::mockHostStopEndsRequestsInFlight() {
    MockHost host;
    host.setStatsInterval(20);
    QVERIFY(started(host, stuckMock()) != 0);
    int concurrent = 0;
    connect(&host, &MockHost::stats, this, [&](const QJsonObject& s) {
        concurrent = s.value(QStringLiteral("concurrent")).toInt();
    });
    QNetworkAccessManager nam;
    QNetworkReply* reply =
        nam.post(jsonRequest(QUrl(host.baseUrl().toString() + QStringLiteral("/chat/completions"))),
                 chatBody());
    QTRY_COMPARE_WITH_TIMEOUT(concurrent, 1, 5000);
    QSignalSpy stoppedSpy(&host, &MockHost::stopped);
    host.stop();
    const Response r = waitFor(reply, 5000); // ended by the close, long before the minute
    QCOMPARE(r.status, 0);
    QVERIFY(r.error != QNetworkReply::NoError);
    QVERIFY(r.error != QNetworkReply::OperationCanceledError); // not our own time-out
    QVERIFY(stoppedSpy.count() == 1 || stoppedSpy.wait(5000));
}

void TestHosts::mockHostAppliesConfigWhileRunning() {
    MockHost host;
    QVERIFY(started(host, fastMock()) != 0);
    MockConfig limited = fastMock();
    limited.rpm = 1;
    QVERIFY(host.setConfig(limited));
    QCOMPARE(host.config(), limited);
    // Applied in the worker thread, before the next request (queued calls keep their order):
    // the second request of the minute is refused.
    QNetworkAccessManager nam;
    const QUrl url(QUrl(host.baseUrl().toString() + QStringLiteral("/chat/completions")));
    QCOMPARE(post(nam, url, chatBody()).status, 200);
    QCOMPARE(post(nam, url, chatBody()).status, 429);
}

void TestHosts::runHostRunsToTheEnd() {
    MockHost mock;
    QVERIFY(started(mock, fastMock()) != 0);
    RunHost run;
    QSignalSpy startedSpy(&run, &RunHost::started);
    QSignalSpy finishedSpy(&run, &RunHost::finished);
    QSignalSpy snapshots(&run, &RunHost::snapshot);
    BenchScenario s;
    s.profile.kind = LoadProfile::Kind::Closed;
    s.profile.load = 2;
    s.duration = std::chrono::seconds(1);
    s.maxTokens = 5;
    s.target = mock.baseUrl();
    const Result<void> r = run.start(s, mock.baseUrl());
    QVERIFY2(r, r ? "" : qPrintable(r.error().text()));
    QCOMPARE(startedSpy.count(), 1);
    QVERIFY(run.running());
    QVERIFY(finishedSpy.wait(15000));
    QVERIFY(!run.running());
    QVERIFY(snapshots.count() > 0); // queued from the engine's thread to this one
    const QJsonObject counts =
        finishedSpy.first().first().toJsonObject().value(QStringLiteral("counts")).toObject();
    QVERIFY(counts.value(QStringLiteral("done")).toInt() > 0);
    QCOMPARE(counts.value(QStringLiteral("failed")).toInt(), 0);
    QVERIFY(!finishedSpy.first().at(1).value<SeriesData>().rows.empty());
}

void TestHosts::runHostAbortEndsRequestsInFlight() {
    MockHost mock;
    QVERIFY(started(mock, stuckMock()) != 0);
    RunHost run;
    QSignalSpy finishedSpy(&run, &RunHost::finished);
    int inFlight = 0;
    connect(&run, &RunHost::snapshot, this,
            [&](const EngineSnapshot& snapshot) { inFlight = snapshot.inFlight; });
    BenchScenario s;
    s.profile.kind = LoadProfile::Kind::Closed;
    s.profile.load = 3;
    s.duration = std::chrono::seconds(60);
    s.maxTokens = 5;
    s.target = mock.baseUrl();
    const Result<void> r = run.start(s, mock.baseUrl());
    QVERIFY2(r, r ? "" : qPrintable(r.error().text()));
    QTRY_COMPARE_WITH_TIMEOUT(inFlight, 3, 10000);
    run.abort();
    QVERIFY(finishedSpy.wait(10000)); // not after the minute the mock would take
    const QJsonObject counts =
        finishedSpy.first().first().toJsonObject().value(QStringLiteral("counts")).toObject();
    // Every request ended in exactly one state; the three in flight were cancelled.
    QCOMPARE(counts.value(QStringLiteral("cancelled")).toInt(), 3);
    QCOMPARE(counts.value(QStringLiteral("submitted")).toInt(),
             counts.value(QStringLiteral("done")).toInt() +
                 counts.value(QStringLiteral("failed")).toInt() +
                 counts.value(QStringLiteral("rejected")).toInt() +
                 counts.value(QStringLiteral("timed_out")).toInt() +
                 counts.value(QStringLiteral("cancelled")).toInt());
}

void TestHosts::runHostRefusesASecondRun() {
    MockHost mock;
    QVERIFY(started(mock, stuckMock()) != 0);
    RunHost run;
    BenchScenario s;
    s.duration = std::chrono::seconds(60);
    s.target = mock.baseUrl();
    const Result<void> r = run.start(s, mock.baseUrl());
    QVERIFY2(r, r ? "" : qPrintable(r.error().text()));
    const Result<void> second = run.start(s, mock.baseUrl());
    QVERIFY(run.running());
    QVERIFY(!second);
    QCOMPARE(second.error().message, QStringLiteral("a run is already going"));
    BenchScenario bad;
    bad.target = mock.baseUrl();
    bad.profile.load = -1;
    RunHost other;
    QVERIFY(!other.start(bad, mock.baseUrl()));
    QVERIFY(!other.running());
    // Destroyed while requests are in flight: they end in the worker thread, which is joined.
}

void TestHosts::gatewayHostProxiesAndStops() {
    MockHost mock;
    QVERIFY(started(mock, fastMock()) != 0);
    GatewayConfig config;
    config.port = 0;
    config.upstream = mock.baseUrl();
    GatewayHost gateway;
    QSignalSpy startedSpy(&gateway, &GatewayHost::started);
    QVERIFY(gateway.start(config));
    QCOMPARE(gateway.state(), GatewayHost::State::Starting);
    QVERIFY(startedSpy.wait(5000));
    QVERIFY(gateway.running());
    QVERIFY(gateway.port() != 0);
    const QUrl url(QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(gateway.port()));
    QNetworkAccessManager nam;
    QCOMPARE(post(nam, url, chatBody()).status, 200);

    // A request stuck upstream, then stop: the caller's request ends, and so does the gateway.
    QVERIFY(mock.setConfig(stuckMock()));
    QNetworkReply* reply = nam.post(jsonRequest(url), chatBody());
    int inFlight = 0;
    QTRY_VERIFY_WITH_TIMEOUT((gateway.post([this, &inFlight](GatewayServer& server) {
                                 const int n = server.engine().snapshot().inFlight;
                                 handOffTo(this, [&inFlight, n] { inFlight = n; });
                             }),
                              inFlight == 1),
                             5000);
    QSignalSpy stoppedSpy(&gateway, &GatewayHost::stopped);
    gateway.stop();
    const Response r = waitFor(reply, 5000);
    QVERIFY(r.status == 0 || r.status >= 500);
    QVERIFY(r.error != QNetworkReply::OperationCanceledError); // not our own time-out
    QVERIFY(stoppedSpy.count() == 1 || stoppedSpy.wait(5000));
    QCOMPARE(gateway.port(), quint16(0));
}

void TestHosts::gatewayHostReportsATakenPort() {
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
    GatewayConfig config;
    config.port = taken.serverPort();
    config.upstream = QUrl(QStringLiteral("http://127.0.0.1:9/v1"));
    GatewayHost gateway;
    QSignalSpy failedSpy(&gateway, &GatewayHost::failed);
    QVERIFY(gateway.start(config));
    QCOMPARE(failedSpy.count(), 0);
    QVERIFY(failedSpy.wait(5000));
    const auto error = failedSpy.first().first().value<Error>();
    QCOMPARE(error.kind, Error::Kind::Unavailable);
    QVERIFY2(error.message.contains(QString::number(taken.serverPort())),
             qPrintable(error.message));
    QCOMPARE(gateway.state(), GatewayHost::State::Stopped);
}

void TestHosts::httpServerMovesToAnotherThread() {
    // Its socket, notifier and timers are its children, so they move with it.
    auto* server = new HttpServer([](const HttpRequest&, HttpResponder* responder) {
        responder->respond(200, {}, QByteArrayLiteral("moved"));
    });
    QVERIFY(server->listen(QHostAddress::LocalHost, 0));
    const quint16 port = server->serverPort();
    QThread thread;
    server->moveToThread(&thread);
    connect(&thread, &QThread::finished, server, &QObject::deleteLater);
    thread.start();
    QNetworkAccessManager nam;
    const Response r = get(nam, QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(port)));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArrayLiteral("moved"));
    thread.quit();
    QVERIFY(thread.wait(5000));
}

QTEST_GUILESS_MAIN(TestHosts)
#include "tst_hosts.moc"
