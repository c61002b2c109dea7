#pragma once

#include "core/host/attachclient.h"

#include <QObject>
#include <QPointer>

class QLabel;

namespace sluice {

class MainWindow;
class Session;

/// Draws an attached gateway in the console: the AttachClient's snapshots, request updates and
/// alerts go to the charts, stats strip, requests table, errors and alerts as a run's do; its
/// config changes (ours or made elsewhere) become chart markers and the limits panel's values;
/// the limits panel's edits go to the gateway. Shows attached / disconnected / wrong token in
/// a status bar label. Lives in the GUI thread, a child of the window it draws into.
class AttachFeed final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AttachFeed)

public:
    AttachFeed(MainWindow* window, Session* session, AttachClient* client);

    /// Follows the gateway at `url` ("host:port" or a URL); the error names "url" when it is
    /// not an address.
    Result<void> attach(const QString& url, const QByteArray& adminToken);
    void detach();
    AttachClient* client() const { return m_client; }
    /// The status bar label (objectName "attachStatus").
    QLabel* statusLabel() const { return m_status; }

private:
    void onState(AttachClient::State state, const QString& detail);
    void onSnapshot(const EngineSnapshot& snapshot);
    void onRequests(const QList<RequestUpdate>& updates);
    void onAlert(const AlertEvent& alert);
    void onConfig(const GatewayConfig& config, const QStringList& changes, bool ours);
    void addEvent(const QString& kind, const QString& text, bool marker);
    /// A run of the console's own is going: its figures own the charts.
    bool runGoing() const;

    MainWindow* m_window;
    Session* m_session;
    AttachClient* m_client;
    QLabel* m_status = nullptr;
    AttachClient::State m_last = AttachClient::State::Detached;
    bool m_everAttached = false;
};

} // namespace sluice
