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

    /// What an alert rule means, in the UI's language (core's English `fallback` for a rule
    /// the console does not know).
    static QString alertText(const QString& rule, const QString& fallback);
    /// A run event's kind ("breaker", "limits", "mock", ...) in the UI's language.
    static QString eventKindText(const QString& kind);
    /// A run event's text in the UI's language where its form is known (the breaker's
    /// "circuit closed -> open", the end of a run); otherwise as recorded (they are mostly
    /// settings: "rpm 600 -> 300").
    static QString eventText(const QString& kind, const QString& text);

Q_SIGNALS:
    /// Raised alerts not yet seen (the tab shows the count).
    void unseenChanged(int count);

private:
    QTreeWidget* m_tree = nullptr;
    int m_alerts = 0;
};

} // namespace sluice
