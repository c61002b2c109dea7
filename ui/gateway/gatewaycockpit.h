#pragma once

#include "core/bench/benchrunner.h" // AlertEvent's metatype
#include "core/bench/trafficlimits.h"
#include "core/host/gatewayfeed.h"
#include "core/metrics/alerts.h"
#include "ui/gateway/gatewaystart.h"

#include <QJsonObject>
#include <QObject>
#include <QPointer>

class QMenu;
class QAction;
class QTabWidget;
class QWidget;

namespace sluice {

class AlertsLog;
class ChartsPanel;
class ClientsView;
class ErrorsView;
class KeysView;
class LimitsPanel;
class OverheadView;
class RequestDetailView;
class RequestsPanel;
class Session;
class SharedKeyDemo;
class StatsStrip;

/// The console as a gateway's cockpit: routes a GatewayFeed (the in-process gateway of the
/// session, or an attached one through setFeed()) into the window's panels — charts, stats
/// strip, alerts, requests, errors and the limits panel — while no benchmark run has them,
/// and always into its own views (Clients, Keys, Overhead, Request detail), which it adds to
/// the window's bottom tabs. A limit changed in the limits panel goes to the gateway as a
/// live config change; every config version the gateway reports (the console's or anyone
/// else's) is a marker on the charts. GUI thread only; owns nothing but its views and menu.
class GatewayCockpit final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayCockpit)

public:
    /// The window's panels the gateway's traffic is drawn on (not owned; they outlive this).
    struct Panels {
        ChartsPanel* charts = nullptr;
        StatsStrip* stats = nullptr;
        RequestsPanel* requests = nullptr;
        ErrorsView* errors = nullptr;
        AlertsLog* alerts = nullptr;
        LimitsPanel* limits = nullptr;
        QTabWidget* bottomTabs = nullptr;
    };

    GatewayCockpit(Session* session, const Panels& panels, QWidget* window);

    /// The Gateway menu (Start here…, Stop), for the window's menu bar.
    QMenu* menu() const { return m_menu; }
    /// Puts Attach… after Start here… and Detach after Stop gateway (the window's actions:
    /// following a gateway elsewhere is the AttachFeed's, which hands this its feed).
    void addAttachActions(QAction* attach, QAction* detach);
    /// Starts the session's in-process gateway (the dialog's path, and `--gateway`).
    Result<void> startGateway(const GatewayStartOptions& options);
    void stopGateway();
    /// Shows the dialog and starts the gateway it describes.
    void startDialog();
    /// Follows another feed instead of the in-process gateway (`--attach`); null: back to it.
    void setFeed(GatewayFeed* feed);
    GatewayFeed* feed() const { return m_feed; }
    bool live() const { return m_feed && m_feed->live(); }
    /// The feed is the session's in-process gateway (not an attached one).
    bool inProcess() const;

    ClientsView* clientsView() const { return m_clients; }
    KeysView* keysView() const { return m_keys; }
    OverheadView* overheadView() const { return m_overhead; }
    RequestDetailView* detailView() const { return m_detail; }
    ChartsPanel* panelsCharts() const { return m_panels.charts; }
    /// Demo 5, "three programs share one key" (SharedKeyDemo); `listen` empty: any free port.
    Result<void> playSharedKeyDemo(const QString& listen = {});
    SharedKeyDemo* sharedKeyDemo() const { return m_demo; }

    /// The gateway config's live limits shown in the limits panel, and back.
    static TrafficLimits limitsFromConfig(const QJsonObject& config, TrafficLimits base);
    static QJsonObject configChange(const TrafficLimits& limits);

Q_SIGNALS:
    void alertChanged(const sluice::AlertEvent& alert);
    /// For the status line: where callers send, or that the gateway stopped.
    void statusChanged(const QString& text);
    void message(const QString& text);
    /// Demo 5's caption (empty text: hide it).
    void captionChanged(const QString& title, const QString& caption);

private:
    void connectFeed();
    bool drawsOnPanels() const;
    void onLive(bool live, const QString& text);
    void onSnapshot(const EngineSnapshot& snapshot);
    void onUpdates(const QList<RequestUpdate>& updates);
    void onStats(const GatewayStats& stats);
    void onConfig(const QJsonObject& config);
    void onLimitsEdited(const TrafficLimits& limits);
    void onRowSelected();

    Session* m_session;
    Panels m_panels;
    QWidget* m_window;
    QPointer<GatewayFeed> m_feed;
    QList<QMetaObject::Connection> m_feedConnections;
    ClientsView* m_clients = nullptr;
    KeysView* m_keys = nullptr;
    OverheadView* m_overhead = nullptr;
    RequestDetailView* m_detail = nullptr;
    SharedKeyDemo* m_demo = nullptr;
    QMenu* m_menu = nullptr;
    QAction* m_startAction = nullptr;
    QAction* m_stopAction = nullptr;
    GatewayStartOptions m_lastOptions;

    QJsonObject m_config;      ///< the last config the gateway reported
    int m_pendingVersion = -1; ///< the version the console's own change will have
    AlertMonitor m_alertMonitor;
    EngineSnapshot m_lastSecond; ///< the snapshot that closed the last second, for alert deltas
    bool m_haveSecond = false;
};

} // namespace sluice
