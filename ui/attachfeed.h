#pragma once

#include "core/host/attachclient.h"
#include "core/result.h"

#include <QObject>

class QLabel;

namespace sluice {

class GatewayCockpit;
class MainWindow;
class Session;

/// Follows a gateway running elsewhere (Gateway → Attach…, --attach): starts and stops the
/// session's AttachClient, hands the cockpit the attached feed (Session::attachedFeed()) while
/// attached, so the charts, stats strip, requests, alerts, limits panel and the Clients, Keys,
/// Overhead and Request detail views draw it exactly as they draw the in-process gateway, and
/// shows attached / disconnected / wrong token in a status bar label. Starting the in-process
/// gateway detaches. Lives in the GUI thread, a child of the window.
class AttachFeed final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AttachFeed)

public:
    AttachFeed(MainWindow* window, Session* session, GatewayCockpit* cockpit);

    /// Follows the gateway at `url` ("host:port" or a URL); the error names "url" when it is
    /// not an address.
    Result<void> attach(const QString& url, const QByteArray& adminToken);
    void detach();
    AttachClient* client() const { return m_client; }
    /// The status bar label (objectName "attachStatus").
    QLabel* statusLabel() const { return m_status; }

private:
    void onState(AttachClient::State state, const QString& detail);

    MainWindow* m_window;
    Session* m_session;
    GatewayCockpit* m_cockpit;
    AttachClient* m_client;
    QLabel* m_status = nullptr;
};

} // namespace sluice
