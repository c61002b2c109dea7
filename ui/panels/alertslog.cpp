#include "ui/panels/alertslog.h"

#include "ui/demos.h"

#include <QDateTime>
#include <QHeaderView>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace sluice {

namespace {
enum Column { Time, RunTime, Kind, Severity, What, Value, ColumnCount };
constexpr int kMaxRows = 5000;

QString breakerStateText(const QString& state) {
    if (state == QLatin1String("closed")) {
        return AlertsLog::tr("closed");
    }
    if (state == QLatin1String("open")) {
        return AlertsLog::tr("open");
    }
    if (state == QLatin1String("half-open") || state == QLatin1String("half_open")) {
        return AlertsLog::tr("half-open");
    }
    return state;
}
} // namespace

QString AlertsLog::alertText(const QString& rule, const QString& fallback) {
    if (rule == QLatin1String("concurrency-warning")) {
        return tr("in flight above 80% of the concurrency limit");
    }
    if (rule == QLatin1String("concurrency-critical")) {
        return tr("in flight above 95% of the concurrency limit");
    }
    if (rule == QLatin1String("queue-critical")) {
        return tr("more than 50 requests queued");
    }
    if (rule == QLatin1String("reject-critical")) {
        return tr("more than 5% of requests rejected");
    }
    if (rule == QLatin1String("errors-critical")) {
        return tr("more than 5% of requests failed");
    }
    if (rule == QLatin1String("rate-limited-warning")) {
        return tr("more than 5% of attempts answered 429");
    }
    if (rule == QLatin1String("breaker-open")) {
        return tr("circuit breaker open: requests fail at once");
    }
    return fallback;
}

QString AlertsLog::eventKindText(const QString& kind) {
    static const std::pair<const char*, const char*> kinds[] = {
        {"start", QT_TR_NOOP("start")},     {"end", QT_TR_NOOP("end")},
        {"rate", QT_TR_NOOP("rate")},       {"concurrency", QT_TR_NOOP("concurrency")},
        {"limits", QT_TR_NOOP("limits")},   {"mock", QT_TR_NOOP("mock")},
        {"pause", QT_TR_NOOP("pause")},     {"warmup", QT_TR_NOOP("warm-up")},
        {"breaker", QT_TR_NOOP("breaker")}, {"spike", QT_TR_NOOP("spike")},
        {"stress", QT_TR_NOOP("stress")},   {"alert", QT_TR_NOOP("alert")},
        {"agent", QT_TR_NOOP("agent")},
    };
    for (const auto& [key, text] : kinds) {
        if (kind == QLatin1String(key)) {
            return tr(text);
        }
    }
    return kind;
}

QString AlertsLog::eventText(const QString& kind, const QString& text) {
    if (kind == QLatin1String("breaker") && text.startsWith(QLatin1String("circuit "))) {
        const QStringList states = text.mid(8).split(QStringLiteral(" -> "));
        if (states.size() == 2) {
            return tr("circuit %1 → %2")
                .arg(breakerStateText(states[0]), breakerStateText(states[1]));
        }
    }
    if (kind == QLatin1String("warmup") && text == QLatin1String("warm-up over: measuring")) {
        return tr("warm-up over: measuring");
    }
    if (kind == QLatin1String("end") && text == QLatin1String("stopped")) {
        return tr("stopped");
    }
    return demoText(text); // a demo step's label, or the text as recorded
}

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
    item->setText(What, QStringLiteral("%1: %2").arg(a.rule, alertText(a.rule, a.text)));
    item->setToolTip(What, a.text);
    const bool ratio = a.rule.startsWith(QLatin1String("concurrency")) ||
                       a.rule.startsWith(QLatin1String("reject")) ||
                       a.rule.startsWith(QLatin1String("errors")) ||
                       a.rule.startsWith(QLatin1String("rate-limited"));
    if (a.rule == QLatin1String("breaker-open")) {
        item->setText(Value, QString()); // open or not: the text says it
    } else {
        item->setText(Value, ratio ? QString::number(a.value * 100, 'f', 1) + QLatin1Char('%')
                                   : QString::number(a.value, 'f', 1));
    }
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
    item->setText(Kind, eventKindText(e.kind));
    item->setText(What, eventText(e.kind, e.text));
    if (e.kind == QLatin1String("breaker")) {
        // The breaker opening is why requests fail at once: it stands out like an alert.
        const bool open = e.text.endsWith(QLatin1String("-> open"));
        const QColor colour = open ? QColor(0xd0, 0x30, 0x30) : QColor(0x2c, 0x80, 0x2c);
        for (int c = 0; c < ColumnCount; ++c) {
            item->setForeground(c, colour);
        }
    } else {
        item->setForeground(Kind, QColor(0x55, 0x55, 0x55));
    }
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
