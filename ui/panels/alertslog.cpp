#include "ui/panels/alertslog.h"

#include <QDateTime>
#include <QHeaderView>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace sluice {

namespace {
enum Column { Time, RunTime, Kind, Severity, What, Value, ColumnCount };
constexpr int kMaxRows = 5000;
} // namespace

AlertsLog::AlertsLog(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(QStringLiteral("alertsTree"));
    m_tree->setRootIsDecorated(false);
    m_tree->setUniformRowHeights(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->setHeaderLabels(
        {tr("Time"), tr("Run (s)"), tr("Kind"), tr("Severity"), tr("What"), tr("Value")});
    m_tree->header()->setSectionResizeMode(What, QHeaderView::Stretch);
    m_tree->header()->setStretchLastSection(false);
    m_tree->setToolTip(tr("Alert rules raise when their value stays past the threshold for 5 s "
                          "and clear when it is back; changes made during a run are listed "
                          "too."));
    layout->addWidget(m_tree);
}

void AlertsLog::addAlert(const AlertEvent& a) {
    auto* item = new QTreeWidgetItem;
    item->setText(Time, QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss")));
    item->setText(RunTime, QString::number(toSeconds(a.at), 'f', 1));
    item->setText(Kind, a.raised ? tr("alert raised") : tr("alert cleared"));
    const bool critical = a.severity == AlertRule::Severity::Critical;
    item->setText(Severity, critical ? tr("critical") : tr("warning"));
    item->setText(What, QStringLiteral("%1: %2").arg(a.rule, a.text));
    const bool ratio = a.rule.startsWith(QLatin1String("concurrency")) ||
                       a.rule.startsWith(QLatin1String("reject"));
    item->setText(Value, ratio ? QString::number(a.value * 100, 'f', 1) + QLatin1Char('%')
                               : QString::number(a.value, 'f', 1));
    item->setTextAlignment(Value, Qt::AlignRight | Qt::AlignVCenter);
    if (a.raised) {
        const QColor colour = critical ? QColor(0xd0, 0x30, 0x30) : QColor(0xb0, 0x78, 0x00);
        for (int c = 0; c < ColumnCount; ++c) {
            item->setForeground(c, colour);
        }
        ++m_alerts;
    }
    m_tree->insertTopLevelItem(0, item);
    while (m_tree->topLevelItemCount() > kMaxRows) {
        delete m_tree->takeTopLevelItem(m_tree->topLevelItemCount() - 1);
    }
    if (a.raised && !isVisible()) {
        Q_EMIT unseenChanged(m_alerts);
    }
}

void AlertsLog::addEvent(const BenchEvent& e) {
    if (e.kind == QLatin1String("alert")) {
        return; // listed by addAlert, with its value
    }
    auto* item = new QTreeWidgetItem;
    item->setText(Time, QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss")));
    item->setText(RunTime, QString::number(e.t, 'f', 1));
    item->setText(Kind, e.kind);
    item->setText(What, e.text);
    item->setForeground(Kind, QColor(0x55, 0x55, 0x55));
    m_tree->insertTopLevelItem(0, item);
    while (m_tree->topLevelItemCount() > kMaxRows) {
        delete m_tree->takeTopLevelItem(m_tree->topLevelItemCount() - 1);
    }
}

void AlertsLog::clear() {
    m_tree->clear();
    m_alerts = 0;
    Q_EMIT unseenChanged(0);
}

} // namespace sluice
