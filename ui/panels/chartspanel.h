#pragma once

#include "core/metrics/alerts.h"
#include "core/net/requestengine.h"

#include <QElapsedTimer>
#include <QWidget>

#include <array>
#include <deque>

class QComboBox;
class QTimer;
class QToolButton;

namespace sluice {

class LiveChart;

/// The live charts, sharing one relative time axis: concurrency (in flight against the limit,
/// with the alert thresholds that follow it), queue depth, requests per second, latency
/// percentiles and tokens per second. Fed with the engine's snapshots; redraws one chart per
/// tick (each at 2 Hz), so no single slice of the GUI thread draws all five.
class ChartsPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChartsPanel)

public:
    enum Chart { Concurrency, Queue, Rps, Latency, Tokens, PriorityLatency, ChartCount };
    // Series indexes inside each chart.
    enum ConcurrencySeries { InFlight, Limit, LimitWarning, LimitCritical };
    enum QueueSeries { Queued, WaitingBudget };
    enum RpsSeries { Sent, Succeeded, RateLimited, Errors };
    enum LatencySeries { E2eP50, E2eP95, E2eP99, TtftP50, TtftP95, TtftP99 };
    enum TokenSeries { TokensOut, TokensIn };
    enum PrioritySeries { High, Normal, Low };

    explicit ChartsPanel(QWidget* parent = nullptr);

    /// Seconds on the panel's clock (the time axis).
    double now() const;
    void addSnapshot(const EngineSnapshot& snapshot);
    /// Finished requests feed the latency-by-priority chart (p95 per class over 10 s).
    void addRequestUpdates(const QList<RequestUpdate>& updates);
    /// A vertical marker on every chart at `t` (now when negative).
    void addMarker(const QString& label, double t = -1);
    /// Colours the watched series by the alert's state.
    void applyAlert(const AlertEvent& alert);
    void setWindow(double seconds);
    double window() const { return m_window; }
    void setPaused(bool paused);
    bool paused() const { return m_paused; }
    LiveChart* chart(Chart which) const { return m_charts[which]; }
    /// Redraws every chart now (screenshots, tests, benchmarks).
    void refreshAll();
    /// Drops every sample and marker.
    void clear();
    /// The charts as one image (for export).
    QImage renderImage();

private:
    void refreshNext();

    QElapsedTimer m_clock;
    /// Per priority class (high 0, normal 1, low 2+): (time, e2e ms) of the last 10 s.
    std::array<std::deque<std::pair<double, double>>, 3> m_priorityLatency;
    std::array<LiveChart*, ChartCount> m_charts{};
    QComboBox* m_windowCombo = nullptr;
    QToolButton* m_pauseButton = nullptr;
    QTimer* m_refresh = nullptr;
    int m_next = 0;
    double m_window = 300;
    bool m_paused = false;
};

} // namespace sluice
