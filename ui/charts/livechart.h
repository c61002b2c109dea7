#pragma once

#include "ui/charts/timering.h"

#include <QChartView>
#include <QColor>
#include <QList>
#include <QPointF>
#include <QString>

#include <cstddef>
#include <deque>
#include <vector>

QT_BEGIN_NAMESPACE
class QCategoryAxis;
class QGraphicsPathItem;
class QGraphicsSimpleTextItem;
class QLineSeries;
class QValueAxis;
QT_END_NAMESPACE

namespace sluice {

/// A live line chart over a fixed relative time axis ("seconds ago", -window..0): the x axis is
/// set once per window change, never per tick, and each refresh() hands every QLineSeries a
/// min/max-decimated view of its TimeRing (at most two points per horizontal pixel) with one
/// replace(). History length therefore does not affect redraw cost. Animations are off and
/// OpenGL is off unless setOpenGlEnabled(true) was called before the series were added.
///
/// Typical use: append() samples as they arrive (cheap, ring only), and call refresh(now) from
/// one frame timer at 2-5 Hz per chart. With several charts, stagger them (one chart per timer
/// tick, round robin) so each event-loop slice holds one chart's refresh and paint, ~5-12 ms
/// here (tests/benchmarks/bench_charts.cpp). GUI thread only.
class LiveChart final : public QChartView {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LiveChart)

public:
    enum class Level { Normal, Warning, Critical };
    Q_ENUM(Level)

    /// `unit` titles the y axis, e.g. "requests", "req/s", "ms", "tokens/s".
    LiveChart(const QString& title, const QString& unit, QWidget* parent = nullptr);
    ~LiveChart() override;

    /// Series created afterwards use OpenGL. Off by default: it segfaults under
    /// QT_QPA_PLATFORM=offscreen, and the decimated series are cheap without it.
    static void setOpenGlEnabled(bool enabled);
    static bool openGlEnabled();

    /// Adds a series named `name` in the legend, with a ring of `capacity` samples. Returns its
    /// index (0, 1, ... in call order).
    int addSeries(const QString& name, const QColor& colour, Qt::PenStyle style = Qt::SolidLine,
                  std::size_t capacity = 36000);
    /// Appends to the series' ring only; nothing is drawn until the next refresh(). `t` is
    /// session time in seconds, non-decreasing. A NaN `value` is a gap: it is never drawn, but
    /// a QLineSeries cannot break, so the line joins the samples either side of it.
    void append(int series, double t, double value);

    /// A horizontal dashed threshold line at `value`, in the legend as `label` (e.g.
    /// "critical > 50"). If `label` contains "%1", it is replaced by the current value, so it
    /// stays right after setThresholdValue(). Coloured by `level` (Normal = grey). The y range
    /// always includes every threshold line. Threshold indices are 0, 1, ... in call order.
    void addThresholdLine(const QString& label, double value, Level level);
    void setThresholdValue(int thresholdIndex, double value);
    int thresholdCount() const { return static_cast<int>(m_thresholds.size()); }
    QLineSeries* thresholdSeries(int thresholdIndex) const;

    /// Colours a series by alert state: Warning = amber (#e0a000), Critical = red (#d03030),
    /// Normal = the colour it was added with. Takes effect at once, also while paused.
    void setLevel(int series, Level level);
    Level level(int series) const;

    /// A vertical marker at session time `t` with `label` drawn at its top (e.g. "max conc 20").
    /// Markers scroll with the data and are hidden once older than the window (or newer than
    /// "now"). Where labels would overlap, the newer marker keeps its label and the older one
    /// shows only its line. The oldest are dropped beyond kMaxMarkers.
    void addMarker(double t, const QString& label);
    int markerCount() const { return static_cast<int>(m_markers.size()); }
    static constexpr int kMaxMarkers = 500;
    /// Z value of the marker lines item (labels are above it): lets tests find it.
    static constexpr qreal kMarkerZ = 20;

    /// The visible time span in seconds (60, 300, 900, 3600, ...; at least 1). The x axis runs
    /// from -window to 0, labelled in seconds, or minutes for >= 15 min, with the axis title
    /// "seconds ago" / "minutes ago". Redraws at once at the last refresh time, even if paused.
    /// Note: hides QWidget::window(); call it through a QWidget* if you need the top level.
    void setWindow(double seconds);
    double window() const { return m_window; }

    /// While paused, refresh() does nothing (the picture is frozen at the last "now") but
    /// append() keeps filling the rings, so resuming shows everything.
    void setPaused(bool paused);
    bool paused() const { return m_paused; }

    /// Redraws for session time `now`: decimates each ring to about one bucket per pixel of
    /// plot width (buckets aligned to absolute time so the line does not shimmer between
    /// frames), replace()s each series, moves the markers, and sets the y range to
    /// 0..nice(1.1 * max) (top at least 1), counting visible data and threshold lines.
    void refresh(double now);
    /// Wall time in ms of the last redraw: decimation, replace() (which lays out the line
    /// geometry synchronously), axis and marker updates. Painting is NOT included: it happens
    /// later in the event loop (force it with viewport()->repaint() to measure it).
    double lastRefreshMs() const { return m_lastRefreshMs; }

    int seriesCount() const { return static_cast<int>(m_series.size()); }
    /// Points currently in the QLineSeries.
    int pointCount(int series) const;
    /// Samples in the series' ring.
    std::size_t sampleCount(int series) const;
    /// Drops all samples and markers; series, thresholds and levels stay.
    void clear();
    QLineSeries* lineSeries(int series) const;
    /// The x axis: a QCategoryAxis (labels and grid on the category boundaries), -window..0.
    QValueAxis* axisX() const;
    QValueAxis* axisY() const { return m_axisY; }

protected:
    /// Fewer time labels on a narrow chart, so none is cut to "3…".
    void resizeEvent(QResizeEvent* event) override;

private:
    struct Series {
        TimeRing ring;
        QLineSeries* line = nullptr;
        QColor colour;
        Level level = Level::Normal;
        QList<QPointF> points; ///< reused decimation buffer
    };
    struct Threshold {
        QString label;
        double value = 0.0;
        QLineSeries* line = nullptr;
    };
    struct Marker {
        double t = 0.0;
        QGraphicsSimpleTextItem* text = nullptr; ///< owned by the chart item
    };

    void redraw(double now);
    void updateThresholdLine(const Threshold& threshold) const;
    void updateYRange(double maxValue);
    void positionMarkers();
    int bucketCount() const;
    bool validSeries(int series) const;
    QColor levelColour(const Series& series) const;

    QCategoryAxis* m_axisX = nullptr;
    QValueAxis* m_axisY = nullptr;
    std::vector<Series> m_series;
    std::vector<Threshold> m_thresholds;
    std::deque<Marker> m_markers;
    QGraphicsPathItem* m_markerLines = nullptr; ///< every visible marker line, one item
    double m_window = 300.0;
    int m_labelSlots = 6;  ///< most intervals between time labels that fit the width
    int m_yIntervals = 5;  ///< about this many intervals between value labels (fits the height)
    double m_now = 0.0;    ///< "now" of the last redraw
    bool m_hasNow = false; ///< a redraw has happened, m_now is meaningful
    bool m_paused = false;
    double m_dataMax = 0.0; ///< largest visible sample at the last redraw
    double m_yTop = 0.0;
    double m_lastRefreshMs = 0.0;
};

} // namespace sluice
