#include "ui/panels/statsstrip.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace sluice {

namespace {

constexpr int kNoCap = 100000; // the engine's "no cap" (TrafficLimits::concurrency())

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
        const char* sampleValue;
        QString sampleDetail;
    };
    const std::array<Spec, TileCount> specs{{
        {"inFlightTile",
         tr("In flight / limit"),
         tr("Requests sent and not yet answered, against the concurrency limit (∞ = no cap). "
            "Amber: at the limit with requests waiting."),
         "888 / 888",
         {}},
        {"queuedTile", tr("Queued"),
         tr("Requests waiting in the engine's queue for a concurrency slot, and of them how many "
            "wait for rate budget (RPM/TPM or the server's limits)."),
         "8888", tr("(%1 waiting for budget)").arg(888)},
        {"processedTile",
         tr("Processed"),
         tr("Requests that have ended in any way: succeeded, failed, rejected, timed out or "
            "cancelled."),
         "888888",
         {}},
        {"rejectedTile",
         tr("Rejected"),
         tr("Requests refused by the engine (queue full, breaker open) or timed out, and their "
            "share of all submitted. Amber above 1%, red above 5%."),
         "8888 (88.8%)",
         {}},
        {"rpsTile", tr("RPS"),
         tr("Successful responses per second (last second), with the requests sent per "
            "second, retries included."),
         "888.8", tr("sent %1").arg(QStringLiteral("888.8"))},
        {"p95Tile",
         tr("p95 latency"),
         tr("95th percentile of end-to-end latency (submission to the last byte) over the last "
            "10 s (seconds above 10 s)."),
         "8888 ms",
         {}},
        {"breakerTile",
         tr("Breaker"),
         tr("The circuit breaker: closed (sending), OPEN (refusing every request after too many "
            "failures) or half-open (letting probes through)."),
         "half-open",
         {}},
        {"nextAllowedTile",
         tr("Next allowed in"),
         tr("While every rate budget is spent: how long until the next request may be sent. "
            "\"now\" when requests may go."),
         "88.8 s",
         {}},
        {"clientTile",
         tr("Client CPU / memory"),
         tr("Sluice's own process: CPU (100% = one full core) and resident memory. When the "
            "client saturates, its latency figures are no longer the server's."),
         "888% / 8888 MB",
         {}},
    }};

    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(4, 2, 4, 2);
    row->setSpacing(0);

    QFont captionFont = font();
    captionFont.setPointSizeF(captionFont.pointSizeF() * 0.85);
    QFont valueFont = font();
    valueFont.setPointSizeF(valueFont.pointSizeF() * 1.35);
    valueFont.setBold(true);
    QFont detailFont = captionFont;
    QPalette grey = palette();
    grey.setColor(QPalette::WindowText, palette().color(QPalette::PlaceholderText));

    for (int i = 0; i < TileCount; ++i) {
        if (i > 0) {
            auto* line = new QFrame(this);
            line->setFrameShape(QFrame::VLine);
            line->setFrameShadow(QFrame::Sunken);
            row->addWidget(line);
        }
        const Spec& spec = specs[i];
        const QString name = QLatin1String(spec.name);
        auto* frame = new QFrame(this);
        frame->setObjectName(name);
        frame->setToolTip(spec.tip);
        frame->setAccessibleName(spec.caption);
        auto* tile = new QVBoxLayout(frame);
        tile->setContentsMargins(6, 2, 6, 2);
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
        // jostle at every snapshot as numbers gain and lose digits.
        const int sampleWidth =
            QFontMetrics(valueFont).horizontalAdvance(QLatin1String(spec.sampleValue)) +
            values->spacing() + QFontMetrics(detailFont).horizontalAdvance(spec.sampleDetail);
        const int width =
            std::max(QFontMetrics(captionFont).horizontalAdvance(spec.caption), sampleWidth) +
            tile->contentsMargins().left() + tile->contentsMargins().right();
        frame->setMinimumWidth(std::min(width, 84)); // fits beside the side dock at 1280 px
        frame->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        row->addWidget(frame, width);
        m_tiles[i] = TileWidgets{frame, value, detail, Level::Normal};
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
    row->addSpacing(6);
    row->addWidget(m_saturated);

    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    setMaximumHeight(64);
}

void StatsStrip::setSnapshot(const EngineSnapshot& s) {
    const QLocale locale;
    const auto count = [&locale](std::int64_t n) { return locale.toString(n); };

    const bool capped = s.limit < kNoCap;
    set(InFlight,
        tr("%1 / %2").arg(count(s.inFlight), capped ? count(s.limit) : QString(QChar(0x221E))), {},
        capped && s.inFlight >= s.limit && s.queued > 0 ? Level::Warning : Level::Normal);

    set(Queued, count(s.queued),
        s.waitingBudget > 0 ? tr("(%1 waiting for budget)").arg(count(s.waitingBudget))
                            : QString());

    const std::int64_t ended = s.done + s.failed + s.rejected + s.timedOut + s.cancelled;
    set(Processed, count(ended));

    const std::int64_t refused = s.rejected + s.timedOut;
    if (s.submitted > 0 && refused > 0) {
        const double percent = 100.0 * static_cast<double>(refused) / s.submitted;
        set(Rejected, tr("%1 (%2%)").arg(count(refused), QString::number(percent, 'f', 1)), {},
            percent > 5   ? Level::Critical
            : percent > 1 ? Level::Warning
                          : Level::Normal);
    } else {
        set(Rejected, count(refused));
    }

    set(Rps, rate(s.okPerSecond), tr("sent %1").arg(rate(s.sentPerSecond)));

    const auto duration = [](Nanos d) {
        const double ms = toMillis(d);
        return ms >= 10000 ? tr("%1 s").arg(QString::number(ms / 1000, 'f', 1))
                           : tr("%1 ms").arg(std::llround(ms));
    };
    if (s.e2eP95.count() > 0) {
        set(P95, duration(s.e2eP95));
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
    m_saturated->setVisible(s.clientSaturated);
}

void StatsStrip::clear() {
    for (int i = 0; i < TileCount; ++i) {
        set(static_cast<Tile>(i), dash());
    }
    m_saturated->hide();
}

QString StatsStrip::valueText(Tile tile) const {
    return m_tiles[tile].value->text();
}

void StatsStrip::set(Tile tile, const QString& value, const QString& detail, Level level) {
    TileWidgets& t = m_tiles[tile];
    t.value->setText(value);
    t.detail->setText(detail);
    t.detail->setHidden(detail.isEmpty());
    t.frame->setAccessibleDescription(detail.isEmpty() ? value : value + QLatin1Char(' ') + detail);
    if (level == t.level) {
        return;
    }
    t.level = level;
    QPalette p = palette();
    switch (level) {
    case Level::Normal:
        t.value->setProperty("level", QStringLiteral("normal"));
        break;
    case Level::Warning:
        p.setColor(QPalette::WindowText, kAmber);
        t.value->setProperty("level", QStringLiteral("warning"));
        break;
    case Level::Critical:
        p.setColor(QPalette::WindowText, kRed);
        t.value->setProperty("level", QStringLiteral("critical"));
        break;
    }
    t.value->setPalette(p);
}

} // namespace sluice
