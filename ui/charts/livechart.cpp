#include "ui/charts/livechart.h"

#include <QCategoryAxis>
#include <QChart>
#include <QElapsedTimer>
#include <QFont>
#include <QGraphicsLayout>
#include <QGraphicsPathItem>
#include <QGraphicsSimpleTextItem>
#include <QLegend>
#include <QLineSeries>
#include <QPen>
#include <QResizeEvent>
#include <QValueAxis>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>

namespace sluice {

namespace {

// Light monitoring palette: quiet chrome so the data lines carry the colour.
const QColor kText(0x30, 0x30, 0x30);
const QColor kLabel(0x55, 0x55, 0x55);
const QColor kAxisLine(0xb8, 0xb8, 0xb8);
const QColor kGrid(0xe8, 0xe8, 0xe8);
const QColor kMarker(0x4a, 0x5a, 0x8a);
const QColor kWarning(0xe0, 0xa0, 0x00);
const QColor kCritical(0xd0, 0x30, 0x30);
const QColor kThresholdNormal(0x80, 0x80, 0x80);

// 1 px cosmetic: the raster engine's fast cosmetic stroker draws it, antialiased, at about
// half the cost of a 1.5 px line (which goes through the general stroker per segment).
constexpr qreal kSeriesWidth = 1.0;
constexpr int kFallbackBuckets = 600; // before the first layout gives a plot width
constexpr double kMinutesFrom = 900.0;

std::atomic<bool> s_openGl{false};

QFont chartFont(qreal pointSize, bool bold = false) {
    QFont font;
    font.setPointSizeF(pointSize);
    font.setBold(bold);
    return font;
}

QColor colourFor(LiveChart::Level level, const QColor& normal) {
    switch (level) {
    case LiveChart::Level::Warning:
        return kWarning;
    case LiveChart::Level::Critical:
        return kCritical;
    case LiveChart::Level::Normal:
        break;
    }
    return normal;
}

/// The smallest of 1, 2, 2.5, 5 x 10^k that is >= `rough` (> 0).
double niceStep(double rough) {
    const double base = std::pow(10.0, std::floor(std::log10(rough)));
    const double f = rough / base;
    const double m = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 2.5 ? 2.5 : f <= 5.0 ? 5.0 : 10.0;
    return m * base;
}

/// Digits after the point that print every multiple of `step` exactly.
int decimalsFor(double step) {
    int decimals = 0;
    while (decimals < 6 && std::abs(step * std::pow(10.0, decimals) -
                                    std::round(step * std::pow(10.0, decimals))) > 1e-6) {
        ++decimals;
    }
    return decimals;
}

QString thresholdName(const QString& label, double value) {
    return label.contains(QLatin1String("%1")) ? label.arg(value) : label;
}

} // namespace

LiveChart::LiveChart(const QString& title, const QString& unit, QWidget* parent)
    : QChartView(new QChart, parent) {
    QChart* c = chart();
    c->setTheme(QChart::ChartThemeLight);
    c->setAnimationOptions(QChart::NoAnimation);
    c->setBackgroundRoundness(0);
    c->setMargins(QMargins(6, 2, 16, 2)); // right: room for the centred "now" label
    c->layout()->setContentsMargins(0, 0, 0, 0);
    c->setTitle(title);
    c->setTitleFont(chartFont(10, true));
    c->setTitleBrush(kText);

    QLegend* legend = c->legend();
    legend->setAlignment(Qt::AlignBottom);
    legend->setMarkerShape(QLegend::MarkerShapeFromSeries);
    legend->setFont(chartFont(9));
    legend->setLabelColor(kLabel);
    legend->setContentsMargins(0, 0, 0, 0);

    // Axes, series and the marker items are owned by the chart (added to it or its children).
    m_axisX = new QCategoryAxis;
    m_axisX->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    m_axisY = new QValueAxis;
    for (QAbstractAxis* axis :
         {static_cast<QAbstractAxis*>(m_axisX), static_cast<QAbstractAxis*>(m_axisY)}) {
        axis->setLabelsFont(chartFont(9));
        axis->setLabelsColor(kLabel);
        axis->setTitleFont(chartFont(9));
        axis->setTitleBrush(kLabel);
        axis->setLinePenColor(kAxisLine);
        axis->setGridLineColor(kGrid);
        axis->setMinorGridLineVisible(false);
        axis->setShadesVisible(false);
    }
    m_axisY->setTitleText(unit);
    c->addAxis(m_axisX, Qt::AlignBottom);
    c->addAxis(m_axisY, Qt::AlignLeft);
    updateYRange(m_dataMax);
    setWindow(m_window);

    m_markerLines = new QGraphicsPathItem(c);
    QColor lineColour = kMarker;
    lineColour.setAlpha(120); // translucent: the data shows through
    QPen markerPen(lineColour, 1.0);
    markerPen.setCosmetic(true);
    m_markerLines->setPen(markerPen);
    m_markerLines->setZValue(kMarkerZ);

    // The chart moves its plot area when the legend, labels or widget size change; the markers
    // are plain graphics items, so follow it.
    connect(c, &QChart::plotAreaChanged, this, [this](const QRectF& plot) {
        positionMarkers();
        // Fewer value labels on a short chart: Qt elides labels that would overlap to "…".
        const int intervals = std::clamp(static_cast<int>(plot.height() / 24), 2, 5);
        if (intervals != m_yIntervals) {
            m_yIntervals = intervals;
            m_yTop = -1; // recompute the ticks
            updateYRange(m_dataMax);
        }
    });

    setRenderHint(QPainter::Antialiasing, true);
    // One rectangle around everything that changed: the series cover the plot area anyway, and
    // painting a multi-rectangle region clips every line against it (measured ~30% more paint
    // time in bench_charts with the default MinimalViewportUpdate).
    setViewportUpdateMode(QGraphicsView::BoundingRectViewportUpdate);
    setFrameShape(QFrame::NoFrame);
    setMinimumSize(240, 160);
}

LiveChart::~LiveChart() = default;

void LiveChart::setOpenGlEnabled(bool enabled) {
    s_openGl.store(enabled, std::memory_order_relaxed);
}

bool LiveChart::openGlEnabled() {
    return s_openGl.load(std::memory_order_relaxed);
}

int LiveChart::addSeries(const QString& name, const QColor& colour, Qt::PenStyle style,
                         std::size_t capacity) {
    auto* line = new QLineSeries; // the chart owns it once added
    line->setName(name);
    line->setUseOpenGL(openGlEnabled());
    chart()->addSeries(line);
    line->attachAxis(m_axisX);
    line->attachAxis(m_axisY);
    // After addSeries(): the theme would otherwise repaint it in its own palette.
    QPen pen(colour, kSeriesWidth, style);
    pen.setCosmetic(true);
    line->setPen(pen);

    Series series{TimeRing(capacity), line, colour, Level::Normal, {}};
    m_series.push_back(std::move(series));
    return static_cast<int>(m_series.size()) - 1;
}

void LiveChart::append(int series, double t, double value) {
    if (validSeries(series)) {
        m_series[series].ring.append(t, value);
    }
}

void LiveChart::addThresholdLine(const QString& label, double value, Level level) {
    auto* line = new QLineSeries; // the chart owns it once added
    line->setName(thresholdName(label, value));
    chart()->addSeries(line);
    line->attachAxis(m_axisX);
    line->attachAxis(m_axisY);
    QPen pen(colourFor(level, kThresholdNormal), 1.0, Qt::DashLine);
    pen.setCosmetic(true);
    line->setPen(pen);

    m_thresholds.push_back(Threshold{label, value, line});
    updateThresholdLine(m_thresholds.back());
    updateYRange(m_dataMax);
}

void LiveChart::setThresholdValue(int thresholdIndex, double value) {
    if (thresholdIndex < 0 || thresholdIndex >= thresholdCount()) {
        qWarning("LiveChart::setThresholdValue: no threshold %d", thresholdIndex);
        return;
    }
    Threshold& threshold = m_thresholds[thresholdIndex];
    if (threshold.value == value) {
        return;
    }
    threshold.value = value;
    threshold.line->setName(thresholdName(threshold.label, value));
    updateThresholdLine(threshold);
    updateYRange(m_dataMax);
}

QLineSeries* LiveChart::thresholdSeries(int thresholdIndex) const {
    if (thresholdIndex < 0 || thresholdIndex >= thresholdCount()) {
        return nullptr;
    }
    return m_thresholds[thresholdIndex].line;
}

void LiveChart::updateThresholdLine(const Threshold& threshold) const {
    // Spans the whole axis in its own units; only the ends are needed.
    threshold.line->replace(
        QList<QPointF>{QPointF(-m_window, threshold.value), QPointF(0.0, threshold.value)});
}

void LiveChart::setLevel(int series, Level level) {
    if (!validSeries(series) || m_series[series].level == level) {
        return;
    }
    Series& s = m_series[series];
    s.level = level;
    QPen pen = s.line->pen();
    pen.setColor(levelColour(s));
    s.line->setPen(pen);
}

LiveChart::Level LiveChart::level(int series) const {
    return validSeries(series) ? m_series[series].level : Level::Normal;
}

QColor LiveChart::levelColour(const Series& series) const {
    return colourFor(series.level, series.colour);
}

void LiveChart::addMarker(double t, const QString& label) {
    while (m_markers.size() >= static_cast<std::size_t>(kMaxMarkers)) {
        delete m_markers.front().text;
        m_markers.pop_front();
    }
    Marker marker;
    marker.t = t;
    marker.text = new QGraphicsSimpleTextItem(label, chart());
    marker.text->setFont(chartFont(8));
    marker.text->setBrush(kMarker);
    marker.text->setZValue(21);
    marker.text->setVisible(false);
    // Kept sorted by time whatever the call order, for the label placement below.
    const auto at = std::upper_bound(m_markers.begin(), m_markers.end(), t,
                                     [](double v, const Marker& m) { return v < m.t; });
    m_markers.insert(at, marker);
    if (m_hasNow) {
        positionMarkers();
    }
}

void LiveChart::positionMarkers() {
    // The axis is fixed at -window..0, so the mapping is linear in the plot area: the same as
    // chart()->mapToPosition() but needs no series. All lines go into one path item (one paint
    // call, one geometry change per frame however many markers), snapped to pixel centres so
    // a 1 px line stays crisp. Newest first: where labels would collide the newest keeps its
    // label and older ones show only their line.
    const QRectF plot = chart()->plotArea();
    QPainterPath lines;
    qreal freeRight = plot.right(); // labels must end left of here
    for (auto it = m_markers.rbegin(); it != m_markers.rend(); ++it) {
        const Marker& marker = *it;
        const double x = marker.t - m_now;
        if (!m_hasNow || x < -m_window || x > 0.0 || plot.width() <= 0) {
            marker.text->setVisible(false);
            continue;
        }
        const qreal px = std::floor(plot.left() + (x + m_window) / m_window * plot.width()) + 0.5;
        lines.moveTo(px, plot.top());
        lines.lineTo(px, plot.bottom());
        // Label right of the line, or left of it where it would leave the plot.
        const qreal width = marker.text->boundingRect().width();
        qreal tx = px + 3;
        if (tx + width > freeRight) {
            tx = px - 3 - width;
        }
        const bool fits = tx + width <= freeRight && tx >= plot.left();
        if (fits) {
            marker.text->setPos(std::round(tx), plot.top() + 1);
            freeRight = tx - 6;
        }
        marker.text->setVisible(fits);
    }
    if (lines != m_markerLines->path()) {
        m_markerLines->setPath(lines);
    }
}

void LiveChart::setWindow(double seconds) {
    m_window = std::max(1.0, seconds);
    const bool minutes = m_window >= kMinutesFrom;
    const double unit = minutes ? 60.0 : 1.0;
    const double span = m_window / unit;
    static constexpr std::array<double, 16> kSteps{1,  2,   3,   5,   10,  15,   20,   30,
                                                   60, 120, 180, 300, 600, 1200, 1800, 3600};
    double step = kSteps.back();
    for (double candidate : kSteps) {
        if (span / candidate <= m_labelSlots + 1e-9) {
            step = candidate;
            break;
        }
    }

    const QStringList old = m_axisX->categoriesLabels();
    for (const QString& label : old) {
        m_axisX->remove(label);
    }
    // Category boundaries carry the labels (positive "ago" values, "now" at 0) and the grid.
    m_axisX->setStartValue(-m_window - step * unit);
    const int count = static_cast<int>(std::floor(span / step + 1e-9));
    for (int k = count; k >= 0; --k) {
        const QString label = k == 0 ? tr("now") : QString::number(k * step);
        m_axisX->append(label, -k * step * unit);
    }
    m_axisX->setRange(-m_window, 0.0);
    m_axisX->setTitleText(minutes ? tr("minutes ago") : tr("seconds ago"));

    for (const Threshold& threshold : m_thresholds) {
        updateThresholdLine(threshold);
    }
    if (m_hasNow) {
        redraw(m_now);
    }
}

void LiveChart::resizeEvent(QResizeEvent* event) {
    QChartView::resizeEvent(event);
    // About 50 px per label ("300", "now" and the gap between them); the y axis and margins
    // take ~70 px of the width.
    const int plotWidth = event->size().width() - 70;
    const int labels = std::clamp(plotWidth / 50, 2, 6);
    if (labels != m_labelSlots) {
        m_labelSlots = labels;
        setWindow(m_window);
    }
}

void LiveChart::setPaused(bool paused) {
    m_paused = paused;
}

void LiveChart::refresh(double now) {
    if (!m_paused) {
        redraw(now);
    }
}

int LiveChart::bucketCount() const {
    const int width = static_cast<int>(chart()->plotArea().width());
    // Two buckets fewer than pixels: the buckets are aligned to absolute time, so the window
    // straddles one more of them, and the newest sample may add one point; 2 points per bucket
    // plus that one stay within 2 per pixel.
    return width > 2 ? width - 2 : kFallbackBuckets;
}

void LiveChart::redraw(double now) {
    QElapsedTimer timer;
    timer.start();
    m_now = now;
    m_hasNow = true;

    // Bucket edges on multiples of the bucket width in session time: a sample stays in the
    // same bucket from frame to frame, so the min/max envelope does not flicker as time moves.
    const int buckets = bucketCount();
    const double width = m_window / buckets;
    const double from = std::floor((now - m_window) / width) * width;
    const double to = from + (buckets + 1) * width;
    double maxValue = 0.0;
    for (Series& s : m_series) {
        double seriesMax = std::numeric_limits<double>::quiet_NaN();
        s.ring.decimate(from, to, buckets + 1, -now, s.points, &seriesMax);
        if (seriesMax > maxValue) {
            maxValue = seriesMax;
        }
        // The newest sample ends the line even when it is neither its bucket's min nor max,
        // so the right edge always shows the current value.
        const double lastT = s.ring.lastTime();
        const double lastV = s.ring.lastValue();
        if (!s.points.isEmpty() && !std::isnan(lastV) && lastT <= to &&
            s.points.last().x() < lastT - now) {
            s.points.append(QPointF(lastT - now, lastV));
        }
        s.line->replace(s.points);
    }
    m_dataMax = maxValue;
    updateYRange(maxValue);
    positionMarkers();
    m_lastRefreshMs = static_cast<double>(timer.nsecsElapsed()) / 1e6;
}

void LiveChart::updateYRange(double maxValue) {
    for (const Threshold& threshold : m_thresholds) {
        maxValue = std::max(maxValue, threshold.value);
    }
    const double target = std::max(maxValue * 1.1, 1.0);
    const double step = niceStep(target / m_yIntervals);
    const double top = std::ceil(target / step - 1e-9) * step;
    if (top == m_yTop) {
        return; // unchanged: no relayout of the labels
    }
    m_yTop = top;
    m_axisY->setRange(0.0, top);
    m_axisY->setTickCount(static_cast<int>(std::lround(top / step)) + 1);
    m_axisY->setLabelFormat(QStringLiteral("%.") + QString::number(decimalsFor(step)) +
                            QStringLiteral("f"));
}

int LiveChart::pointCount(int series) const {
    return validSeries(series) ? static_cast<int>(m_series[series].line->count()) : 0;
}

std::size_t LiveChart::sampleCount(int series) const {
    return validSeries(series) ? m_series[series].ring.size() : 0;
}

void LiveChart::clear() {
    for (Series& s : m_series) {
        s.ring.clear();
        s.points.clear();
        s.line->clear();
    }
    for (Marker& marker : m_markers) {
        delete marker.text;
    }
    m_markers.clear();
    positionMarkers();
    m_dataMax = 0.0;
    updateYRange(0.0);
}

QLineSeries* LiveChart::lineSeries(int series) const {
    return validSeries(series) ? m_series[series].line : nullptr;
}

QValueAxis* LiveChart::axisX() const {
    return m_axisX;
}

bool LiveChart::validSeries(int series) const {
    const bool valid = series >= 0 && series < seriesCount();
    if (!valid) {
        qWarning("LiveChart: no series %d", series);
    }
    return valid;
}

} // namespace sluice
