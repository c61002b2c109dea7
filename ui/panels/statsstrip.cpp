#include "ui/panels/statsstrip.h"

#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QResizeEvent>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace sluice {

namespace {

constexpr int kNoCap = 100000; // the engine's "no cap" (TrafficLimits::concurrency())
constexpr int kGap = 6;        // between tiles: room for the rule between them

const QColor kRed(0xc6, 0x28, 0x28);
const QColor kAmber(0xb3, 0x6b, 0x00);

QString dash() {
    return QStringLiteral("–");
}

QString rate(double perSecond) {
    return QString::number(perSecond, 'f', perSecond < 10 ? 1 : 0);
}

} // namespace

StatsStrip::StatsStrip(QWidget* parent)
    : QWidget(parent) {
    struct Spec {
        const char* name;
        QString caption;
        QString tip;
        // A wide value and detail, for the tile's minimum width.
        QString sampleValue;
        QString sampleDetail;
    };
    const QLocale locale;
    const QString wideCount = locale.toString(88888);
    const QString wideShare = tr("%1 (%2%)").arg(wideCount, locale.toString(88.8, 'f', 1));
    const std::array<Spec, TileCount> specs{{
        {"inFlightTile",
         tr("In flight / limit"),
         tr("Requests sent and not yet answered, against the concurrency limit (∞ = no cap). "
            "Amber: at the limit with requests waiting."),
         tr("%1 / %2").arg(888).arg(888),
         {}},
        {"queuedTile", tr("Queued"),
         tr("Requests waiting in the engine's queue for a concurrency slot, and of them how many "
            "wait for rate budget (RPM/TPM or the server's limits)."),
         QStringLiteral("8888"), tr("%1 for budget").arg(888)},
        {"processedTile",
         tr("Processed"),
         tr("Requests that have ended in any way: succeeded, failed, rejected, timed out or "
            "cancelled."),
         locale.toString(888888),
         {}},
        {"rejectedTile",
         tr("Rejected"),
         tr("Requests refused by the engine (queue full) or timed out before they could be "
            "sent, and their share of all submitted. Amber above 1%, red above 5%."),
         wideShare,
         {}},
        {"errorsTile",
         tr("Failed"),
         tr("Requests that failed (HTTP errors, network errors, circuit-breaker fast failures), "
            "and their share of the requests that ended. Amber above 1%, red above 5% (the "
            "errors-critical alert). The Errors tab lists them by reason."),
         wideShare,
         {}},
        {"rateLimitedTile",
         tr("429s"),
         tr("Attempts the server answered 429 (rate limited), and their share of all attempts. "
            "Amber above 5% (the rate-limited-warning alert)."),
         wideShare,
         {}},
        {"rpsTile", tr("RPS"),
         tr("Successful responses per second (last second), with the requests sent per "
            "second, retries included."),
         QStringLiteral("888.8"), tr("sent %1").arg(QStringLiteral("888.8"))},
        {"p95Tile", tr("p95 e2e / total"),
         tr("95th percentile over the last 10 s (seconds above 10 s) of e2e latency (request "
            "sent to its last byte: what the server took) and, as the detail, of total latency "
            "(submitted to the end: our queue, retries and back-off included)."),
         tr("%1 ms").arg(8888), tr("total %1").arg(tr("%1 s").arg(QStringLiteral("88.8")))},
        {"breakerTile",
         tr("Breaker"),
         tr("The circuit breaker: closed (sending), OPEN (refusing every request after too many "
            "failures) or half-open (letting probes through)."),
         tr("half-open"),
         {}},
        {"nextAllowedTile",
         tr("Next allowed in"),
         tr("While every rate budget is spent: how long until the next request may be sent. "
            "\"now\" when requests may go."),
         tr("%1 s").arg(QStringLiteral("88.8")),
         {}},
        {"clientTile",
         tr("Client CPU / memory"),
         tr("Sluice's own process: CPU (100% = one full core) and resident memory. When the "
            "client saturates, its latency figures are no longer the server's."),
         tr("%1% / %2 MB").arg(888).arg(8888),
         {}},
    }};

    m_grid = new QGridLayout(this);
    m_grid->setContentsMargins(4, 2, 4, 2);
    m_grid->setHorizontalSpacing(kGap);
    m_grid->setVerticalSpacing(2);
    // The strip decides its rows from its width (relayout()); the grid must not force the
    // width of one long row onto the window.
    m_grid->setSizeConstraint(QLayout::SetNoConstraint);

    QFont captionFont = font();
    captionFont.setPointSizeF(captionFont.pointSizeF() * 0.85);
    QFont valueFont = font();
    valueFont.setPointSizeF(valueFont.pointSizeF() * 1.3);
    valueFont.setBold(true);
    QFont detailFont = captionFont;
    QPalette grey = palette();
    grey.setColor(QPalette::WindowText, palette().color(QPalette::PlaceholderText));

    for (int i = 0; i < TileCount; ++i) {
        const Spec& spec = specs[i];
        const QString name = QLatin1String(spec.name);
        auto* frame = new QFrame(this);
        frame->setObjectName(name);
        frame->setToolTip(spec.tip);
        frame->setAccessibleName(spec.caption);
        auto* tile = new QVBoxLayout(frame);
        tile->setContentsMargins(6, 1, 6, 1);
        tile->setSpacing(0);
        auto* caption = new QLabel(spec.caption, frame);
        caption->setObjectName(name + QStringLiteral("Caption"));
        caption->setFont(captionFont);
        caption->setPalette(grey);
        tile->addWidget(caption);
        auto* values = new QHBoxLayout;
        values->setSpacing(4);
        auto* value = new QLabel(dash(), frame);
        value->setObjectName(name + QStringLiteral("Value"));
        value->setFont(valueFont);
        value->setProperty("level", QStringLiteral("normal"));
        values->addWidget(value, 0, Qt::AlignBaseline);
        auto* detail = new QLabel(frame);
        detail->setObjectName(name + QStringLiteral("Detail"));
        detail->setFont(detailFont);
        detail->setPalette(grey);
        detail->hide();
        values->addWidget(detail, 0, Qt::AlignBaseline);
        values->addStretch(1);
        tile->addLayout(values);
        // Width from the caption and a wide value, not from the current text: tiles must not
        // jostle at every snapshot as numbers gain and lose digits, nor cut them.
        const int sampleWidth =
            QFontMetrics(valueFont).horizontalAdvance(spec.sampleValue) +
            (spec.sampleDetail.isEmpty()
                 ? 0
                 : values->spacing() +
                       QFontMetrics(detailFont).horizontalAdvance(spec.sampleDetail));
        const int width =
            std::max(QFontMetrics(captionFont).horizontalAdvance(spec.caption), sampleWidth) +
            tile->contentsMargins().left() + tile->contentsMargins().right() + 2;
        frame->setMinimumWidth(width);
        frame->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
        m_tiles[i] = TileWidgets{frame, value, detail, Level::Normal, Level::Normal, false, width};
    }

    m_saturated = new QLabel(tr("Client saturated"), this);
    m_saturated->setObjectName(QStringLiteral("saturatedLabel"));
    m_saturated->setToolTip(tr("Sluice itself is the bottleneck. This machine's CPU is nearly used "
                               "up, by Sluice or by others: "
                               "requests leave late and latencies include the client's own "
                               "delay. Lower the load or run the client elsewhere."));
    // Two lines, so the banner takes little room from the tiles when it appears.
    QFont bannerFont = captionFont;
    bannerFont.setBold(true);
    m_saturated->setFont(bannerFont);
    m_saturated->setWordWrap(true);
    m_saturated->setFixedWidth(QFontMetrics(bannerFont).horizontalAdvance(m_saturated->text()) / 2 +
                               28);
    m_saturated->setStyleSheet(QStringLiteral("QLabel { background: #f2b200; color: #1a1a1a; "
                                              "border-radius: 3px; padding: 2px 6px; }"));
    m_saturated->hide();

    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    relayout(std::numeric_limits<int>::max() / 2);
}

QSize StatsStrip::minimumSizeHint() const {
    // One tile per row at the narrowest: the strip never holds the window wider.
    int widest = 0;
    for (const TileWidgets& t : m_tiles) {
        widest = std::max(widest, t.width);
    }
    return {widest + 8, sizeHint().height()};
}

void StatsStrip::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    relayout(event->size().width());
}

void StatsStrip::paintEvent(QPaintEvent* event) {
    QWidget::paintEvent(event);
    // A thin rule left of every tile that does not start a row.
    QPainter painter(this);
    painter.setPen(palette().color(QPalette::Mid));
    for (int i = 0; i < TileCount; ++i) {
        if (m_perRow > 0 && i % m_perRow != 0) {
            const QRect r = m_tiles[i].frame->geometry();
            const int x = r.left() - kGap / 2 - 1;
            painter.drawLine(x, r.top() + 3, x, r.bottom() - 3);
        }
    }
}

void StatsStrip::relayout(int width) {
    const QMargins m = m_grid->contentsMargins();
    int available = width - m.left() - m.right();
    if (m_saturated->isVisibleTo(this)) {
        available -= m_saturated->width() + m_grid->horizontalSpacing();
    }
    // The fewest rows whose columns (each as wide as its widest tile) fit.
    int perRow = 1;
    for (int rows = 1; rows <= TileCount; ++rows) {
        const int candidate = (TileCount + rows - 1) / rows;
        int total = (candidate - 1) * m_grid->horizontalSpacing();
        for (int column = 0; column < candidate; ++column) {
            int columnWidth = 0;
            for (int i = column; i < TileCount; i += candidate) {
                columnWidth = std::max(columnWidth, m_tiles[i].width);
            }
            total += columnWidth;
        }
        if (total <= available) {
            perRow = candidate;
            break;
        }
    }
    if (perRow == m_perRow) {
        return;
    }
    m_perRow = perRow;
    for (const TileWidgets& t : m_tiles) {
        m_grid->removeWidget(t.frame);
    }
    m_grid->removeWidget(m_saturated);
    for (int column = 0; column < m_grid->columnCount(); ++column) {
        m_grid->setColumnStretch(column, 0);
    }
    for (int i = 0; i < TileCount; ++i) {
        m_grid->addWidget(m_tiles[i].frame, i / perRow, i % perRow);
    }
    for (int column = 0; column < perRow; ++column) {
        m_grid->setColumnStretch(column, 1);
    }
    const int rows = (TileCount + perRow - 1) / perRow;
    m_grid->addWidget(m_saturated, 0, perRow, rows, 1, Qt::AlignVCenter);
    updateGeometry();
    update();
}

void StatsStrip::setSnapshot(const EngineSnapshot& s) {
    if (m_idle) {
        m_idle = false;
        for (TileWidgets& t : m_tiles) {
            paintLevel(t, t.level, false);
        }
    }
    const QLocale locale;
    const auto count = [&locale](std::int64_t n) { return locale.toString(n); };

    const bool capped = s.limit < kNoCap;
    set(InFlight,
        tr("%1 / %2").arg(count(s.inFlight), capped ? count(s.limit) : QString(QChar(0x221E))), {},
        capped && s.inFlight >= s.limit && s.queued > 0 ? Level::Warning : Level::Normal);

    set(Queued, count(s.queued),
        s.waitingBudget > 0 ? tr("%1 for budget").arg(count(s.waitingBudget)) : QString());

    const std::int64_t ended = s.done + s.failed + s.rejected + s.timedOut + s.cancelled;
    set(Processed, count(ended));

    // A count with its share: amber above `warning` percent, red above `critical`.
    const auto share = [&](Tile tile, std::int64_t n, std::int64_t of, double warning,
                           double critical) {
        if (of > 0 && n > 0) {
            const double percent = 100.0 * static_cast<double>(n) / static_cast<double>(of);
            set(tile, tr("%1 (%2%)").arg(count(n), locale.toString(percent, 'f', 1)), {},
                percent > critical  ? Level::Critical
                : percent > warning ? Level::Warning
                                    : Level::Normal);
        } else {
            set(tile, count(n));
        }
    };
    share(Rejected, s.rejected + s.timedOut, s.submitted, 1, 5);
    share(Errors, s.failed, s.done + s.failed + s.rejected + s.timedOut, 1, 5);
    share(RateLimited, s.rateLimited, s.attempts, 5, 100);

    set(Rps, rate(s.okPerSecond), tr("sent %1").arg(rate(s.sentPerSecond)));

    const auto duration = [](Nanos d) {
        const double ms = toMillis(d);
        return ms >= 10000 ? tr("%1 s").arg(QString::number(ms / 1000, 'f', 1))
                           : tr("%1 ms").arg(std::llround(ms));
    };
    if (s.e2eP95.count() > 0 || s.totalP95.count() > 0) {
        set(P95, s.e2eP95.count() > 0 ? duration(s.e2eP95) : dash(),
            s.totalP95.count() > 0 ? tr("total %1").arg(duration(s.totalP95)) : QString());
    } else {
        set(P95, dash());
    }

    switch (s.breaker) {
    case CircuitBreaker::State::Closed:
        set(Breaker, tr("closed"));
        break;
    case CircuitBreaker::State::Open:
        set(Breaker, tr("OPEN"), {}, Level::Critical);
        break;
    case CircuitBreaker::State::HalfOpen:
        set(Breaker, tr("half-open"), {}, Level::Warning);
        break;
    }

    if (s.nextAllowedIn.count() > 0) {
        const double ms = toMillis(s.nextAllowedIn);
        set(NextAllowed,
            ms >= 1000 ? tr("%1 s").arg(QString::number(ms / 1000, 'f', 1))
                       : tr("%1 ms").arg(std::llround(ms)),
            {}, Level::Warning);
    } else {
        set(NextAllowed, tr("now"));
    }

    const ResourceSample& r = s.resources;
    if (r.valid || r.processRssBytes > 0) {
        set(Client,
            tr("%1% / %2 MB")
                .arg(std::llround(r.processCpu * 100))
                .arg(std::llround(static_cast<double>(r.processRssBytes) / (1024.0 * 1024.0))),
            {}, s.clientSaturated ? Level::Warning : Level::Normal);
    } else {
        set(Client, dash());
    }
    if (m_saturated->isVisibleTo(this) != s.clientSaturated) {
        m_saturated->setVisible(s.clientSaturated);
        m_perRow = 0; // the banner takes width from the tiles: lay them out again
        relayout(width());
    }
}

void StatsStrip::setGatewaySubject(bool gateway) {
    auto* caption = findChild<QLabel*>(QStringLiteral("clientTileCaption"));
    if (caption) {
        caption->setText(gateway ? tr("Gateway CPU / memory") : tr("Client CPU / memory"));
    }
    m_saturated->setText(gateway ? tr("Gateway CPU-bound") : tr("Client saturated"));
    m_saturated->setToolTip(
        gateway ? tr("This machine's CPU is nearly used up, by the gateway or by others: the "
                     "gateway's added latency (Overhead) grows. Move other work off this "
                     "machine or run the gateway elsewhere.")
                : tr("Sluice itself is the bottleneck. This machine's CPU is nearly used up, by "
                     "Sluice or by others: requests leave late and latencies include the "
                     "client's own delay. Lower the load or run the client elsewhere."));
}

void StatsStrip::clear() {
    m_idle = false;
    for (int i = 0; i < TileCount; ++i) {
        m_tiles[i].alert = Level::Normal;
        paintLevel(m_tiles[i], m_tiles[i].level, false);
        set(static_cast<Tile>(i), dash());
    }
    m_saturated->hide();
    relayout(width());
}

void StatsStrip::setIdle() {
    for (int i = 0; i < TileCount; ++i) {
        TileWidgets& t = m_tiles[i];
        t.alert = Level::Normal;
        const bool total = i == Processed || i == Rejected || i == Errors || i == RateLimited;
        if (total) {
            set(static_cast<Tile>(i), t.value->text(), t.detail->text());
        } else {
            set(static_cast<Tile>(i), dash());
        }
    }
    m_idle = true;
    for (TileWidgets& t : m_tiles) {
        paintLevel(t, t.level, true);
    }
    m_saturated->hide();
    relayout(width());
}

void StatsStrip::applyAlert(const QString& rule, bool raised, bool critical) {
    Tile tile = TileCount;
    if (rule == QLatin1String("errors-critical")) {
        tile = Errors;
    } else if (rule == QLatin1String("rate-limited-warning")) {
        tile = RateLimited;
    } else if (rule == QLatin1String("breaker-open")) {
        tile = Breaker;
    }
    if (tile == TileCount) {
        return;
    }
    TileWidgets& t = m_tiles[tile];
    t.alert = !raised ? Level::Normal : critical ? Level::Critical : Level::Warning;
    set(tile, t.value->text(), t.detail->text(), t.level);
}

QString StatsStrip::valueText(Tile tile) const {
    return m_tiles[tile].value->text();
}

QString StatsStrip::detailText(Tile tile) const {
    return m_tiles[tile].detail->text();
}

void StatsStrip::setUnknown(Tile tile) {
    set(tile, dash());
}

void StatsStrip::set(Tile tile, const QString& value, const QString& detail, Level level) {
    TileWidgets& t = m_tiles[tile];
    t.value->setText(value);
    t.detail->setText(detail);
    t.detail->setHidden(detail.isEmpty());
    t.frame->setAccessibleDescription(detail.isEmpty() ? value : value + QLatin1Char(' ') + detail);
    // A raised alert holds the tile at its level even when this sample alone looks fine.
    const Level shown = static_cast<int>(t.alert) > static_cast<int>(level) ? t.alert : level;
    if (shown == t.level) {
        return;
    }
    paintLevel(t, shown, m_idle);
}

void StatsStrip::paintLevel(TileWidgets& t, Level level, bool greyed) {
    if (level == t.level && greyed == t.greyed && t.value->property("level").isValid()) {
        return;
    }
    t.level = level;
    t.greyed = greyed;
    QPalette p = palette();
    if (greyed) {
        p.setColor(QPalette::WindowText, palette().color(QPalette::PlaceholderText));
    }
    switch (level) {
    case Level::Normal:
        t.value->setProperty("level", QStringLiteral("normal"));
        break;
    case Level::Warning:
        if (!greyed) {
            p.setColor(QPalette::WindowText, kAmber);
        }
        t.value->setProperty("level", QStringLiteral("warning"));
        break;
    case Level::Critical:
        if (!greyed) {
            p.setColor(QPalette::WindowText, kRed);
        }
        t.value->setProperty("level", QStringLiteral("critical"));
        break;
    }
    t.value->setPalette(p);
}

} // namespace sluice
