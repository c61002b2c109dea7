#pragma once

#include "core/bench/benchprogress.h"
#include "core/bench/report/seriescsv.h"
#include "core/bench/scenario.h"
#include "core/bench/trafficlimits.h"
#include "core/host/workerthread.h"
#include "core/metrics/alerts.h"
#include "core/net/enginetypes.h"
#include "core/result.h"

#include <QJsonObject>
#include <QObject>
#include <QUrl>

namespace sluice {

class BenchRunner;

/// One benchmark run at a time (a BenchRunner and its RequestEngine) on a worker thread of its
/// own, driven from the thread that owns the host without ever blocking it: every call returns
/// at once and travels to the run as a queued call, in order. What the run reports arrives as
/// queued value copies (snapshots at the engine's 10 Hz cadence), emitted in the owner's thread.
class RunHost final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunHost)

public:
    explicit RunHost(QObject* parent = nullptr);
    /// Deletes a run still going in its thread (what is in flight ends, cancelled) and joins it.
    ~RunHost() override;

    /// Starts `scenario` against `target` (a base URL or an endpoint) and returns at once;
    /// started() is emitted before returning, finished() follows the end. Refused, with
    /// nothing emitted, while a run is going or when the scenario is invalid (the error names
    /// the field).
    Result<void> start(const BenchScenario& scenario, const QUrl& target);
    /// Stops offering load; what is in flight finishes, then finished(). Again: cancels it.
    void stop();
    /// Stops offering load and cancels what is in flight at once; finished() follows.
    void abort();
    void setPaused(bool paused);
    /// Rate (open loop) or concurrency (closed loop) of the running profile.
    void setLoad(double load);
    void applyLimits(const TrafficLimits& limits);
    /// A change made outside the run (to the target, say), recorded as one of its events.
    void recordEvent(const QString& kind, const QString& text);

    /// From start() until finished() is emitted.
    bool running() const { return m_running; }

Q_SIGNALS:
    void started();
    void snapshot(const sluice::EngineSnapshot& snapshot);
    void requestsUpdated(const QList<sluice::RequestUpdate>& updates);
    void limitChanged(int limit);
    void progress(const sluice::BenchProgress& progress);
    void eventRecorded(const sluice::BenchEvent& event);
    void alertChanged(const sluice::AlertEvent& alert);
    /// The run's summary and per-second rows, made in the worker thread when it ended.
    void finished(const QJsonObject& summary, const sluice::SeriesData& series);

private:
    template <typename F> void withRunner(F&& f);
    void onFinished(const QJsonObject& summary, const SeriesData& series);

    bool m_running = false;
    /// Touched only in the worker thread (inside m_worker.post()); a child of its context().
    BenchRunner* m_runner = nullptr;
    /// Last member: destroyed (the thread joined) before the members its posted code uses.
    WorkerThread m_worker;
};

} // namespace sluice
