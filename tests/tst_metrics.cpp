#include "core/metrics/persecondseries.h"
#include "core/metrics/windowpeak.h"

#include <QTest>

using namespace sluice;
using namespace std::chrono_literals;

class TestMetrics final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void windowPeakFindsBusiestWindow();
    void windowPeakCountsWeightedAmounts();
    void windowPeakReset();
    void perSecondSeriesKeepsRecentSeconds();
    void perSecondSeriesForgetsOldSeconds();
};

void TestMetrics::windowPeakFindsBusiestWindow() {
    WindowPeak peak(60s);
    // 5 at t=0..4 s, 5 more at t=50..54 s: 10 within one minute.
    for (int i = 0; i < 5; ++i) {
        peak.add(1, std::chrono::seconds(i));
    }
    for (int i = 0; i < 5; ++i) {
        peak.add(1, std::chrono::seconds(50 + i));
    }
    QCOMPARE(peak.peak(), 10);
    // 3 more at t=100 s: the early ones have left; the busiest window stays 10.
    for (int i = 0; i < 3; ++i) {
        peak.add(1, 100s);
    }
    QCOMPARE(peak.current(100s), 8);
    QCOMPARE(peak.peak(), 10);
    QCOMPARE(peak.current(200s), 0);
}

void TestMetrics::windowPeakCountsWeightedAmounts() {
    WindowPeak peak(1s);
    peak.add(300, 0ms);
    peak.add(300, 999ms);
    QCOMPARE(peak.peak(), 600);
    peak.add(300, 1000ms); // the first left exactly one window later
    QCOMPARE(peak.peak(), 600);
    QCOMPARE(peak.current(1000ms), 600);
}

void TestMetrics::windowPeakReset() {
    WindowPeak peak(60s);
    peak.add(7, 0s);
    peak.reset();
    QCOMPARE(peak.peak(), 0);
    QCOMPARE(peak.current(1s), 0);
}

void TestMetrics::perSecondSeriesKeepsRecentSeconds() {
    PerSecondSeries series(5);
    series.add(100);
    series.add(100);
    series.add(102, 3);
    const auto values = series.values(103);
    QCOMPARE(values.size(), size_t(5));
    QCOMPARE(values, (std::vector<std::int64_t>{0, 2, 0, 3, 0}));
}

void TestMetrics::perSecondSeriesForgetsOldSeconds() {
    PerSecondSeries series(3);
    series.add(10, 4);
    series.add(13, 1); // same slot as 10: overwrites it
    QCOMPARE(series.values(13), (std::vector<std::int64_t>{0, 0, 1}));
    QCOMPARE(series.values(20), (std::vector<std::int64_t>{0, 0, 0}));
}

QTEST_APPLESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
