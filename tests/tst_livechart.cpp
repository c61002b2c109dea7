// LiveChart offscreen: decimated series stay within two points per pixel of plot width whatever
// the history, the fixed relative axis, pause, markers, alert levels and threshold lines.

#include "ui/charts/livechart.h"

#include <QCategoryAxis>
#include <QChart>
#include <QGraphicsPathItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QTest>
#include <QValueAxis>

#include <cmath>
#include <memory>
#include <random>

using sluice::LiveChart;

namespace {

constexpr double kRate = 10.0;   // samples per second
constexpr int kHour = 3600 * 10; // one hour of samples at 10 Hz
constexpr double kNow = (kHour - 1) / kRate;

QGraphicsSimpleTextItem* markerLabel(const LiveChart& chart, const QString& text) {
    for (QGraphicsItem* item : chart.scene()->items()) {
        if (auto* label = qgraphicsitem_cast<QGraphicsSimpleTextItem*>(item)) {
            if (label->text() == text) {
                return label;
            }
        }
    }
    return nullptr;
}

QLineSeries* seriesNamed(const LiveChart& chart, const QString& name) {
    for (QAbstractSeries* series : chart.chart()->series()) {
        if (series->name() == name) {
            return qobject_cast<QLineSeries*>(series);
        }
    }
    return nullptr;
}

} // namespace

class TestLiveChart final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void hourOfHistoryIsDecimatedToPlotWidth();
    void decimationKeepsSpikes();
    void setWindowChangesAxis();
    void pausedRefreshKeepsPoints();
    void markersInsideVisibleOutsideHidden();
    void markersAreBounded();
    void setLevelChangesPenColour();
    void thresholdLinePresentAndInRange();
    void yRangeIsNiceAndAtLeastOne();
    void clearDropsSamplesAndMarkers();

private:
    /// Shows the chart and lets the layout settle around the current data.
    void settle(double now);
    void fillHour(int seriesCount);

    std::unique_ptr<LiveChart> m_chart;
};

void TestLiveChart::init() {
    QVERIFY(!LiveChart::openGlEnabled());
    m_chart =
        std::make_unique<LiveChart>(QStringLiteral("Concurrency"), QStringLiteral("requests"));
    m_chart->resize(900, 320);
    m_chart->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_chart.get()));
}

void TestLiveChart::cleanup() {
    m_chart.reset();
}

void TestLiveChart::settle(double now) {
    m_chart->refresh(now);
    QCoreApplication::processEvents(); // the y labels may have changed width: relayout
    m_chart->refresh(now);
    QVERIFY(m_chart->chart()->plotArea().width() > 100);
}

void TestLiveChart::fillHour(int seriesCount) {
    static const QColor colours[] = {Qt::blue, Qt::darkGreen, Qt::magenta, Qt::darkCyan};
    for (int s = 0; s < seriesCount; ++s) {
        QCOMPARE(m_chart->addSeries(QStringLiteral("series %1").arg(s), colours[s % 4]), s);
    }
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> noise(0.0, 10.0);
    for (int i = 0; i < kHour; ++i) {
        for (int s = 0; s < seriesCount; ++s) {
            m_chart->append(s, i / kRate, 20.0 * (s + 1) + noise(rng));
        }
    }
}

void TestLiveChart::hourOfHistoryIsDecimatedToPlotWidth() {
    fillHour(4);
    for (double window : {60.0, 300.0, 900.0, 3600.0}) {
        m_chart->setWindow(window);
        settle(kNow);
        const double width = m_chart->chart()->plotArea().width();
        for (int s = 0; s < 4; ++s) {
            QCOMPARE(m_chart->sampleCount(s), std::size_t(kHour));
            const int points = m_chart->pointCount(s);
            QVERIFY2(points > 0 && points <= 2 * width,
                     qPrintable(QStringLiteral("window %1 series %2: %3 points, width %4")
                                    .arg(window)
                                    .arg(s)
                                    .arg(points)
                                    .arg(width)));
            const QList<QPointF> line = m_chart->lineSeries(s)->points();
            QVERIFY(line.last().x() <= 0.0);
            QVERIFY(line.last().x() > -1.0);                          // reaches "now"
            QVERIFY(line.first().x() < -window + 2 * window / width); // and the left edge
        }
        if (window == 60.0) {
            // 600 samples over ~800 pixels: nothing to merge, every sample is drawn.
            QVERIFY(m_chart->pointCount(0) >= 600 && m_chart->pointCount(0) <= 601);
        }
    }
    QVERIFY(m_chart->lastRefreshMs() > 0.0);
}

void TestLiveChart::decimationKeepsSpikes() {
    m_chart->addSeries(QStringLiteral("latency"), Qt::blue);
    m_chart->setWindow(3600);
    for (int i = 0; i < kHour; ++i) {
        const double t = i / kRate;
        double v = 50.0;
        if (i == 12345) {
            v = 900.0; // one sample, far narrower than a pixel
        } else if (i == 23456) {
            v = 1.0;
        }
        m_chart->append(0, t, v);
    }
    settle(kNow);
    double maxY = 0.0;
    double minY = 1e9;
    for (const QPointF& p : m_chart->lineSeries(0)->points()) {
        maxY = std::max(maxY, p.y());
        minY = std::min(minY, p.y());
    }
    QCOMPARE(maxY, 900.0);
    QCOMPARE(minY, 1.0);
    QVERIFY(m_chart->axisY()->max() >= 900.0 * 1.1);
}

void TestLiveChart::setWindowChangesAxis() {
    fillHour(1);
    QValueAxis* x = m_chart->axisX();
    QVERIFY(x);
    QCOMPARE(m_chart->chart()->axes(Qt::Horizontal).size(), 1);
    QCOMPARE(m_chart->chart()->axes(Qt::Horizontal).first(), x);

    m_chart->setWindow(60);
    settle(kNow);
    QCOMPARE(m_chart->window(), 60.0);
    QCOMPARE(x->min(), -60.0);
    QCOMPARE(x->max(), 0.0);
    QCOMPARE(x->titleText(), QStringLiteral("seconds ago"));
    auto* categories = qobject_cast<QCategoryAxis*>(x);
    QVERIFY(categories);
    QCOMPARE(categories->categoriesLabels().first(), QStringLiteral("60"));
    QCOMPARE(categories->categoriesLabels().last(), QStringLiteral("now"));
    const int pointsAt60 = m_chart->pointCount(0);
    for (const QPointF& p : m_chart->lineSeries(0)->points()) {
        QVERIFY(p.x() >= -61.0 && p.x() <= 0.0);
    }

    m_chart->setWindow(3600); // redraws at once at the last "now"
    QCOMPARE(x->min(), -3600.0);
    QCOMPARE(x->max(), 0.0);
    QCOMPARE(x->titleText(), QStringLiteral("minutes ago"));
    QCOMPARE(categories->categoriesLabels().first(), QStringLiteral("60"));
    QCOMPARE(categories->endValue(QStringLiteral("60")), -3600.0);
    QVERIFY(m_chart->pointCount(0) > pointsAt60);
    QVERIFY(m_chart->lineSeries(0)->points().first().x() < -3500.0);

    m_chart->setWindow(300);
    QCOMPARE(x->min(), -300.0);
    QCOMPARE(x->titleText(), QStringLiteral("seconds ago"));
}

void TestLiveChart::pausedRefreshKeepsPoints() {
    fillHour(2);
    m_chart->setWindow(60);
    settle(kNow);
    const QList<QPointF> before = m_chart->lineSeries(0)->points();

    m_chart->setPaused(true);
    QVERIFY(m_chart->paused());
    for (int i = 1; i <= 50; ++i) {
        m_chart->append(0, kNow + i / kRate, 500.0);
        m_chart->append(1, kNow + i / kRate, 500.0);
    }
    m_chart->refresh(kNow + 5.0);
    QCOMPARE(m_chart->lineSeries(0)->points(), before);
    QCOMPARE(m_chart->sampleCount(0), std::size_t(kHour)); // ring full: newest replaced oldest

    m_chart->setPaused(false);
    m_chart->refresh(kNow + 5.0);
    QVERIFY(m_chart->lineSeries(0)->points() != before);
    QCOMPARE(m_chart->lineSeries(0)->points().last(), QPointF(0.0, 500.0));
}

void TestLiveChart::markersInsideVisibleOutsideHidden() {
    fillHour(1);
    m_chart->setWindow(300);
    m_chart->addMarker(kNow - 30.0, QStringLiteral("max conc 20"));
    m_chart->addMarker(kNow - 600.0, QStringLiteral("rps 5"));
    QCOMPARE(m_chart->markerCount(), 2);
    settle(kNow);

    QGraphicsSimpleTextItem* inside = markerLabel(*m_chart, QStringLiteral("max conc 20"));
    QGraphicsSimpleTextItem* outside = markerLabel(*m_chart, QStringLiteral("rps 5"));
    QVERIFY(inside && outside);
    QVERIFY(inside->isVisible());
    QVERIFY(!outside->isVisible());

    // The line sits where the axis puts t = now - 30 s, from the top to the bottom of the plot.
    const QRectF plot = m_chart->chart()->plotArea();
    const QPointF expected =
        m_chart->chart()->mapToPosition(QPointF(-30.0, 0.0), m_chart->lineSeries(0));
    QGraphicsPathItem* lines = nullptr;
    for (QGraphicsItem* item : m_chart->scene()->items()) {
        if (auto* p = qgraphicsitem_cast<QGraphicsPathItem*>(item);
            p && p->zValue() == LiveChart::kMarkerZ) {
            lines = p;
        }
    }
    QVERIFY(lines);
    const QPainterPath path = lines->path();
    QCOMPARE(path.elementCount(), 2); // only one marker is in the window
    QVERIFY(std::abs(path.elementAt(0).x - expected.x()) <= 1.0);
    QCOMPARE(path.elementAt(0).x, path.elementAt(1).x);
    QCOMPARE(path.elementAt(0).y, plot.top());
    QCOMPARE(path.elementAt(1).y, plot.bottom());
    QVERIFY(plot.contains(inside->mapToParent(inside->boundingRect().center())));

    // A wider window brings the older marker in; time moving on pushes the newer one out.
    m_chart->setWindow(900);
    QVERIFY(outside->isVisible());
    QCOMPARE(lines->path().elementCount(), 4);
    m_chart->setWindow(60);
    m_chart->refresh(kNow + 40.0);
    QVERIFY(!inside->isVisible());
    QVERIFY(!outside->isVisible());
    QCOMPARE(lines->path().elementCount(), 0);
}

void TestLiveChart::markersAreBounded() {
    for (int i = 0; i < LiveChart::kMaxMarkers + 100; ++i) {
        m_chart->addMarker(i, QStringLiteral("m%1").arg(i));
    }
    QCOMPARE(m_chart->markerCount(), LiveChart::kMaxMarkers);
    QVERIFY(!markerLabel(*m_chart, QStringLiteral("m0")));  // the oldest went
    QVERIFY(markerLabel(*m_chart, QStringLiteral("m599"))); // the newest stayed
}

void TestLiveChart::setLevelChangesPenColour() {
    const QColor own(0x20, 0x60, 0xc0);
    m_chart->addSeries(QStringLiteral("in flight"), own, Qt::DashLine);
    m_chart->addSeries(QStringLiteral("limit"), Qt::black);
    QLineSeries* line = m_chart->lineSeries(0);
    QCOMPARE(line->pen().color(), own);
    QCOMPARE(line->pen().style(), Qt::DashLine);
    QCOMPARE(m_chart->level(0), LiveChart::Level::Normal);

    m_chart->setLevel(0, LiveChart::Level::Warning);
    QCOMPARE(m_chart->level(0), LiveChart::Level::Warning);
    QCOMPARE(line->pen().color(), QColor(0xe0, 0xa0, 0x00));
    m_chart->setLevel(0, LiveChart::Level::Critical);
    QCOMPARE(line->pen().color(), QColor(0xd0, 0x30, 0x30));
    QCOMPARE(line->pen().style(), Qt::DashLine);
    QCOMPARE(m_chart->lineSeries(1)->pen().color(), QColor(Qt::black)); // others untouched
    m_chart->setPaused(true);
    m_chart->setLevel(0, LiveChart::Level::Normal); // also while paused
    QCOMPARE(line->pen().color(), own);
}

void TestLiveChart::thresholdLinePresentAndInRange() {
    m_chart->addSeries(QStringLiteral("queue"), Qt::blue);
    for (int i = 0; i < 600; ++i) {
        m_chart->append(0, i / kRate, 5.0);
    }
    m_chart->setWindow(60);
    m_chart->addThresholdLine(QStringLiteral("critical > %1"), 50, LiveChart::Level::Critical);
    m_chart->addThresholdLine(QStringLiteral("warning"), 30, LiveChart::Level::Warning);
    settle(59.9);
    QCOMPARE(m_chart->thresholdCount(), 2);

    QLineSeries* critical = seriesNamed(*m_chart, QStringLiteral("critical > 50"));
    QVERIFY(critical);
    QCOMPARE(critical, m_chart->thresholdSeries(0));
    QCOMPARE(critical->pen().style(), Qt::DashLine);
    QCOMPARE(critical->pen().color(), QColor(0xd0, 0x30, 0x30));
    QCOMPARE(critical->points(), (QList<QPointF>{QPointF(-60, 50), QPointF(0, 50)}));
    QCOMPARE(m_chart->chart()->legend()->markers(critical).size(), 1);
    QVERIFY(m_chart->axisY()->max() >= 50.0); // visible although the data stays at 5

    m_chart->setThresholdValue(0, 80);
    QVERIFY(seriesNamed(*m_chart, QStringLiteral("critical > 80")));
    QCOMPARE(critical->points().first().y(), 80.0);
    QVERIFY(m_chart->axisY()->max() >= 80.0);
    m_chart->setWindow(300);
    QCOMPARE(critical->points().first(), QPointF(-300, 80));
    QVERIFY(seriesNamed(*m_chart, QStringLiteral("warning")));
}

void TestLiveChart::yRangeIsNiceAndAtLeastOne() {
    m_chart->addSeries(QStringLiteral("rps"), Qt::blue);
    settle(0.0);
    QCOMPARE(m_chart->axisY()->min(), 0.0);
    QCOMPARE(m_chart->axisY()->max(), 1.0); // empty: at least 1

    m_chart->append(0, 1.0, 0.3);
    m_chart->refresh(2.0);
    QCOMPARE(m_chart->axisY()->max(), 1.0);

    m_chart->append(0, 2.0, 37.0);
    m_chart->refresh(3.0);
    QCOMPARE(m_chart->axisY()->max(), 50.0); // 37 * 1.1 = 40.7 -> 50 (steps of 10)

    m_chart->append(0, 3.0, 1234.0);
    m_chart->refresh(4.0);
    const double top = m_chart->axisY()->max();
    QVERIFY(top >= 1234.0 * 1.1 && top <= 2000.0);
}

void TestLiveChart::clearDropsSamplesAndMarkers() {
    fillHour(2);
    m_chart->addMarker(kNow - 1, QStringLiteral("x"));
    m_chart->addThresholdLine(QStringLiteral("limit"), 10, LiveChart::Level::Normal);
    settle(kNow);
    QVERIFY(m_chart->pointCount(1) > 0);
    m_chart->clear();
    QCOMPARE(m_chart->sampleCount(0), std::size_t(0));
    QCOMPARE(m_chart->pointCount(1), 0);
    QCOMPARE(m_chart->markerCount(), 0);
    QVERIFY(!markerLabel(*m_chart, QStringLiteral("x")));
    QCOMPARE(m_chart->seriesCount(), 2);
    QCOMPARE(m_chart->thresholdCount(), 1);
    m_chart->append(0, kNow + 1, 3.0);
    m_chart->refresh(kNow + 1);
    QCOMPARE(m_chart->pointCount(0), 1);
}

QTEST_MAIN(TestLiveChart)
#include "tst_livechart.moc"
