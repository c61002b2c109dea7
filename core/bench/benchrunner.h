#pragma once

#include "core/bench/scenario.h"
#include "core/metrics/alerts.h"
#include "core/metrics/latencyhistogram.h"
#include "core/metrics/requestmetrics.h"
#include "core/metrics/timeseries.h"
#include "core/net/requestengine.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>

namespace sluice {

/// A change during the run, drawn as a marker on charts.
struct BenchEvent {
    double t = 0; ///< seconds since the start
    QString kind; ///< rate, concurrency, limits, warmup, stress, spike, alert, end
    QString text;
};

/// What the live view shows, once a second.
struct BenchProgress {
    double elapsed = 0;   ///< seconds
    double fraction = -1; ///< of the run done, when bounded by time or count; -1 unknown
    QString phase;        ///< "warm-up", "running", "stress 40 rps", "draining"
    double targetLoad = 0;
    bool openLoop = false;
    double sentPerSecond = 0;
    double okPerSecond = 0;
    int inFlight = 0;
    int queued = 0;
    int limit = 0;
    std::int64_t submitted = 0, ok = 0, errors = 0, rateLimited = 0, lateStarts = 0;
    QString topFailure; ///< the most frequent failure reason so far ("connection refused"), if any
    double e2eP50 = 0, e2eP95 = 0, e2eP99 = 0; ///< ms, of the last 10 s
    double ttftP50 = 0, ttftP99 = 0;
    double outputTokensPerSecond = 0;
};

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
    const SeriesRing& series() const { return m_series; }
    const std::vector<BenchEvent>& events() const { return m_events; }
    /// The whole result (see docs/report-format.md). Complete after finished().
    QJsonObject summary() const;
    /// Passed: every SLO met (and, for stress, a knee found).
    bool passed() const;
    /// The measured histogram of a metric (ttft, e2e, ...), values in ns.
    const LatencyHistogram* histogram(const QString& metric) const;
    std::optional<double> knee() const { return m_knee; }
    /// Column names of the series, in order.
    static QStringList seriesColumns();
    /// Failures so far, by reason (every request that did not end done, warm-up included).
    const FailureTally& failures() const { return m_failures; }

Q_SIGNALS:
    void progress(const sluice::BenchProgress& progress);
    void eventRecorded(const sluice::BenchEvent& event);
    /// An alert rule raised or cleared (also recorded as an "alert" event).
    void alertChanged(const sluice::AlertEvent& alert);
    void finished();

private:
    enum class State { Idle, Running, Draining, Finished };
    struct StressStep {
        double load = 0;
        Nanos start{0}, end{0};
        std::int64_t sent = 0, ok = 0, errors = 0;
        std::multiset<Nanos> outstanding;              ///< intended times of requests not yet ended
        std::map<QString, std::vector<double>> values; ///< per SLO metric, ms
        bool evaluated = false;
        bool met = false;
        QString detail;
    };
    struct Pending {
        Nanos intendedAt{0};
        int step = -1; ///< stress step, -1 when none
        bool warmup = false;
        bool worker = false; ///< closed loop: its end frees a worker
    };

    void submitOne(Nanos intendedAt);
    void onArrivalTimer();
    void armArrival();
    void onFinished(const RequestRecord& record, const Pending& pending);
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
    void evaluateAlerts(const EngineSnapshot& snap, Nanos now);
    void armDrainLimit();
    void stressAdvance();
    void startStressStep(double load);
    bool evaluateStressStep(StressStep& step, bool force);
    double elapsedSeconds() const;
    Nanos sinceStart() const { return m_clock.now() - m_start; }
    int realMs(Nanos d) const;
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
    Nanos m_drainStart{0};
    double m_load = 0;
    bool m_loadOverridden = false;
    ArrivalSchedule m_schedule;
    QTimer m_arrivalTimer;
    QTimer m_tickTimer;
    QTimer m_drainTimer;
    int m_workers = 0; ///< closed loop: requests kept in flight
    int m_running = 0; ///< closed loop: workers with a request out
    std::size_t m_nextChange = 0;
    bool m_warmupDone = false;
    bool m_spikeOn = false;
    bool m_paused = false;
    std::mt19937_64 m_priorityRng;
    QString m_endReason;

    // Counts (all requests) and measured aggregates (warm-up excluded).
    std::int64_t m_submitted = 0;
    std::int64_t m_endedCount = 0;
    std::int64_t m_measured = 0, m_warmupCount = 0;
    std::int64_t m_done = 0, m_failed = 0, m_rejected = 0, m_timedOut = 0, m_cancelled = 0;
    std::int64_t m_retries = 0, m_rateLimited = 0, m_lateStarts = 0, m_dropped = 0;
    std::int64_t m_outputTokens = 0, m_promptTokens = 0, m_tokensEstimated = 0;
    std::int64_t m_good = 0;
    std::int64_t m_heldByLimits = 0; ///< open loop: sent late because our own limits held them
    FailureTally m_failures;
    bool m_interrupted = false;
    CircuitBreaker::State m_breaker = CircuitBreaker::State::Closed;
    int m_peakInFlight = 0;
    Nanos m_measureStart{0};
    std::map<QString, LatencyHistogram> m_hist;

    // The current second's values, for the series row.
    struct Second {
        std::int64_t ok = 0, errors = 0, late = 0, outputTokens = 0, rejected = 0, submitted = 0;
        std::map<QString, std::int64_t> failureGroups; // terminal failures by reason group
        std::vector<double> ttft, e2e, corrected, itl; // ms
    } m_second;
    std::int64_t m_lastAttempts = 0, m_lastRateLimited = 0;
    SeriesRing m_series;
    std::deque<std::pair<Nanos, double>> m_recentE2e, m_recentTtft; // last 10 s, ms
    AlertMonitor m_alerts;
    QJsonArray m_alertLog;
    std::vector<BenchEvent> m_events;

    // Stress.
    std::vector<StressStep> m_steps;
    std::optional<double> m_pass, m_fail, m_knee;
    bool m_stressIdle = false; ///< between steps, waiting for the last one's requests
    double m_baselineP50 = 0;
};

} // namespace sluice

Q_DECLARE_METATYPE(sluice::BenchProgress)
Q_DECLARE_METATYPE(sluice::BenchEvent)
Q_DECLARE_METATYPE(sluice::AlertEvent)
