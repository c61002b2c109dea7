#pragma once

#include "core/bench/benchprogress.h"
#include "core/bench/runstats.h"
#include "core/bench/scenario.h"
#include "core/bench/stresssearch.h"
#include "core/metrics/alerts.h"
#include "core/metrics/latencyhistogram.h"
#include "core/metrics/requestmetrics.h"
#include "core/metrics/timeseries.h"
#include "core/net/precisewake.h"
#include "core/net/requestengine.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>
#include <random>

namespace sluice {

/// Runs one benchmark: offers load by the scenario's profile (closed or open loop, ramp, spike,
/// stress) through a RequestEngine, measures every request, keeps bounded aggregates (one
/// histogram per metric, per-second rows), and produces the summary a report is made of.
/// Every knob changes while it runs, each change recorded as an event.
///
/// Memory is bounded whatever the length: per-request rows go to the sink (a file) as they end,
/// never into a list.
class BenchRunner final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BenchRunner)

public:
    /// `target` is the base URL or endpoint to send to (the mock's, with --mock).
    BenchRunner(BenchScenario scenario, QUrl target, const Clock* clock = nullptr,
                QObject* parent = nullptr);
    ~BenchRunner() override;

    /// Each finished request as one requests.jsonl object (no prompt, no key).
    void setRequestSink(std::function<void(const QJsonObject&)> sink) { m_sink = std::move(sink); }
    /// Late start: sent more than this after its intended time (open loop).
    void setLateThreshold(Nanos threshold) { m_lateThreshold = threshold; }

    void start();
    /// Stops offering load; what is in flight finishes (up to the drain limit), then finished().
    /// A second stop() while draining cancels what is still out.
    void stop(const QString& why = {});
    /// Stops as stop() does, and the verdict says the run was interrupted (it never passes).
    void interrupt(const QString& why);
    bool interrupted() const { return m_interrupted; }

    // Live knobs, applied at once and recorded as events.
    void setLoad(double load); ///< rate (open loop) or concurrency (closed loop)
    void setRateLimits(std::int64_t rpm, std::int64_t tpm);
    void setMaxConcurrency(int limit);
    /// Every traffic-control knob at once (the console's limits panel); one event names what
    /// changed. Switches the run to traffic-control limits if it had the benchmark's.
    void applyLimits(const TrafficLimits& limits);
    /// Paused: no new requests are offered (what is in flight goes on); the clock runs on.
    void setPaused(bool paused);
    bool paused() const { return m_paused; }
    /// A change made outside the runner (e.g. to the target), drawn as a marker like its own.
    void recordEvent(const QString& kind, const QString& text) { addEvent(kind, text); }

    bool running() const { return m_state == State::Running; }
    bool isFinished() const { return m_state == State::Finished; }
    double targetLoad() const { return m_load; }
    const BenchScenario& scenario() const { return m_scenario; }
    RequestEngine& engine() { return *m_engine; }
    const SeriesRing& series() const { return m_stats.series(); }
    /// Counts and histograms so far (read between events; valid while the runner lives).
    const RunStats& stats() const { return m_stats; }
    const std::vector<BenchEvent>& events() const { return m_events; }
    /// The whole result (see docs/report-format.md). Complete after finished().
    QJsonObject summary() const;
    /// Passed: every SLO met (and, for stress, a knee found).
    bool passed() const;
    /// The measured histogram of a metric (ttft, e2e, ...), values in ns.
    const LatencyHistogram* histogram(const QString& metric) const;
    std::optional<double> knee() const {
        return m_stress ? m_stress->knee() : std::optional<double>();
    }
    /// Column names of the series, in order.
    static QStringList seriesColumns();
    /// Failures so far, by reason (every request that did not end done, warm-up included).
    const FailureTally& failures() const { return m_stats.failures(); }

Q_SIGNALS:
    void progress(const sluice::BenchProgress& progress);
    void eventRecorded(const sluice::BenchEvent& event);
    /// An alert rule raised or cleared (also recorded as an "alert" event).
    void alertChanged(const sluice::AlertEvent& alert);
    void finished();

private:
    enum class State { Idle, Running, Draining, Finished };
    struct Pending {
        Nanos intendedAt{0};
        int step = -1; ///< stress step, -1 when none
        bool warmup = false;
        bool worker = false; ///< closed loop: its end frees a worker
    };

    void submitOne(Nanos intendedAt);
    void onArrivalTimer();
    void armArrival();
    /// No more arrivals until the next armArrival(): both the timer and the wake stop.
    void stopArrivals();
    void onFinished(const RequestRecord& record, const Pending& pending);
    void refillWorkers();
    void onStressStepEnd();
    void stressEvaluatePending();
    void tick();
    void applyProfileLoad();
    void applyLoad(double load, bool record, const QString& kind);
    void addEvent(const QString& kind, const QString& text);
    void checkEnd();
    void beginDrain(const QString& why);
    void finish();
    void closeSecond();
    void emitProgress(const EngineSnapshot& snap, Nanos now);
    void evaluateAlerts(const EngineSnapshot& snap, const SecondTotals& second, Nanos now);
    void armDrainLimit();
    void stressAdvance();
    void startStressStep(double load);
    double elapsedSeconds() const;
    Nanos sinceStart() const { return m_clock.now() - m_start; }
    std::vector<SloSpec> effectiveSlos() const;

    BenchScenario m_scenario;
    QUrl m_target;
    std::unique_ptr<Clock> m_ownClock;
    const Clock& m_clock;
    std::unique_ptr<RequestEngine> m_engine;
    std::function<void(const QJsonObject&)> m_sink;
    Nanos m_lateThreshold = std::chrono::milliseconds(10);

    State m_state = State::Idle;
    Nanos m_start{0};
    Nanos m_end{0};      ///< when the last request ended
    Nanos m_offerEnd{0}; ///< when load stopped being offered
    Nanos m_measureStart{0};
    double m_load = 0;
    bool m_loadOverridden = false;
    ArrivalSchedule m_schedule;
    QTimer m_arrivalTimer;
    /// Open loop on the steady clock where a timerfd serves: wakes at each arrival's time
    /// (m_arrivalTimer serves the other cases). Only one of the two is armed at a time.
    PreciseWake m_arrivalWake;
    QTimer m_tickTimer;
    QTimer m_drainTimer;
    int m_workers = 0; ///< closed loop: requests kept in flight
    int m_running = 0; ///< closed loop: workers with a request out
    bool m_warmupDone = false;
    bool m_spikeOn = false;
    bool m_paused = false;
    std::mt19937_64 m_priorityRng;
    QString m_endReason;
    bool m_interrupted = false;

    RunStats m_stats; ///< counts, histograms, series (warm-up excluded from the measured ones)
    CircuitBreaker::State m_breaker = CircuitBreaker::State::Closed;
    AlertMonitor m_alerts;
    QJsonArray m_alertLog;
    std::vector<BenchEvent> m_events;

    std::optional<StressSearch> m_stress; ///< stress runs only
    bool m_stressIdle = false;            ///< between steps, waiting for the last one's requests
};

} // namespace sluice

Q_DECLARE_METATYPE(sluice::AlertEvent)
