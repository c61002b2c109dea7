#include "ui/panels/chartspanel.h"

#include "ui/charts/livechart.h"

#include <QChart>
#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegend>
#include <QPainter>
#include <QResizeEvent>
#include <QScrollArea>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace sluice {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kUnlimited = 100000; // the engine's "no cap"
// Below this a chart cuts its axis labels and legend: the panel scrolls instead.
constexpr int kChartMinWidth = 280;
constexpr int kChartMinHeight = 185;

double ms(Nanos d) {
    return d.count() > 0 ? static_cast<double>(d.count()) / 1e6 : kNaN;
}

// One palette for every chart: the same quantity has the same colour everywhere.
const QColor kBlue(0x1f, 0x77, 0xb4);
const QColor kGrey(0x55, 0x55, 0x55);
const QColor kGreen(0x2c, 0xa0, 0x2c);
const QColor kOrange(0xff, 0x7f, 0x0e);
const QColor kRed(0xd6, 0x27, 0x28);
const QColor kPurple(0x94, 0x67, 0xbd);
const QColor kTeal(0x17, 0xbe, 0xcf);
const QColor kAmber(0xe0, 0xa0, 0x00);

} // namespace

ChartsPanel::ChartsPanel(QWidget* parent)
    : QWidget(parent) {
    m_clock.start();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);

    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(4, 0, 4, 0);
    bar->addWidget(new QLabel(tr("Window:"), this));
    m_windowCombo = new QComboBox(this);
    m_windowCombo->setObjectName(QStringLiteral("chartWindowCombo"));
    m_windowCombo->addItem(tr("1 min"), 60);
    m_windowCombo->addItem(tr("5 min"), 300);
    m_windowCombo->addItem(tr("15 min"), 900);
    m_windowCombo->addItem(tr("1 h"), 3600);
    m_windowCombo->setCurrentIndex(1);
    m_windowCombo->setToolTip(tr("How much history every chart shows. History is kept for an "
                                 "hour whatever you pick."));
    connect(m_windowCombo, &QComboBox::currentIndexChanged, this,
            [this] { setWindow(m_windowCombo->currentData().toDouble()); });
    bar->addWidget(m_windowCombo);
    m_pauseButton = new QToolButton(this);
    m_pauseButton->setObjectName(QStringLiteral("chartPauseButton"));
    m_pauseButton->setText(tr("Freeze"));
    m_pauseButton->setCheckable(true);
    m_pauseButton->setToolTip(tr("Freeze the charts to read them; data keeps being recorded and "
                                 "traffic is not affected."));
    connect(m_pauseButton, &QToolButton::toggled, this, &ChartsPanel::setPaused);
    bar->addWidget(m_pauseButton);
    bar->addStretch(1);
    layout->addLayout(bar);

    // The charts reflow to as many columns as their width allows (three, two or one) and
    // scroll vertically when the window is too short for them: a chart squeezed below its
    // minimum cuts its axis labels, which is worse than scrolling.
    m_scroll = new QScrollArea(this);
    m_scroll->setObjectName(QStringLiteral("chartsScroll"));
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_gridHost = new QWidget(m_scroll);
    m_grid = new QGridLayout(m_gridHost);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setSpacing(2);
    m_scroll->setWidget(m_gridHost);
    layout->addWidget(m_scroll, 1);

    auto* concurrency = new LiveChart(tr("Concurrency"), tr("requests"), this);
    concurrency->addSeries(tr("in flight"), kBlue);
    concurrency->addSeries(tr("limit"), kGrey, Qt::SolidLine);
    concurrency->addSeries(tr("80%"), kAmber, Qt::DashLine);
    concurrency->addSeries(tr("95%"), kRed, Qt::DashLine);
    auto* queue = new LiveChart(tr("Queue depth"), tr("requests"), this);
    queue->addSeries(tr("queued"), kPurple);
    queue->addSeries(tr("for budget"), kTeal);
    queue->addThresholdLine(tr("critical > 50"), 50, LiveChart::Level::Critical);
    auto* rps = new LiveChart(tr("Requests per second"), tr("req/s"), this);
    rps->addSeries(tr("sent"), kBlue);
    rps->addSeries(tr("ok"), kGreen);
    rps->addSeries(tr("429"), kOrange);
    rps->addSeries(tr("errors"), kRed);
    rps->setToolTip(tr("Attempts sent, successful answers, 429 answers and other failures per "
                       "second. Errors include requests the open circuit breaker failed at "
                       "once without sending them."));
    auto* latency = new LiveChart(tr("Latency (last 10 s)"), tr("ms"), this);
    latency->addSeries(tr("e2e p50"), kGreen);
    latency->addSeries(tr("e2e p95"), kOrange);
    latency->addSeries(tr("e2e p99"), kRed);
    latency->addSeries(tr("total p95"), kPurple);
    latency->addSeries(tr("TTFT p50"), kGreen, Qt::DashLine);
    latency->addSeries(tr("TTFT p95"), kOrange, Qt::DashLine);
    latency->setToolTip(tr("Percentiles of the requests that ended in the last 10 s. e2e: from "
                           "sending the request to its last byte (what the server took). "
                           "total: from submission to the end, our own queue, retries and "
                           "back-off included (what the caller waited). TTFT: from sending to "
                           "the first token. Queue time is total minus e2e."));
    // Six percentiles do not fit under a half-width chart: their legend goes to the side.
    latency->chart()->legend()->setAlignment(Qt::AlignRight);
    auto* tokens = new LiveChart(tr("Tokens per second"), tr("tokens/s"), this);
    tokens->addSeries(tr("output"), kBlue);
    tokens->addSeries(tr("prompt"), kGrey);
    auto* priority = new LiveChart(tr("Total p95 by priority"), tr("ms"), this);
    priority->addSeries(tr("high"), kRed);
    priority->addSeries(tr("normal"), kBlue);
    priority->addSeries(tr("low"), kGrey);
    priority->setToolTip(tr("95th percentile of total latency (submission to the end, our own "
                            "queue included) over the last 10 s for each priority class: high "
                            "(0), normal (1), low (2 and below). Priority decides the queue "
                            "order, so this is where it shows: under overload, high stays near "
                            "the service time while normal waits in the queue."));
    m_charts = {concurrency, queue, rps, latency, tokens, priority};
    const char* names[] = {"concurrencyChart", "queueChart",  "rpsChart",
                           "latencyChart",     "tokensChart", "priorityChart"};
    for (int i = 0; i < ChartCount; ++i) {
        m_charts[i]->setObjectName(QLatin1String(names[i]));
        m_charts[i]->setMinimumSize(kChartMinWidth, kChartMinHeight);
        m_charts[i]->setWindow(m_window);
    }
    reflow(3);

    m_refresh = new QTimer(this);
    m_refresh->setTimerType(Qt::CoarseTimer);
    connect(m_refresh, &QTimer::timeout, this, &ChartsPanel::refreshNext);
    m_refresh->start(100); // one chart per tick: each chart redraws twice a second
}

void ChartsPanel::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    const int width = m_scroll->viewport()->width();
    reflow(std::clamp(width / (kChartMinWidth + 40), 1, 3));
}

void ChartsPanel::reflow(int columns) {
    if (columns == m_columns) {
        return;
    }
    m_columns = columns;
    for (LiveChart* chart : m_charts) {
        m_grid->removeWidget(chart);
    }
    for (int c = 0; c < m_grid->columnCount(); ++c) {
        m_grid->setColumnStretch(c, 0);
    }
    for (int r = 0; r < m_grid->rowCount(); ++r) {
        m_grid->setRowStretch(r, 0);
    }
    if (columns >= 3) {
        // Two rows of three on a 12-column grid: what is going on (concurrency, latency,
        // total by priority) over the rates (requests, queue, tokens).
        m_grid->addWidget(m_charts[Concurrency], 0, 0, 1, 4);
        m_grid->addWidget(m_charts[Latency], 0, 4, 1, 5); // wider: its legend sits at the side
        m_grid->addWidget(m_charts[PriorityLatency], 0, 9, 1, 3);
        m_grid->addWidget(m_charts[Rps], 1, 0, 1, 4);
        m_grid->addWidget(m_charts[Queue], 1, 4, 1, 4);
        m_grid->addWidget(m_charts[Tokens], 1, 8, 1, 4);
        for (int c = 0; c < 12; ++c) {
            m_grid->setColumnStretch(c, 1);
        }
        m_grid->setRowStretch(0, 1);
        m_grid->setRowStretch(1, 1);
        return;
    }
    // Narrow: the charts an operator reads first come first.
    const Chart order[] = {Concurrency, Rps, Latency, Queue, PriorityLatency, Tokens};
    for (int i = 0; i < ChartCount; ++i) {
        m_grid->addWidget(m_charts[order[i]], i / columns, i % columns);
    }
    for (int c = 0; c < columns; ++c) {
        m_grid->setColumnStretch(c, 1);
    }
    for (int r = 0; r < (ChartCount + columns - 1) / columns; ++r) {
        m_grid->setRowStretch(r, 1);
    }
}

double ChartsPanel::now() const {
    return static_cast<double>(m_clock.nsecsElapsed()) / 1e9;
}

void ChartsPanel::addSnapshot(const EngineSnapshot& s, double at) {
    const double t = std::max(at < 0 ? now() : at, m_lastSampleAt);
    m_lastSampleAt = t;
    LiveChart* c = m_charts[Concurrency];
    c->append(InFlight, t, s.inFlight);
    const bool capped = s.limit > 0 && s.limit < kUnlimited;
    c->append(Limit, t, capped ? s.limit : kNaN);
    c->append(LimitWarning, t, capped ? 0.80 * s.limit : kNaN);
    c->append(LimitCritical, t, capped ? 0.95 * s.limit : kNaN);
    m_charts[Queue]->append(Queued, t, s.queued);
    m_charts[Queue]->append(WaitingBudget, t, s.waitingBudget);
    LiveChart* r = m_charts[Rps];
    r->append(Sent, t, s.sentPerSecond);
    r->append(Succeeded, t, s.okPerSecond);
    r->append(RateLimited, t, s.rateLimitedPerSecond);
    // The engine's error rate already leaves the 429s out, and counts breaker fast failures.
    r->append(Errors, t, s.errorsPerSecond);
    LiveChart* l = m_charts[Latency];
    l->append(E2eP50, t, ms(s.e2eP50));
    l->append(E2eP95, t, ms(s.e2eP95));
    l->append(E2eP99, t, ms(s.e2eP99));
    l->append(TotalP95, t, ms(s.totalP95));
    l->append(TtftP50, t, ms(s.ttftP50));
    l->append(TtftP95, t, ms(s.ttftP95));
    m_charts[Tokens]->append(TokensOut, t, s.tokensOutPerSecond);
    m_charts[Tokens]->append(TokensIn, t, s.tokensInPerSecond);
    std::vector<double> values;
    for (int p = 0; p < 3; ++p) {
        auto& window = m_priorityLatency[p];
        while (!window.empty() && window.front().first < t - 10) {
            window.pop_front();
        }
        values.clear();
        for (const auto& entry : window) {
            values.push_back(entry.second);
        }
        double p95 = kNaN;
        if (!values.empty()) {
            const auto rank = static_cast<std::ptrdiff_t>(
                std::ceil(0.95 * static_cast<double>(values.size())) - 1);
            std::nth_element(values.begin(), values.begin() + rank, values.end());
            p95 = values[static_cast<std::size_t>(rank)];
        }
        m_charts[PriorityLatency]->append(p, t, p95);
    }
}

void ChartsPanel::addRequestUpdates(const QList<RequestUpdate>& updates) {
    const double t = now();
    for (const RequestUpdate& u : updates) {
        if (u.state == RequestState::Done && u.total.count() > 0) {
            m_priorityLatency[std::clamp(u.priority, 0, 2)].emplace_back(t, ms(u.total));
        }
    }
}

void ChartsPanel::addMarker(const QString& label, double t) {
    const double at = t < 0 ? now() : t;
    for (LiveChart* chart : m_charts) {
        chart->addMarker(at, label);
    }
}

void ChartsPanel::applyAlert(const AlertEvent& alert) {
    using Level = LiveChart::Level;
    if (alert.raised) {
        m_raised.insert(alert.rule, static_cast<int>(alert.severity == AlertRule::Severity::Critical
                                                         ? Level::Critical
                                                         : Level::Warning));
    } else {
        m_raised.remove(alert.rule);
    }
    // Which series each rule watches.
    const auto target = [](const QString& rule) -> std::pair<int, int> {
        if (rule.startsWith(QLatin1String("concurrency"))) {
            return {Concurrency, InFlight};
        }
        if (rule.startsWith(QLatin1String("queue"))) {
            return {Queue, Queued};
        }
        if (rule.startsWith(QLatin1String("reject")) || rule.startsWith(QLatin1String("errors"))) {
            return {Rps, Errors};
        }
        if (rule.startsWith(QLatin1String("rate-limited"))) {
            return {Rps, RateLimited};
        }
        return {-1, -1};
    };
    const auto [chart, series] = target(alert.rule);
    if (chart < 0) {
        return; // breaker-open shows on the breaker tile and as the breaker's markers
    }
    // The worst alert still raised on the series: a cleared warning must not hide a critical
    // still raised, and a cleared critical falls back to a warning still raised.
    int level = static_cast<int>(Level::Normal);
    for (auto it = m_raised.cbegin(); it != m_raised.cend(); ++it) {
        if (target(it.key()) == std::pair<int, int>{chart, series}) {
            level = std::max(level, it.value());
        }
    }
    m_charts[chart]->setLevel(series, static_cast<Level>(level));
}

void ChartsPanel::clearAlerts() {
    m_raised.clear();
    for (LiveChart* chart : m_charts) {
        for (int series = 0; series < chart->seriesCount(); ++series) {
            chart->setLevel(series, LiveChart::Level::Normal);
        }
    }
}

void ChartsPanel::setWindow(double seconds) {
    m_window = seconds;
    for (LiveChart* chart : m_charts) {
        chart->setWindow(seconds);
    }
    const int index = m_windowCombo->findData(seconds);
    if (index >= 0 && index != m_windowCombo->currentIndex()) {
        m_windowCombo->setCurrentIndex(index);
    }
    refreshAll();
}

void ChartsPanel::setPaused(bool paused) {
    m_paused = paused;
    for (LiveChart* chart : m_charts) {
        chart->setPaused(paused);
    }
    if (m_pauseButton->isChecked() != paused) {
        m_pauseButton->setChecked(paused);
    }
}

void ChartsPanel::refreshNext() {
    if (!isVisible()) {
        return;
    }
    m_charts[m_next]->refresh(now());
    m_next = (m_next + 1) % ChartCount;
}

void ChartsPanel::refreshAll() {
    const double t = now();
    for (LiveChart* chart : m_charts) {
        chart->refresh(t);
    }
}

void ChartsPanel::clear() {
    for (LiveChart* chart : m_charts) {
        chart->clear();
    }
    for (auto& window : m_priorityLatency) {
        window.clear();
    }
}

QImage ChartsPanel::renderImage() {
    refreshAll();
    // Every chart, also those scrolled out of view.
    QImage image(m_gridHost->size() * devicePixelRatioF(), QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(devicePixelRatioF());
    image.fill(Qt::white);
    QPainter painter(&image);
    m_gridHost->render(&painter);
    return image;
}

} // namespace sluice
