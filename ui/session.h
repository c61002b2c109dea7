#pragma once

#include "core/bench/benchrunner.h"
#include "core/bench/report/seriescsv.h"
#include "core/bench/scenario.h"
#include "core/bench/trafficlimits.h"
#include "core/server/mock/mockconfig.h"

#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QThread>
#include <QUrl>

#include <optional>

namespace sluice {

class MockServer;

/// What the console drives: the built-in mock server on one worker thread, and benchmark runs
/// (a BenchRunner and its RequestEngine) on another. Lives in the GUI thread; everything it
/// emits arrives there as queued value copies (snapshots at the engine's 10 Hz cadence), so
/// the GUI thread only draws. Live changes travel the other way as queued calls.
class Session final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Session)

public:
    explicit Session(QObject* parent = nullptr);
    ~Session() override;

    /// Starts the built-in mock on its thread (blocks until it listens or fails). Running
    /// already is success.
    Result<void> startMock(const MockConfig& config, quint16 port = 0);
    bool mockRunning() const { return m_mockPort != 0; }
    quint16 mockPort() const { return m_mockPort; }
    QUrl mockBaseUrl() const;
    MockConfig mockConfig() const { return m_mockConfig; }
    /// Validates at once (an error names the field and changes nothing), then applies on the
    /// mock's thread while traffic flows; a running benchmark records it as a marker.
    Result<void> setMockConfig(const MockConfig& config, const QString& label = {});

    /// Starts a run (a mock target goes to the built-in mock). An error when a run is already
    /// going, the mock is needed and not running, or the scenario is invalid.
    Result<void> startRun(BenchScenario scenario);
    /// Stops offering load; in-flight requests finish, then runFinished(). Twice: cancel them.
    void stopRun();
    void setPaused(bool paused);
    bool running() const { return m_running; }
    bool paused() const { return m_paused; }
    /// Rate (open loop) or concurrency (closed loop) of the running profile.
    void setLoad(double load);
    /// Limits for running traffic (now) and for the next run.
    void applyLimits(const TrafficLimits& limits);
    TrafficLimits limits() const { return m_limits; }
    /// The scenario of the current or last run.
    const BenchScenario& scenario() const { return m_scenario; }
    /// The limits, mock and load in use are a demo's, not the user's (kept here so a window
    /// rebuilt mid-demo, e.g. for a language switch, knows not to save them).
    void setDemoValues(bool demo) { m_demoValues = demo; }
    bool demoValues() const { return m_demoValues; }

    /// The last finished run's result and per-second rows (for the results view and export).
    QJsonObject lastSummary() const { return m_summary; }
    const SeriesData& lastSeries() const { return m_series; }

    /// Blocks until the engine thread has processed everything queued so far (tests).
    void syncEngine();

Q_SIGNALS:
    void snapshot(const sluice::EngineSnapshot& snapshot);
    void requestsUpdated(const QList<sluice::RequestUpdate>& updates);
    void progress(const sluice::BenchProgress& progress);
    void eventRecorded(const sluice::BenchEvent& event);
    void alertChanged(const sluice::AlertEvent& alert);
    void limitChanged(int limit);
    void runStarted();
    void runFinished(const QJsonObject& summary);
    void pausedChanged(bool paused);
    /// The mock's /mock/stats, twice a second.
    void mockStats(const QJsonObject& stats);
    void mockConfigChanged(const sluice::MockConfig& config);

private:
    void onRunFinished(const QJsonObject& summary, const SeriesData& series);

    QThread m_mockThread;
    QThread m_engineThread;
    QObject* m_mockAnchor = nullptr;   // lives in m_mockThread: the place to run code there
    QObject* m_engineAnchor = nullptr; // lives in m_engineThread
    QPointer<MockServer> m_mock;       // lives in m_mockThread
    QPointer<QObject> m_mockPoller;    // lives in m_mockThread
    BenchRunner* m_runner = nullptr;   // lives in m_engineThread; deleted from here only
    quint16 m_mockPort = 0;
    MockConfig m_mockConfig;
    TrafficLimits m_limits;
    BenchScenario m_scenario;
    bool m_running = false;
    bool m_paused = false;
    bool m_demoValues = false;
    QJsonObject m_summary;
    SeriesData m_series;
};

} // namespace sluice
