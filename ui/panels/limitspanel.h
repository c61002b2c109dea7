#pragma once

#include "core/bench/trafficlimits.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSpinBox;

namespace sluice {

/// The traffic-control limits an operator turns while traffic flows: rate limits, the
/// concurrency limit and its algorithm, the queue, retries, the circuit breaker and whether to
/// follow the server's rate-limit headers. Each user edit is emitted once as a whole set of
/// limits, to be applied to the running engine at once.
class LimitsPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LimitsPanel)

public:
    explicit LimitsPanel(QWidget* parent = nullptr);

    /// Shows `limits` without emitting limitsChanged().
    void setLimits(const TrafficLimits& limits);
    /// The limits the widgets describe.
    TrafficLimits limits() const;
    /// The engine's live concurrency limit, shown next to the maximum (adaptive algorithms move
    /// it). 100000 and above is the engine's "no cap".
    void setCurrentLimit(int limit);

Q_SIGNALS:
    /// Once per user edit (a spin box when editing finishes or an arrow steps it, a combo box
    /// or check box at once); never from setLimits().
    void limitsChanged(const sluice::TrafficLimits& limits);

private:
    void onEdited();
    void updateEnabled();
    /// While adaptive, keeps min <= initial <= max in the spin boxes' ranges, without signals.
    void updateRanges();

    QSpinBox* m_rpm = nullptr;
    QSpinBox* m_tpm = nullptr;
    QComboBox* m_algorithm = nullptr;
    QSpinBox* m_maxConcurrency = nullptr;
    QLabel* m_currentLimit = nullptr;
    QSpinBox* m_adaptiveMin = nullptr;
    QSpinBox* m_adaptiveInitial = nullptr;
    QSpinBox* m_queue = nullptr;
    QDoubleSpinBox* m_timeout = nullptr;
    QSpinBox* m_retries = nullptr;
    QSpinBox* m_retryDelay = nullptr;
    QCheckBox* m_breaker = nullptr;
    QSpinBox* m_breakerRate = nullptr;
    QSpinBox* m_breakerMinCalls = nullptr;
    QDoubleSpinBox* m_breakerOpen = nullptr;
    QCheckBox* m_followServer = nullptr;

    /// What was last shown or emitted: an edit that changes nothing emits nothing.
    TrafficLimits m_last;
    bool m_updating = false;
};

} // namespace sluice
