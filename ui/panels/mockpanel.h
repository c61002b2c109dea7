#pragma once

#include "core/server/mock/mockconfig.h"

#include <QJsonObject>
#include <QWidget>

#include <array>
#include <optional>

class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace sluice {

/// The built-in mock server, dialled live: its capacity, rate limits and speed, the share of
/// requests that fail on purpose, quick scenario buttons (halve the capacity, inject 503s, an
/// outage) and what the server saw. Fault shares never add up to more than 100%: an edit that
/// would is lowered to what is left, with a visible note.
class MockPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MockPanel)

public:
    /// The fault kinds, in the order of their spin boxes.
    enum Fault { Error503, Error500, Overloaded, Quota, Reset, Stall, Midstream, FaultCount };

    explicit MockPanel(QWidget* parent = nullptr);

    /// Shows `config` without emitting configChanged(). Fields without a widget (seed, queue
    /// limit, stall time, stamps) are kept and returned by config().
    void setConfig(const MockConfig& config);
    MockConfig config() const;
    /// The mock's GET /mock/stats answer.
    void setStats(const QJsonObject& stats);

Q_SIGNALS:
    /// Once per user edit that changes the config. `label` is empty for plain edits and a short
    /// phrase for the quick buttons ("capacity halved (32 → 16)"), fit for a chart marker.
    void configChanged(const sluice::MockConfig& config, const QString& label);

private:
    void onEdited();
    void onFaultEdited(Fault which);
    void onTokensEdited(bool minChanged);
    void halveCapacity();
    void restoreCapacity();
    /// Sets the 503 share to `tenths` of a percent, lowered to what the other faults leave.
    void inject503(int tenths, bool clearOthers, const QString& label);
    void clearFaults();
    /// Emits the config when it differs from the last one shown or emitted.
    void commit(const QString& label);
    void updateFaultTotal();
    int faultTenths(Fault which) const;
    int faultTenthsTotal() const;

    QSpinBox* m_capacity = nullptr;
    QSpinBox* m_rpm = nullptr;
    QSpinBox* m_tpm = nullptr;
    QSpinBox* m_ttft = nullptr;
    QSpinBox* m_tpot = nullptr;
    QSpinBox* m_tokensMin = nullptr;
    QSpinBox* m_tokensMax = nullptr;
    QSpinBox* m_jitter = nullptr;
    std::array<QDoubleSpinBox*, FaultCount> m_faults{};
    QLabel* m_faultTotal = nullptr;
    QLabel* m_faultNote = nullptr;
    QPushButton* m_halve = nullptr;
    QPushButton* m_restore = nullptr;
    QLabel* m_concurrent = nullptr;
    QLabel* m_requests = nullptr;
    QLabel* m_rateLimited = nullptr;
    QLabel* m_waiting = nullptr;
    QLabel* m_statuses = nullptr;

    MockConfig m_config; ///< the last config shown or emitted
    std::optional<int> m_capacityBeforeHalving;
    bool m_updating = false;
};

} // namespace sluice
