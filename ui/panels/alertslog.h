#pragma once

#include "core/bench/benchrunner.h"
#include "core/metrics/alerts.h"

#include <QWidget>

class QTreeWidget;

namespace sluice {

/// Alerts as they are raised and cleared (time, rule, severity, value), and the changes made
/// during a run (the same events the charts mark), newest first.
class AlertsLog final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertsLog)

public:
    explicit AlertsLog(QWidget* parent = nullptr);

    void addAlert(const AlertEvent& alert);
    void addEvent(const BenchEvent& event);
    void clear();
    int alertCount() const { return m_alerts; }
    QTreeWidget* tree() const { return m_tree; }

Q_SIGNALS:
    /// Raised alerts not yet seen (the tab shows the count).
    void unseenChanged(int count);

private:
    QTreeWidget* m_tree = nullptr;
    int m_alerts = 0;
};

} // namespace sluice
