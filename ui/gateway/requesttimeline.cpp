#include "ui/gateway/requesttimeline.h"

#include <QLocale>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace sluice {

namespace {

QColor outcomeColour(const QString& outcome) {
    if (outcome == QLatin1String("success")) {
        return {0x43, 0xa0, 0x47};
    }
    if (outcome == QLatin1String("rate_limited") || outcome == QLatin1String("overloaded")) {
        return {0xfb, 0x8c, 0x00};
    }
    return {0xe5, 0x39, 0x35};
}

} // namespace

RequestTimeline::RequestTimeline(QWidget* parent)
    : QWidget(parent) {
    setObjectName(QStringLiteral("requestTimeline"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void RequestTimeline::setDetail(const GatewayRequestDetail& detail, const Positions& positions) {
    m_detail = detail;
    m_positions = positions;
    update();
}

void RequestTimeline::clear() {
    m_detail = {};
    m_positions.clear();
    update();
}

void RequestTimeline::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().base());
    if (m_detail.id == 0) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("Select a request to see its timeline."));
        return;
    }
    const GatewayRequestDetail& d = m_detail;
    double end = d.totalMs >= 0 ? d.totalMs : d.ageMs;
    for (const GatewayAttemptRow& a : d.attemptLog) {
        end = std::max(end, a.endedMs);
    }
    end = std::max(end, 1.0);
    const QRect area = rect().adjusted(12, 8, -12, -26);
    auto x = [&](double ms) {
        return area.left() + static_cast<int>(area.width() * std::clamp(ms / end, 0.0, 1.0));
    };
    const QLocale locale;
    // Axis.
    p.setPen(palette().color(QPalette::Mid));
    p.drawLine(area.left(), area.bottom(), area.right(), area.bottom());
    for (int i = 0; i <= 4; ++i) {
        const double ms = end * i / 4;
        const int px = x(ms);
        p.drawLine(px, area.bottom(), px, area.bottom() + 4);
        const QString label = tr("%1 ms").arg(locale.toString(ms, 'f', 0));
        const int w = p.fontMetrics().horizontalAdvance(label);
        p.drawText(std::clamp(px - w / 2, 0, std::max(0, width() - w)), area.bottom() + 18, label);
    }
    const int barTop = area.top() + area.height() / 3;
    const int barHeight = area.height() / 3;
    // Queued: from arrival to the first attempt (or now), with its place over time.
    const double queued = d.queueMs >= 0 ? d.queueMs : (d.ended ? end : d.ageMs);
    if (queued > 0) {
        const QRect q(x(0), barTop, std::max(1, x(queued) - x(0)), barHeight);
        p.fillRect(q, QColor(0x8e, 0x24, 0xaa, 60));
        p.setPen(QColor(0x8e, 0x24, 0xaa));
        p.drawRect(q);
        qint64 most = 0;
        for (const auto& [t, ahead] : m_positions) {
            most = std::max(most, ahead);
        }
        if (most > 0 && m_positions.size() > 1) {
            QPainterPath path;
            bool first = true;
            for (const auto& [t, ahead] : m_positions) {
                const double y = area.top() + (1.0 - static_cast<double>(ahead) / most) *
                                                  (barTop + barHeight - area.top());
                if (first) {
                    path.moveTo(x(t), y);
                    first = false;
                } else {
                    path.lineTo(x(t), path.currentPosition().y());
                    path.lineTo(x(t), y);
                }
            }
            p.setPen(QPen(QColor(0x8e, 0x24, 0xaa), 1.5));
            p.drawPath(path);
            p.drawText(x(0) + 3, area.top() + 10,
                       tr("%1 ahead at first").arg(locale.toString(m_positions.first().second)));
        }
    }
    // Attempts.
    for (const GatewayAttemptRow& a : d.attemptLog) {
        const QRect bar(x(a.sentMs), barTop, std::max(2, x(a.endedMs) - x(a.sentMs)), barHeight);
        p.fillRect(bar, outcomeColour(a.outcome));
        if (a.status > 0 && bar.width() > 30) {
            p.setPen(Qt::white);
            p.drawText(bar, Qt::AlignCenter, QString::number(a.status));
        }
    }
    if (d.attemptLog.isEmpty() && d.queueMs >= 0) {
        // Live, sent: the attempt so far.
        const QRect bar(x(d.queueMs), barTop, std::max(2, x(end) - x(d.queueMs)), barHeight);
        p.fillRect(bar, QColor(0x42, 0x85, 0xf4, 160));
    }
    // First token and the end.
    if (d.firstTokenMs >= 0) {
        p.setPen(QPen(QColor(0x15, 0x65, 0xc0), 2));
        p.drawLine(x(d.firstTokenMs), barTop - 6, x(d.firstTokenMs), barTop + barHeight + 6);
    }
    if (d.ended) {
        p.setPen(QPen(palette().color(QPalette::Text), 2));
        p.drawLine(x(end), barTop - 8, x(end), barTop + barHeight + 8);
    }
}

} // namespace sluice
