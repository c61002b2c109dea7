#pragma once

#include "core/host/gatewayfeed.h"

#include <QElapsedTimer>
#include <QWidget>

class QLabel;

namespace sluice {

class LiveChart;

/// What the gateway itself adds to each request (outside its queue and the upstream): p50 and
/// p99 as a chart over time, with the figures in words above it. Fed with GatewayStats values.
class OverheadView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OverheadView)

public:
    enum Series { P50, P99 };

    explicit OverheadView(QWidget* parent = nullptr);

    void setStats(const GatewayStats& stats);
    void clear();
    LiveChart* chart() const { return m_chart; }
    QString summary() const;

private:
    QElapsedTimer m_clock;
    LiveChart* m_chart = nullptr;
    QLabel* m_summary = nullptr;
};

} // namespace sluice
