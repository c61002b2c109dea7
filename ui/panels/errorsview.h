#pragma once

#include "core/net/requestengine.h"

#include <QWidget>

class QLabel;
class QTableWidget;

namespace sluice {

/// Why requests failed, by reason, since the run started: reason, count and share of the
/// requests that ended (the engine's cumulative EngineSnapshot::failures). Cancelled requests
/// are listed too but are not failures of the target, so they are left out of the total.
class ErrorsView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ErrorsView)

public:
    explicit ErrorsView(QWidget* parent = nullptr);

    /// Redraws only when the counts changed (snapshots arrive at 10 Hz, failures rarely).
    void setSnapshot(const EngineSnapshot& snapshot);
    void clear();
    /// Failed requests (cancelled ones not counted).
    qint64 failureCount() const { return m_failures; }
    QTableWidget* table() const { return m_table; }

Q_SIGNALS:
    void failureCountChanged(qint64 count);

private:
    QTableWidget* m_table = nullptr;
    QLabel* m_summary = nullptr;
    std::vector<std::pair<QString, std::int64_t>> m_shown; // key, count: what the table shows
    qint64 m_ended = -1;
    qint64 m_failures = 0;
};

} // namespace sluice
