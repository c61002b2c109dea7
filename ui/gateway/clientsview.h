#pragma once

#include "core/host/gatewayfeed.h"

#include <QWidget>

class QLabel;
class QTableWidget;

namespace sluice {

/// The gateway's callers, one row per client token: requests per second, in flight, queued,
/// rejected, total-time p95 and share of what went upstream (the last 10 s). Fed with
/// GatewayStats values (in process or attached alike); keeps nothing else.
class ClientsView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClientsView)

public:
    enum Column { Name, Rps, InFlight, Queued, Rejected, P95, Share, ColumnCount };

    explicit ClientsView(QWidget* parent = nullptr);

    void setStats(const GatewayStats& stats);
    void clear();
    QTableWidget* table() const { return m_table; }
    int rowCount() const;

private:
    QTableWidget* m_table = nullptr;
    QLabel* m_hint = nullptr;
};

} // namespace sluice
