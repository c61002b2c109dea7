#pragma once

#include "core/bench/benchrunner.h"
#include "core/net/requestengine.h"
#include "core/result.h"

#include <QMainWindow>

class QAction;
class QLabel;
class QTabWidget;

namespace sluice {

class AlertsLog;
class AttachFeed;
class BenchPanel;
class ChartsPanel;
class DemoPlayer;
class ErrorsView;
class FollowFeed;
class GatewayCockpit;
class LimitsPanel;
class MockPanel;
class RequestsPanel;
class ResultsView;
class Session;
class StatsStrip;
class UserSettings;

/// The console: live charts and the stats strip in the middle; the benchmark, limits and mock
/// panels in a side dock; requests, alerts and results below. Everything it shows comes from
/// the session's snapshots; everything it changes goes to the session as a live change.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(Session* session, QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Starts a run from the benchmark panel (as the Start action does); the error (naming the
    /// field) is the message box's text when it could not.
    Result<void> startRun();
    void stopRun();
    /// Plays the demo with this id (resources/demos/<id>.json).
    Result<void> playDemo(const QString& id);

    ChartsPanel* charts() const { return m_charts; }
    LimitsPanel* limitsPanel() const { return m_limits; }
    BenchPanel* benchPanel() const { return m_bench; }
    MockPanel* mockPanel() const { return m_mock; }
    RequestsPanel* requestsPanel() const { return m_requests; }
    ResultsView* resultsView() const { return m_results; }
    AlertsLog* alertsLog() const { return m_alerts; }
    ErrorsView* errorsView() const { return m_errors; }
    /// The gateway's cockpit: the in-process gateway, its views and menu (ui/gateway).
    GatewayCockpit* cockpit() const { return m_cockpit; }
    StatsStrip* statsStrip() const { return m_stats; }
    /// Draws an attached gateway (Gateway → Attach…, --attach).
    AttachFeed* attachFeed() const { return m_attach; }
    /// Draws a distributed benchmark run followed in Redis (Run → Follow…, --collect).
    FollowFeed* followFeed() const { return m_follow; }
    QTabWidget* bottomTabs() const { return m_bottomTabs; }
    QTabWidget* sideTabs() const { return m_sideTabs; }
    /// Exports the last run's report into `dir` (summary.json, timeseries.csv, report.html).
    Result<void> exportReport(const QString& dir);
    /// True while the limits, mock and load shown are a demo's rather than the user's: they
    /// are never written to the settings, and the user's come back when the demo ends.
    bool showingDemo() const;

    /// The window's first size on a screen with this available geometry: as large as is
    /// comfortable (up to 1440 × 900) but always inside it, decorations included.
    static QSize defaultSize(const QRect& available);

Q_SIGNALS:
    /// The user picked a language ("" = follow the system); the application rebuilds the window.
    void languageChangeRequested(const QString& locale);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void onRunStarted();
    void onRunFinished(const QJsonObject& summary);
    void onSnapshot(const EngineSnapshot& snapshot);
    void onEvent(const BenchEvent& event);
    /// The built-in mock started, failed or is starting: the status line and the mock tab.
    void showMockState();
    void updateActions();
    void saveScenario();
    void openScenario();
    void exportReportDialog();
    void exportChartsDialog();
    void showCaption(const QString& caption);
    /// The window's state, and the user's settings (UserSettings: never a demo's).
    void saveSettings();
    void restoreSettings();
    void onDemoStarted();
    void onDemoFinished();
    void setAlertTabText();
    void attachDialog();
    void followDialog();

    Session* m_session;
    DemoPlayer* m_demos = nullptr;
    StatsStrip* m_stats = nullptr;
    QLabel* m_caption = nullptr;
    ChartsPanel* m_charts = nullptr;
    BenchPanel* m_bench = nullptr;
    LimitsPanel* m_limits = nullptr;
    MockPanel* m_mock = nullptr;
    RequestsPanel* m_requests = nullptr;
    AlertsLog* m_alerts = nullptr;
    ResultsView* m_results = nullptr;
    ErrorsView* m_errors = nullptr;
    GatewayCockpit* m_cockpit = nullptr;
    UserSettings* m_userSettings = nullptr;
    AttachFeed* m_attach = nullptr;
    FollowFeed* m_follow = nullptr;
    QTabWidget* m_sideTabs = nullptr;
    QTabWidget* m_bottomTabs = nullptr;
    QLabel* m_statusTarget = nullptr;
    QAction* m_start = nullptr;
    QAction* m_pause = nullptr;
    QAction* m_stop = nullptr;
    QString m_lastDir;
};

} // namespace sluice
