#pragma once

#include "core/host/gatewayfeed.h"

#include <QWidget>

class QLabel;
class QTableWidget;

namespace sluice {

/// The gateway's upstream keys, one row per key (masked `sk-...abcd`): the headroom the provider
/// announced (requests and tokens per minute left, and when each window resets), in flight,
/// attempts sent and 429s got, and its state: live, cooling until a time after a 429, or
/// retired (with why). Fed with GatewayStats values.
class KeysView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KeysView)

public:
    enum Column {
        Key,
        RequestsLeft,
        TokensLeft,
        Reset,
        InFlight,
        Sent,
        RateLimited,
        State,
        ColumnCount
    };

    explicit KeysView(QWidget* parent = nullptr);

    void setStats(const GatewayStats& stats);
    void clear();
    QTableWidget* table() const { return m_table; }
    int rowCount() const;

private:
    QTableWidget* m_table = nullptr;
    QLabel* m_hint = nullptr;
};

} // namespace sluice
