#pragma once
// What the console benchmarks measure on the real window: the GUI event loop's lag and each
// chart's refresh including its paint (bench_console, bench_cockpit).

#include "ui/charts/livechart.h"
#include "ui/mainwindow.h"
#include "ui/panels/chartspanel.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>
#include <ctime>
#include <vector>

namespace sluice::bench {

struct Stats {
    std::vector<double> v;
    double pct(double p) {
        if (v.empty()) {
            return 0;
        }
        std::sort(v.begin(), v.end());
        return v[std::min(v.size() - 1,
                          static_cast<std::size_t>(p * static_cast<double>(v.size())))];
    }
    double max() { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }
};

inline double threadCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

/// Runs the event loop for `seconds`, probing its lateness with a 10 ms timer (into `drift`)
/// and timing each chart's refresh + paint once per 100 ms, round robin as the console does
/// (wall time into `refresh`, this thread's CPU time into `cpu` when given).
inline void measure(MainWindow& window, double seconds, Stats& drift, Stats& refresh,
                    Stats* cpu = nullptr) {
    ChartsPanel* charts = window.charts();
    QElapsedTimer clock;
    clock.start();
    qint64 last = clock.nsecsElapsed();
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        drift.v.push_back(std::max(0.0, static_cast<double>(now - last) / 1e6 - 10.0));
        last = now;
    });
    probe.start(10);
    int next = 0;
    QTimer painter;
    QObject::connect(&painter, &QTimer::timeout, [&] {
        LiveChart* chart = charts->chart(static_cast<ChartsPanel::Chart>(next));
        next = (next + 1) % ChartsPanel::ChartCount;
        QElapsedTimer t;
        t.start();
        const double cpu0 = threadCpuMs();
        chart->refresh(charts->now());
        chart->viewport()->repaint();
        refresh.v.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
        if (cpu) {
            cpu->v.push_back(threadCpuMs() - cpu0);
        }
    });
    painter.start(100);
    QEventLoop loop;
    QTimer::singleShot(static_cast<int>(seconds * 1000), &loop, &QEventLoop::quit);
    loop.exec();
}

} // namespace sluice::bench
