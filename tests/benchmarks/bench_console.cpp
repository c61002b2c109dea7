// The whole console under load: the real window (1280x800, offscreen unless a display is set)
// with one hour of history already in every chart, while a run sends 1,000 requests/s through
// the engine to the in-process mock (both on their own threads). Measures what the operator
// feels: each chart's refresh including its paint, and the GUI event loop's lag (a 10 ms timer's
// lateness). The reference is the same window idle, measured first in the same run.
//
//   bench_console [seconds=30] [rate=1000]
#include "tests/benchmarks/windowmeasure.h"
#include "ui/charts/livechart.h"
#include "ui/mainwindow.h"
#include "ui/models/requesttablemodel.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/requestspanel.h"
#include "ui/session.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QLineSeries>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <vector>

using namespace sluice;
using bench::measure;
using bench::Stats;
using bench::threadCpuMs;

namespace {

long rssKb() {
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) {
        return 0;
    }
    for (const QByteArray& line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            return line.mid(6).trimmed().split(' ').value(0).toLong();
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QApplication app(argc, argv);
    const double seconds = argc > 1 ? std::atof(argv[1]) : 30;
    const double rate = argc > 2 ? std::atof(argv[2]) : 1000;

    Session session;
    MockConfig mock;
    mock.rpm = 0;
    mock.tpm = 0;
    mock.capacity = 4000;
    mock.ttftMs = 20;
    mock.tpotMs = 2;
    mock.tokensMin = 5;
    mock.tokensMax = 10;
    // The mock starts on its thread; wait for it here, where no window is up yet.
    QString error;
    QEventLoop starting;
    QObject::connect(&session, &Session::mockStarted, &starting, &QEventLoop::quit);
    QObject::connect(&session, &Session::mockFailed, &starting, [&](const Error& e) {
        error = e.text();
        starting.quit();
    });
    QTimer::singleShot(10000, &starting, &QEventLoop::quit);
    if (auto started = session.startMock(mock); !started) {
        error = started.error().text();
    } else {
        starting.exec();
    }
    if (!session.mockRunning()) {
        std::fprintf(stderr, "mock: %s\n", qPrintable(error));
        return 1;
    }
    MainWindow window(&session);
    window.resize(1280, 800);
    window.show();
    ChartsPanel* charts = window.charts();
    charts->setWindow(3600);
    // One hour of 10 Hz history in every series of every chart, ending now.
    const double now = charts->now();
    std::size_t samples = 0;
    for (int c = 0; c < ChartsPanel::ChartCount; ++c) {
        LiveChart* chart = charts->chart(static_cast<ChartsPanel::Chart>(c));
        for (int s = 0; s < chart->seriesCount(); ++s) {
            for (int i = 0; i < 36000; ++i) {
                const double t = now - 3600 + i / 10.0;
                chart->append(s, t, 50 + 30 * std::sin(i / 300.0 + s) + (i % 17));
            }
            samples += chart->sampleCount(s);
        }
    }
    std::printf("history: %zu samples in %d charts (1 h at 10 Hz per series), RSS %ld MB\n",
                samples, static_cast<int>(ChartsPanel::ChartCount), rssKb() / 1024);

    Stats idleDrift, idleRefresh, idleCpu;
    measure(window, std::min(10.0, seconds / 3), idleDrift, idleRefresh, &idleCpu);

    TrafficLimits limits = session.limits();
    limits.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    limits.maxConcurrency = 0;
    limits.breakerEnabled = false;
    limits.retries = 0;
    limits.queueCapacity = 100000;
    session.applyLimits(limits);
    BenchScenario scenario;
    scenario.useMock = true;
    scenario.profile.kind = LoadProfile::Kind::Constant;
    scenario.profile.load = rate;
    scenario.duration = std::chrono::seconds(static_cast<int>(seconds) + 5);
    scenario.maxTokens = 10;
    scenario.limits = limits;
    if (auto started = session.startRun(scenario); !started) {
        std::fprintf(stderr, "run: %s\n", qPrintable(started.error().text()));
        return 1;
    }
    double sentPerSecond = 0;
    std::int64_t snapshots = 0;
    QObject::connect(&session, &Session::snapshot, [&](const EngineSnapshot& s) {
        sentPerSecond = s.sentPerSecond;
        ++snapshots;
    });
    // Warm up 3 s, then measure.
    Stats warmDrift, warmRefresh, warmCpu;
    measure(window, 3, warmDrift, warmRefresh, &warmCpu);
    Stats drift, refresh, cpu;
    const std::int64_t before = snapshots;
    measure(window, seconds, drift, refresh, &cpu);
    const double snapshotRate = static_cast<double>(snapshots - before) / seconds;
    const int rows = window.requestsPanel()->model()->rowCount();
    const long rss = rssKb();
    session.stopRun();
    session.stopRun();

    std::printf(
        "idle     : refresh+paint p50 %.2f p95 %.2f max %.2f ms | loop lag p50 %.2f p99 %.2f "
        "max %.2f ms\n",
        idleRefresh.pct(0.5), idleRefresh.pct(0.95), idleRefresh.max(), idleDrift.pct(0.5),
        idleDrift.pct(0.99), idleDrift.max());
    std::printf(
        "%4.0f rps : refresh+paint p50 %.2f p95 %.2f max %.2f ms | loop lag p50 %.2f p99 %.2f "
        "max %.2f ms\n",
        rate, refresh.pct(0.5), refresh.pct(0.95), refresh.max(), drift.pct(0.5), drift.pct(0.99),
        drift.max());
    std::printf(
        "load     : sent %.0f/s (last snapshot), %.1f snapshots/s reached the GUI, %d table "
        "rows, RSS %ld MB\n",
        sentPerSecond, snapshotRate, rows, rss / 1024);
    std::printf(
        "GUI CPU  : refresh+paint thread CPU idle p95 %.2f max %.2f ms, loaded p95 %.2f max %.2f "
        "ms (the rest of the wall time is waiting for a core)\n",
        idleCpu.pct(0.95), idleCpu.max(), cpu.pct(0.95), cpu.max());
    std::printf("ratios   : refresh p95 loaded/idle %.2f, lag max loaded/idle %.2f\n",
                idleRefresh.pct(0.95) > 0 ? refresh.pct(0.95) / idleRefresh.pct(0.95) : 0.0,
                idleDrift.max() > 0 ? drift.max() / idleDrift.max() : 0.0);
    std::printf("targets  : refresh < 16 ms: %s (max %.2f) | loop lag < 50 ms: %s (max %.2f)\n",
                refresh.max() < 16 ? "met" : "NOT met", refresh.max(),
                drift.max() < 50 ? "met" : "NOT met", drift.max());
    return 0;
}
