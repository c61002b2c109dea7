#include "ui/gateway/overheadview.h"

#include "ui/charts/livechart.h"

#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace sluice {

OverheadView::OverheadView(QWidget* parent)
    : QWidget(parent) {
    setObjectName(QStringLiteral("overheadView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_summary = new QLabel(tr("No request through the gateway yet."), this);
    m_summary->setObjectName(QStringLiteral("overheadSummary"));
    m_summary->setContentsMargins(6, 4, 6, 0);
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);
    m_chart = new LiveChart(tr("Gateway added latency"), tr("ms"), this);
    m_chart->addSeries(tr("p50"), QColor(0x43, 0xa0, 0x47));
    m_chart->addSeries(tr("p99"), QColor(0xe5, 0x39, 0x35));
    m_chart->setWindow(300);
    m_chart->setMinimumHeight(120);
    layout->addWidget(m_chart, 1);
    m_clock.start();
}

QString OverheadView::summary() const {
    return m_summary->text();
}

void OverheadView::clear() {
    m_chart->clear();
    m_summary->setText(tr("No request through the gateway yet."));
    m_clock.restart();
}

void OverheadView::setStats(const GatewayStats& stats) {
    if (stats.overheadCount <= 0) {
        return;
    }
    const double t = static_cast<double>(m_clock.elapsed()) / 1000.0;
    m_chart->append(P50, t, stats.overheadP50Ms);
    m_chart->append(P99, t, stats.overheadP99Ms);
    m_chart->refresh(t);
    const QLocale locale;
    m_summary->setText(
        (stats.overheadRecent
             ? tr("The gateway adds %1 ms at the median and %2 ms at p99 to a request, outside "
                  "its queue and the upstream (%3 requests in the last 10 s).")
             : tr("The gateway adds %1 ms at the median and %2 ms at p99 to a request, outside "
                  "its queue and the upstream (%3 requests since it started)."))
            .arg(locale.toString(stats.overheadP50Ms, 'f', 2),
                 locale.toString(stats.overheadP99Ms, 'f', 2),
                 locale.toString(stats.overheadCount)));
}

} // namespace sluice
