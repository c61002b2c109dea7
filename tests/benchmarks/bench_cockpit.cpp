// The console as a gateway's cockpit under load: the real window (1366x768, offscreen unless a
// display is set) runs its in-process gateway in front of the built-in mock, and a separate
// `sluice bench` process sends `rate` requests/s through it (traffic from outside the
// console). Measures what the operator feels — each chart's refresh including its paint and
// the GUI event loop's lag (a 10 ms timer's lateness) — and what the callers pay: the
// gateway's added latency (its own /admin/stats overhead of the last 10 s, p50/p99).
// scripts/bench-cockpit runs the same load through a headless `sluice gateway` to compare.
//
//   bench_cockpit SLUICE_BINARY [seconds=30] [rate=1000]
#include "tests/benchmarks/windowmeasure.h"
#include "ui/charts/livechart.h"
#include "ui/gateway/gatewaycockpit.h"
#include "ui/mainwindow.h"
#include "ui/models/requesttablemodel.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/requestspanel.h"
#include "ui/session.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

using namespace sluice;
using bench::measure;
using bench::Stats;

namespace {

bool waitFor(const std::function<bool()>& done, int ms) {
    QElapsedTimer clock;
    clock.start();
    while (!done() && clock.elapsed() < ms) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    }
    return done();
}

} // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_cockpit SLUICE_BINARY [seconds=30] [rate=1000]\n");
        return 2;
    }
    const QString binary = QString::fromLocal8Bit(argv[1]);
    const double seconds = argc > 2 ? std::atof(argv[2]) : 30;
    const double rate = argc > 3 ? std::atof(argv[3]) : 1000;

    Session session;
    MockConfig mock;
    mock.rpm = 0;
    mock.tpm = 0;
    mock.capacity = 4000;
    mock.ttftMs = 20;
    mock.tpotMs = 2;
    mock.tokensMin = 5;
    mock.tokensMax = 10;
    if (auto started = session.startMock(mock);
        !started || !waitFor([&] { return session.mockRunning(); }, 10000)) {
        std::fprintf(stderr, "mock did not start\n");
        return 1;
    }
    MainWindow window(&session);
    window.resize(1366, 768);
    window.show();
    window.charts()->setWindow(300);
    GatewayCockpit* cockpit = window.cockpit();
    GatewayStartOptions options;
    options.listen = QStringLiteral("127.0.0.1:0");
    options.maxConcurrent = 1000;
    options.queueSize = 100000;
    if (auto started = cockpit->startGateway(options);
        !started || !waitFor([&] { return session.gateway().live(); }, 10000)) {
        std::fprintf(stderr, "gateway did not start\n");
        return 1;
    }
    GatewayStats last;
    QObject::connect(&session.gateway(), &GatewayFeed::statsUpdated,
                     [&](const GatewayStats& s) { last = s; });

    Stats idleDrift, idleRefresh;
    measure(window, std::min(5.0, seconds / 3), idleDrift, idleRefresh);

    // The callers: a separate process, as programs on the machine would be.
    QProcess load;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("OPENAI_API_KEY"), QStringLiteral("sk-bench-caller-0001"));
    load.setProcessEnvironment(env);
    load.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    load.start(binary,
               {QStringLiteral("bench"), QStringLiteral("--target"),
                session.gateway().baseUrl() + QStringLiteral("/v1"), QStringLiteral("--rate"),
                QString::number(rate), QStringLiteral("--duration"),
                QStringLiteral("%1s").arg(static_cast<int>(seconds) + 6),
                QStringLiteral("--max-tokens"), QStringLiteral("10"),
                QStringLiteral("--no-default-slo"), QStringLiteral("--quiet")});
    Stats warmDrift, warmRefresh;
    measure(window, 3, warmDrift, warmRefresh);
    Stats drift, refresh;
    measure(window, seconds, drift, refresh);
    const GatewayStats loaded = last;
    const int rows = window.requestsPanel()->model()->rowCount();
    load.kill();
    load.waitForFinished(5000);

    std::printf("idle     : refresh+paint p50 %.2f p95 %.2f max %.2f ms | loop lag p50 %.2f p99 "
                "%.2f max %.2f ms\n",
                idleRefresh.pct(0.5), idleRefresh.pct(0.95), idleRefresh.max(), idleDrift.pct(0.5),
                idleDrift.pct(0.99), idleDrift.max());
    std::printf("%4.0f rps : refresh+paint p50 %.2f p95 %.2f max %.2f ms | loop lag p50 %.2f p99 "
                "%.2f max %.2f ms\n",
                rate, refresh.pct(0.5), refresh.pct(0.95), refresh.max(), drift.pct(0.5),
                drift.pct(0.99), drift.max());
    std::printf("gateway  : %.0f req/s received, %d in flight, %d queued, %lld rejected, %d table "
                "rows\n",
                loaded.rps, loaded.inFlight, loaded.queued, static_cast<long long>(loaded.rejected),
                rows);
    std::printf("overhead : console open p50 %.3f ms p99 %.3f ms (%s, %lld requests)\n",
                loaded.overheadP50Ms, loaded.overheadP99Ms,
                loaded.overheadRecent ? "last 10 s" : "since start",
                static_cast<long long>(loaded.overheadCount));
    std::printf("targets  : refresh < 16 ms: %s (max %.2f) | loop lag < 50 ms: %s (max %.2f)\n",
                refresh.max() < 16 ? "met" : "NOT met", refresh.max(),
                drift.max() < 50 ? "met" : "NOT met", drift.max());
    cockpit->stopGateway();
    waitFor([&] { return !session.gateway().running(); }, 5000);
    return 0;
}
