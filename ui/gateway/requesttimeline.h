#pragma once

#include "core/host/gatewayfeed.h"

#include <QWidget>

namespace sluice {

/// One request's life drawn on a time axis (ms since it arrived): the time queued with its
/// place in the queue over time as a falling step line, each attempt as a bar coloured by how
/// it ended, the first token as a tick, and the end. Paints values only.
class RequestTimeline final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestTimeline)

public:
    /// (ms since arrival, requests ahead) while it waited.
    using Positions = QList<QPair<double, qint64>>;

    explicit RequestTimeline(QWidget* parent = nullptr);

    void setDetail(const GatewayRequestDetail& detail, const Positions& positions);
    void clear();
    bool empty() const { return m_detail.id == 0; }

    QSize sizeHint() const override { return {400, 80}; }
    QSize minimumSizeHint() const override { return {200, 72}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    GatewayRequestDetail m_detail;
    Positions m_positions;
};

} // namespace sluice
