// Live chart cost in a window shaped like the monitor: 5 LiveCharts (concurrency 3 series,
// queue 2, RPS 4, latency 6, tokens/s 2; windows alternating 5 min and 1 h, a change marker
// every 5 minutes), each with one hour of 10 Hz history, at 1280x800. For `seconds` (default 20)
// every series gets a sample at 10 Hz and each chart is refreshed at 5 Hz and painted at once,
// so the per-refresh figure includes the paint.
//
//   bench_charts [seconds] [staggered|together] [repaint|dirty] [screenshot.png]
//
// staggered (default): one chart per 40 ms tick, round robin, so an event-loop slice holds one
// chart's refresh + paint. together: all five every 200 ms in one slice.
// repaint (default): viewport()->repaint(), the whole chart, the worst case. dirty: paints only
// what the refresh invalidated, as the event loop would.
// A 10 ms PreciseTimer probes the event loop: its lateness is what the rest of the GUI feels.
// The platform comes from QT_QPA_PLATFORM (offscreen works; OpenGL stays off).
#include "ui/charts/livechart.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QGridLayout>
#include <QPixmap>
#include <QTimer>
#include <QWidget>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

#ifdef Q_OS_UNIX
#include <sys/resource.h>
#endif

using sluice::LiveChart;

namespace {

constexpr double kRate = 10.0;              // samples per second
constexpr int kHistory = 3600 * 10;         // one hour at 10 Hz
constexpr double kStart = kHistory / kRate; // session time when the live phase starts

struct Stats {
    std::vector<double> ms;
    void add(double v) { ms.push_back(v); }
    double pct(double p) {
        if (ms.empty()) {
            return 0.0;
        }
        std::sort(ms.begin(), ms.end());
        return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * ms.size()))];
    }
    double max() { return ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end()); }
    void print(const char* what) {
        std::printf("%-34s n=%-5zu p50 %6.2f ms   p95 %6.2f ms   max %6.2f ms\n", what, ms.size(),
                    pct(0.50), pct(0.95), max());
    }
};

double cpuSeconds() {
#ifdef Q_OS_UNIX
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
           (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
#else
    return 0.0;
#endif
}

/// One plausible signal per series: a level with slow waves and noise, kept >= 0.
struct Signal {
    double level;
    double wave;
    double noise;
    double at(double t, std::mt19937& rng) const {
        std::normal_distribution<double> n(0.0, noise);
        return std::max(0.0, level + wave * std::sin(t / 97.0 + level) + n(rng));
    }
};

struct ChartSpec {
    const char* title;
    const char* unit;
    std::vector<const char*> series;
    std::vector<Signal> shapes;
    double threshold; // 0 = none
};

} // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    double seconds = 20.0;
    bool together = false;
    bool dirtyOnly = false;
    QString screenshot;
    for (int i = 1; i < argc; ++i) {
        const QString arg = QString::fromLocal8Bit(argv[i]);
        if (arg == QLatin1String("together")) {
            together = true;
        } else if (arg == QLatin1String("dirty")) {
            dirtyOnly = true;
        } else if (arg.endsWith(QLatin1String(".png"))) {
            screenshot = arg;
        } else if (arg.toDouble() > 0) {
            seconds = arg.toDouble();
        } else if (arg != QLatin1String("staggered") && arg != QLatin1String("repaint")) {
            std::fprintf(stderr, "usage: bench_charts [seconds] [staggered|together] "
                                 "[repaint|dirty] [screenshot.png]\n");
            return 2;
        }
    }

    const std::vector<ChartSpec> specs = {
        {"Concurrency",
         "requests",
         {"in flight", "limit", "peak"},
         {{12, 6, 2}, {20, 0, 0}, {16, 4, 1}},
         0},
        {"Queue", "requests", {"queued", "oldest wait / 10"}, {{30, 25, 5}, {8, 6, 2}}, 50},
        {"Throughput",
         "req/s",
         {"sent", "ok", "429", "errors"},
         {{40, 10, 3}, {36, 9, 3}, {3, 3, 1}, {1, 1, 0.5}},
         0},
        {"Latency",
         "ms",
         {"p50", "p90", "p95", "p99", "TTFT p50", "TTFT p95"},
         {{400, 80, 20},
          {900, 150, 40},
          {1200, 200, 60},
          {2100, 400, 150},
          {250, 40, 10},
          {600, 90, 30}},
         3000},
        {"Tokens", "tokens/s", {"input", "output"}, {{9000, 2500, 600}, {2500, 800, 200}}, 0},
    };
    static const QColor palette[] = {QColor(0x1f, 0x77, 0xb4), QColor(0x2c, 0xa0, 0x2c),
                                     QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                                     QColor(0x17, 0xbe, 0xcf), QColor(0x7f, 0x7f, 0x7f)};

    QWidget window;
    auto* grid = new QGridLayout(&window);
    grid->setContentsMargins(4, 4, 4, 4);
    grid->setSpacing(4);
    std::vector<LiveChart*> charts;
    std::mt19937 rng(7);
    int seriesTotal = 0;
    for (std::size_t c = 0; c < specs.size(); ++c) {
        const ChartSpec& spec = specs[c];
        auto* chart = new LiveChart(QString::fromUtf8(spec.title), QString::fromUtf8(spec.unit));
        for (std::size_t s = 0; s < spec.series.size(); ++s) {
            chart->addSeries(QString::fromUtf8(spec.series[s]), palette[s % 6],
                             s == 1 && c == 0 ? Qt::DashLine : Qt::SolidLine);
            ++seriesTotal;
        }
        if (spec.threshold > 0) {
            chart->addThresholdLine(QStringLiteral("critical > %1"), spec.threshold,
                                    LiveChart::Level::Critical);
        }
        for (int i = 0; i < kHistory; ++i) {
            const double t = i / kRate;
            for (std::size_t s = 0; s < spec.series.size(); ++s) {
                chart->append(static_cast<int>(s), t, spec.shapes[s].at(t, rng));
            }
        }
        for (int m = 0; m < 12; ++m) { // a change marker every 5 minutes of the hour
            chart->addMarker(m * 300.0 + 150.0, QStringLiteral("max conc %1").arg(10 + m));
        }
        chart->setWindow(c % 2 == 0 ? 300 : 3600); // both the short and the long window
        grid->addWidget(chart, static_cast<int>(c / 2), static_cast<int>(c % 2), 1,
                        c == specs.size() - 1 ? 2 : 1);
        charts.push_back(chart);
    }
    window.resize(1280, 800);
    window.show();

    QElapsedTimer session; // session time = kStart + elapsed
    auto now = [&] { return kStart + session.nsecsElapsed() / 1e9; };
    Stats cpuStats, total, refreshOnly, paintOnly, slice, drift;
    std::vector<double> points;

    // Settle the layout, draw once, then start.
    QCoreApplication::processEvents();
    for (LiveChart* chart : charts) {
        chart->refresh(kStart);
    }
    QCoreApplication::processEvents();
    session.start();

    QTimer samples;
    samples.setTimerType(Qt::PreciseTimer);
    QObject::connect(&samples, &QTimer::timeout, &window, [&] {
        const double t = now();
        for (std::size_t c = 0; c < charts.size(); ++c) {
            for (std::size_t s = 0; s < specs[c].series.size(); ++s) {
                charts[c]->append(static_cast<int>(s), t, specs[c].shapes[s].at(t, rng));
            }
        }
    });
    samples.start(100);

    auto refreshOne = [&](LiveChart* chart) {
        QElapsedTimer timer;
        timespec c0{}, c1{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
        timer.start();
        chart->refresh(now());
        const double refreshed = timer.nsecsElapsed() / 1e6;
        // Run the chart's deferred work now (layout request, the scene's dirty-item pass), then
        // paint: the paint flushes every pending update, so nothing is painted twice later.
        QCoreApplication::sendPostedEvents(chart->chart(), QEvent::LayoutRequest);
        QCoreApplication::sendPostedEvents(chart->scene(), QEvent::MetaCall);
        if (dirtyOnly) {
            // What the event loop would paint: only the regions the refresh made dirty.
            QCoreApplication::sendPostedEvents(chart->QWidget::window(), QEvent::UpdateRequest);
        } else {
            chart->viewport()->repaint(); // the whole chart
        }
        const double all = timer.nsecsElapsed() / 1e6;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
        cpuStats.add((c1.tv_sec - c0.tv_sec) * 1e3 + (c1.tv_nsec - c0.tv_nsec) / 1e6);
        total.add(all);
        refreshOnly.add(chart->lastRefreshMs());
        paintOnly.add(all - refreshed);
        for (int s = 0; s < chart->seriesCount(); ++s) {
            points.push_back(chart->pointCount(s));
        }
        return all;
    };
    QTimer frames;
    frames.setTimerType(Qt::PreciseTimer);
    std::size_t next = 0;
    QObject::connect(&frames, &QTimer::timeout, &window, [&] {
        if (together) {
            double sum = 0.0;
            for (LiveChart* chart : charts) {
                sum += refreshOne(chart);
            }
            slice.add(sum);
        } else {
            slice.add(refreshOne(charts[next]));
            next = (next + 1) % charts.size();
        }
    });
    frames.start(together ? 200 : static_cast<int>(200 / charts.size()));

    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    QElapsedTimer sinceTick;
    sinceTick.start();
    QObject::connect(&probe, &QTimer::timeout, &window, [&] {
        drift.add(std::max(0.0, sinceTick.nsecsElapsed() / 1e6 - 10.0));
        sinceTick.restart();
    });
    probe.start(10);

    const double cpuBefore = cpuSeconds();
    QTimer::singleShot(static_cast<int>(seconds * 1000), &window, [&] { app.quit(); });
    app.exec();
    const double cpu = cpuSeconds() - cpuBefore;
    const double wall = session.nsecsElapsed() / 1e9;
    if (!screenshot.isEmpty()) {
        window.grab().save(screenshot);
    }

    double avgPoints = 0.0;
    for (double p : points) {
        avgPoints += p;
    }
    avgPoints = points.empty() ? 0.0 : avgPoints / points.size();

    std::printf("bench_charts: platform %s, %zu charts, %d series, %d samples of history each, "
                "window %dx%d, %.0f s, mode %s, %s\n",
                qPrintable(QGuiApplication::platformName()), charts.size(), seriesTotal, kHistory,
                window.width(), window.height(), wall,
                together ? "together (all 5 charts every 200 ms)"
                         : "staggered (one chart per 40 ms tick, each at 5 Hz)",
                dirtyOnly ? "paint dirty regions" : "repaint whole chart");
    std::printf("plot width of a half-width chart: %.0f px; average points per series: %.0f\n",
                charts[0]->chart()->plotArea().width(), avgPoints);
    total.print("refresh + paint, per chart");
    cpuStats.print("  thread CPU of refresh + paint");
    refreshOnly.print("  refresh (decimate+replace+axes)");
    paintOnly.print(dirtyOnly ? "  paint (dirty regions)" : "  paint (viewport()->repaint())");
    slice.print("event-loop slice (frame timer)");
    std::printf("%-34s n=%-5zu p50 %6.2f ms   p99 %6.2f ms   max %6.2f ms\n",
                "10 ms timer lateness (drift)", drift.ms.size(), drift.pct(0.50), drift.pct(0.99),
                drift.max());
    std::printf("CPU: %.1f%% of one core over the live phase\n", 100.0 * cpu / wall);
    const bool ok = total.max() < 16.0 && drift.max() < 50.0;
    std::printf("target refresh < 16 ms, drift < 50 ms: %s\n", ok ? "met" : "NOT met");
    return 0;
}
