#pragma once

#include "core/bench/report/seriescsv.h"
#include "core/bench/scenario.h"
#include "core/bench/trafficlimits.h"
#include "core/host/attachclient.h"
#include "core/host/attachedgatewayfeed.h"
#include "core/host/inprocessgatewayfeed.h"
#include "core/host/mockhost.h"
#include "core/host/runhost.h"
#include "core/result.h"
#include "core/server/mock/mockconfig.h"

#include <QJsonObject>
#include <QObject>
#include <QUrl>

namespace sluice {

/// What the console drives: the built-in mock (a MockHost) and benchmark runs (a RunHost),
/// each on its own worker thread, plus what only the console keeps: its default limits, the
/// scenario and result of the last run, the demo flag, and the mock changes a run records as
/// markers. Lives in the GUI thread and never blocks it; everything it emits arrives there as
/// value copies, so the GUI thread only draws.
class Session final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Session)

public:
    explicit Session(QObject* parent = nullptr);
    ~Session() override;

    /// Starts the built-in mock on its thread and returns at once: mockStarted(port) or
    /// mockFailed(error) follows. An invalid config is refused here (the error names the
    /// field). Nothing happens when the mock is already running or starting.
    Result<void> startMock(const MockConfig& config, quint16 port = 0);
    bool mockRunning() const { return m_mock.running(); }
    bool mockStarting() const { return m_mock.state() == MockHost::State::Starting; }
    quint16 mockPort() const { return m_mock.port(); }
    QUrl mockBaseUrl() const { return m_mock.baseUrl(); }
    MockConfig mockConfig() const { return m_mock.config(); }
    /// Validates at once (an error names the field and changes nothing), then applies on the
    /// mock's thread while traffic flows; a running benchmark records it as a marker.
    Result<void> setMockConfig(const MockConfig& config, const QString& label = {});

    /// Starts a run (a mock target goes to the built-in mock). Refused, with the reason, when
    /// a run is already going, the mock is not running or the scenario is invalid.
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

    /// The gateway the console runs for other programs (Gateway → Start here…), on its own
    /// thread; the cockpit (ui/gateway) draws its traffic.
    InProcessGatewayFeed& gateway() { return m_gateway; }

    /// The last finished run's result and per-second rows (for the results view and export).
    QJsonObject lastSummary() const { return m_summary; }

    /// Follows a `sluice gateway` running elsewhere (Gateway → Attach…, --attach).
    AttachClient* attachClient() { return &m_attach; }
    /// The attached gateway as the cockpit's feed (the same views as the in-process one).
    AttachedGatewayFeed* attachedFeed() { return &m_attachedFeed; }
    const SeriesData& lastSeries() const { return m_series; }
    /// A result that was not run here (a distributed run the console followed) becomes the
    /// last one, for the results view and export.
    void setLastResult(const QJsonObject& summary, const SeriesData& series) {
        m_summary = summary;
        m_series = series;
    }

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
    /// The built-in mock listens on `port`.
    void mockStarted(quint16 port);
    /// The built-in mock could not listen (the port is taken, say).
    void mockFailed(const sluice::Error& error);
    /// The mock's /mock/stats, twice a second.
    void mockStats(const QJsonObject& stats);
    void mockConfigChanged(const sluice::MockConfig& config);

private:
    void onRunFinished(const QJsonObject& summary, const SeriesData& series);

    MockHost m_mock;
    RunHost m_run; // after m_mock: a run ends before the mock it may be sending to goes
    InProcessGatewayFeed m_gateway; // after m_mock: closed before the mock it may send to goes
    AttachClient m_attach;
    AttachedGatewayFeed m_attachedFeed{&m_attach}; // after m_attach, which it follows
    TrafficLimits m_limits;
    BenchScenario m_scenario;
    bool m_running = false;
    bool m_paused = false;
    bool m_demoValues = false;
    QJsonObject m_summary;
    SeriesData m_series;
};

} // namespace sluice
