#include "ui/attachfeed.h"

#include "core/host/attachwire.h"
#include "ui/mainwindow.h"
#include "ui/panels/alertslog.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/errorsview.h"
#include "ui/panels/limitspanel.h"
#include "ui/panels/requestspanel.h"
#include "ui/panels/statsstrip.h"
#include "ui/session.h"

#include <QLabel>
#include <QStatusBar>
#include <QTabWidget>

namespace sluice {

AttachFeed::AttachFeed(MainWindow* window, Session* session, AttachClient* client)
    : QObject(window)
    , m_window(window)
    , m_session(session)
    , m_client(client) {
    m_status = new QLabel(window);
    m_status->setObjectName(QStringLiteral("attachStatus"));
    m_status->setTextFormat(Qt::RichText);
    m_status->hide();
    window->statusBar()->addPermanentWidget(m_status);

    connect(client, &AttachClient::stateChanged, this, &AttachFeed::onState);
    connect(client, &AttachClient::snapshot, this, &AttachFeed::onSnapshot);
    connect(client, &AttachClient::requestsUpdated, this, &AttachFeed::onRequests);
    connect(client, &AttachClient::alertChanged, this, &AttachFeed::onAlert);
    connect(client, &AttachClient::configChanged, this, &AttachFeed::onConfig);
    connect(client, &AttachClient::alarm, this,
            [this](const QString& message) { addEvent(QStringLiteral("alarm"), message, false); });
    connect(client, &AttachClient::limitsRefused, this, [this](const Error& error) {
        m_window->statusBar()->showMessage(tr("Gateway refused the limits: %1").arg(error.text()),
                                           8000);
    });
    // While attached, the limits panel steers the gateway (the session keeps them too, for
    // the next run of the console's own).
    connect(window->limitsPanel(), &LimitsPanel::limitsChanged, this,
            [this](const TrafficLimits& limits) {
                if (m_client->state() == AttachClient::State::Attached && !runGoing() &&
                    limits.validate()) {
                    m_client->applyLimits(limits);
                }
            });
    onState(client->state(), client->detail());
}

Result<void> AttachFeed::attach(const QString& url, const QByteArray& adminToken) {
    auto parsed = AttachClient::parseUrl(url);
    if (!parsed) {
        return parsed.error();
    }
    m_everAttached = false;
    m_client->attach(*parsed, adminToken);
    return {};
}

void AttachFeed::detach() {
    m_client->detach();
}

bool AttachFeed::runGoing() const {
    return m_session->running();
}

void AttachFeed::onState(AttachClient::State state, const QString& detail) {
    const AttachClient::State before = std::exchange(m_last, state);
    const QString url = m_client->url().toString().toHtmlEscaped();
    QString text;
    QString colour;
    switch (state) {
    case AttachClient::State::Detached:
        m_status->hide();
        if (before != AttachClient::State::Detached) {
            m_window->statsStrip()->setIdle();
            addEvent(QStringLiteral("gateway"), tr("detached from %1").arg(url), true);
        }
        return;
    case AttachClient::State::Connecting:
        text = tr("Attaching to %1…").arg(url);
        colour = QStringLiteral("#6b6b6b");
        break;
    case AttachClient::State::Attached:
        text = tr("● Attached to gateway %1").arg(url);
        colour = QStringLiteral("#1e7b34");
        if (!runGoing()) {
            if (!m_everAttached) {
                // A new gateway: its own story from here.
                m_window->charts()->clear();
                m_window->charts()->clearAlerts();
                m_window->requestsPanel()->clear();
                m_window->errorsView()->clear();
                m_window->alertsLog()->clear();
                m_window->statsStrip()->clear();
            } else {
                // Counts restart with a restarted gateway: the table's rows are of the old one.
                m_window->requestsPanel()->clear();
            }
        }
        addEvent(QStringLiteral("gateway"),
                 m_everAttached ? tr("reattached") : tr("attached to %1").arg(url), true);
        m_everAttached = true;
        break;
    case AttachClient::State::Disconnected:
        text = tr("● Gateway disconnected — retrying (%1)").arg(detail.toHtmlEscaped());
        colour = QStringLiteral("#b3261e");
        if (before == AttachClient::State::Attached) {
            m_window->statsStrip()->setIdle();
            addEvent(QStringLiteral("gateway"), tr("gateway lost"), true);
        }
        break;
    case AttachClient::State::Unauthorized:
        text = tr("● Wrong admin token — not retrying (%1)").arg(detail.toHtmlEscaped());
        colour = QStringLiteral("#b3261e");
        if (before == AttachClient::State::Attached) {
            m_window->statsStrip()->setIdle();
        }
        break;
    }
    m_status->setText(QStringLiteral("<span style=\"color:%1\">%2</span>").arg(colour, text));
    m_status->setToolTip(detail);
    m_status->show();
}

void AttachFeed::onSnapshot(const EngineSnapshot& snapshot) {
    if (runGoing()) {
        return; // the run's own figures are on the charts
    }
    m_window->statsStrip()->setSnapshot(snapshot);
    m_window->errorsView()->setSnapshot(snapshot);
    m_window->charts()->addSnapshot(snapshot);
    m_window->limitsPanel()->setCurrentLimit(snapshot.limit);
}

void AttachFeed::onRequests(const QList<RequestUpdate>& updates) {
    if (runGoing()) {
        return;
    }
    m_window->requestsPanel()->apply(updates);
    m_window->charts()->addRequestUpdates(updates);
}

void AttachFeed::onAlert(const AlertEvent& alert) {
    if (runGoing()) {
        return;
    }
    m_window->charts()->applyAlert(alert);
    m_window->statsStrip()->applyAlert(alert.rule, alert.raised,
                                       alert.severity == AlertRule::Severity::Critical);
    m_window->alertsLog()->addAlert(alert);
    AlertsLog* log = m_window->alertsLog();
    QTabWidget* tabs = m_window->bottomTabs();
    tabs->setTabText(tabs->indexOf(log), log->alertCount() > 0
                                             ? tr("Alerts && events (%1)").arg(log->alertCount())
                                             : tr("Alerts && events"));
}

void AttachFeed::onConfig(const GatewayConfig& config, const QStringList& changes, bool ours) {
    LimitsPanel* panel = m_window->limitsPanel();
    panel->setLimits(attach::limitsOf(config, panel->limits()));
    if (changes.isEmpty()) {
        return;
    }
    const QString text = changes.join(QStringLiteral(", "));
    addEvent(ours ? QStringLiteral("limits") : QStringLiteral("config"),
             ours ? text : tr("changed elsewhere (v%1): %2").arg(config.version).arg(text), true);
    m_window->statusBar()->showMessage(ours ? tr("Gateway limits set: %1").arg(text)
                                            : tr("Gateway config changed elsewhere: %1").arg(text),
                                       6000);
}

void AttachFeed::addEvent(const QString& kind, const QString& text, bool marker) {
    m_window->alertsLog()->addEvent(BenchEvent{m_window->charts()->now(), kind, text});
    if (marker && !runGoing()) {
        QString label = text;
        if (label.size() > 40) {
            label = label.left(38) + QStringLiteral("…");
        }
        m_window->charts()->addMarker(label);
    }
}

} // namespace sluice
