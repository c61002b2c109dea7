#pragma once

#include "core/metrics/alerts.h"
#include "core/net/requestengine.h"

#include <QElapsedTimer>
#include <QHash>
#include <QWidget>

#include <array>
#include <deque>

class QComboBox;
class QGridLayout;
class QScrollArea;
class QTimer;
class QToolButton;

namespace sluice {

class LiveChart;

/// The live charts, sharing one relative time axis: concurrency (in flight against the limit,
/// with the alert thresholds that follow it), queue depth, requests per second (errors include
/// circuit-breaker fast failures), latency percentiles (e2e: sent → last byte; total:
/// submitted → end, our queue included; TTFT: sent → first token), total p95 by priority and
/// tokens per second. Fed with the engine's snapshots; redraws one chart per
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
    enum LatencySeries { E2eP50, E2eP95, E2eP99, TotalP95, TtftP50, TtftP95 };
    enum TokenSeries { TokensOut, TokensIn };
    enum PrioritySeries { High, Normal, Low };

    explicit ChartsPanel(QWidget* parent = nullptr);

    /// Seconds on the panel's clock (the time axis).
    double now() const;
    /// At `t` on the panel's clock (now when negative; a time before the last sample's is taken
    /// as the last sample's: the charts only go forward).
    void addSnapshot(const EngineSnapshot& snapshot, double t = -1);
    /// Finished requests feed the total-latency-by-priority chart (p95 per class over 10 s).
    void addRequestUpdates(const QList<RequestUpdate>& updates);
    /// A vertical marker on every chart at `t` (now when negative).
    void addMarker(const QString& label, double t = -1);
    /// Colours the watched series by the alerts raised on it: concurrency-* the in-flight
    /// line, queue-* the queue, reject-critical and errors-critical the errors line,
    /// rate-limited-warning the 429 line. A series shows the worst of its raised alerts.
    void applyAlert(const AlertEvent& alert);
    /// Every alert colour back to normal (a new run).
    void clearAlerts();
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

    /// Columns the charts are laid out in now (3, 2 or 1, from the width).
    int columns() const { return m_columns; }

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void refreshNext();
    void reflow(int columns);

    QElapsedTimer m_clock;
    /// Raised alerts by rule, with their level.
    QHash<QString, int> m_raised;
    /// Per priority class (high 0, normal 1, low 2+): (time, total ms) of the last 10 s.
    std::array<std::deque<std::pair<double, double>>, 3> m_priorityLatency;
    std::array<LiveChart*, ChartCount> m_charts{};
    QScrollArea* m_scroll = nullptr;
    QWidget* m_gridHost = nullptr;
    QGridLayout* m_grid = nullptr;
    int m_columns = 0;
    QComboBox* m_windowCombo = nullptr;
    QToolButton* m_pauseButton = nullptr;
    QTimer* m_refresh = nullptr;
    int m_next = 0;
    double m_window = 300;
    double m_lastSampleAt = 0; ///< the newest snapshot's time
    bool m_paused = false;
};

} // namespace sluice
