#include "ui/attachfeed.h"

#include "ui/gateway/gatewaycockpit.h"
#include "ui/mainwindow.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/statsstrip.h"
#include "ui/session.h"

#include <QLabel>
#include <QStatusBar>

namespace sluice {

AttachFeed::AttachFeed(MainWindow* window, Session* session, GatewayCockpit* cockpit)
    : QObject(window)
    , m_window(window)
    , m_session(session)
    , m_cockpit(cockpit)
    , m_client(session->attachClient()) {
    m_status = new QLabel(window);
    m_status->setObjectName(QStringLiteral("attachStatus"));
    m_status->setTextFormat(Qt::RichText);
    m_status->hide();
    window->statusBar()->addPermanentWidget(m_status);

    connect(m_client, &AttachClient::stateChanged, this, &AttachFeed::onState);
    // The console's own gateway takes the cockpit: following another one ends.
    connect(&session->gateway(), &InProcessGatewayFeed::started, this, [this] {
        if (m_client->state() != AttachClient::State::Detached) {
            detach();
        }
    });
    if (m_client->state() != AttachClient::State::Detached) { // a window rebuilt while attached
        m_cockpit->setFeed(m_session->attachedFeed());
    }
    onState(m_client->state(), m_client->detail());
}

Result<void> AttachFeed::attach(const QString& url, const QByteArray& adminToken) {
    auto parsed = AttachClient::parseUrl(url);
    if (!parsed) {
        return parsed.error();
    }
    m_cockpit->setFeed(m_session->attachedFeed());
    m_client->attach(*parsed, adminToken);
    return {};
}

void AttachFeed::detach() {
    if (m_cockpit->feed() == m_session->attachedFeed()) {
        if (m_client->state() == AttachClient::State::Attached) {
            m_window->statsStrip()->setIdle();
            m_window->charts()->addMarker(tr("detached"));
        }
        m_cockpit->setFeed(nullptr); // back to the in-process gateway, running or not
    }
    m_client->detach();
}

void AttachFeed::onState(AttachClient::State state, const QString& detail) {
    const QString url = m_client->url().toString().toHtmlEscaped();
    QString text;
    QString colour;
    switch (state) {
    case AttachClient::State::Detached:
        m_status->hide();
        return;
    case AttachClient::State::Connecting:
        text = tr("Attaching to %1…").arg(url);
        colour = QStringLiteral("#6b6b6b");
        break;
    case AttachClient::State::Attached:
        text = tr("● Attached to gateway %1").arg(url);
        colour = QStringLiteral("#1e7b34");
        break;
    case AttachClient::State::Disconnected:
        text = tr("● Gateway disconnected — retrying (%1)").arg(detail.toHtmlEscaped());
        colour = QStringLiteral("#b3261e");
        break;
    case AttachClient::State::Unauthorized:
        text = tr("● Wrong admin token — not retrying (%1)").arg(detail.toHtmlEscaped());
        colour = QStringLiteral("#b3261e");
        break;
    }
    m_status->setText(QStringLiteral("<span style=\"color:%1\">%2</span>").arg(colour, text));
    m_status->setToolTip(detail);
    m_status->show();
}

} // namespace sluice
