#include "ui/gateway/gatewaycockpit.h"

#include "core/bench/benchprogress.h"
#include "core/bench/runstats.h"
#include "core/host/inprocessgatewayfeed.h"
#include "ui/gateway/clientsview.h"
#include "ui/gateway/keysview.h"
#include "ui/gateway/overheadview.h"
#include "ui/gateway/requestdetailview.h"
#include "ui/gateway/sharedkeydemo.h"
#include "ui/gateway/startgatewaydialog.h"
#include "ui/models/requestfiltermodel.h"
#include "ui/models/requesttablemodel.h"
#include "ui/panels/alertslog.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/errorsview.h"
#include "ui/panels/limitspanel.h"
#include "ui/panels/requestspanel.h"
#include "ui/panels/statsstrip.h"
#include "ui/session.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QItemSelectionModel>
#include <QMenu>
#include <QTabWidget>
#include <QTableView>

#include <algorithm>

namespace sluice {

namespace {

// The live limits of GET /admin/config that the limits panel shows, in marker order.
const char* const kLimitFields[] = {"max_concurrent", "adaptive", "adaptive_max", "rpm", "tpm",
                                    "queue_size",     "retries"};

QString valueText(const QJsonValue& v) {
    if (v.isBool()) {
        return v.toBool() ? QStringLiteral("on") : QStringLiteral("off");
    }
    return v.isDouble() ? QString::number(v.toDouble()) : v.toString();
}

} // namespace

GatewayCockpit::GatewayCockpit(Session* session, const Panels& panels, QWidget* window)
    : QObject(window)
    , m_session(session)
    , m_panels(panels)
    , m_window(window) {
    QTabWidget* tabs = panels.bottomTabs;
    m_clients = new ClientsView(tabs);
    m_keys = new KeysView(tabs);
    m_overhead = new OverheadView(tabs);
    m_detail = new RequestDetailView(tabs);
    tabs->addTab(m_clients, tr("Clients"));
    tabs->addTab(m_keys, tr("Keys"));
    tabs->addTab(m_overhead, tr("Overhead"));
    tabs->addTab(m_detail, tr("Request detail"));

    m_menu = new QMenu(tr("&Gateway"), window);
    m_menu->setObjectName(QStringLiteral("gatewayMenu"));
    m_startAction = m_menu->addAction(tr("&Start here…"), this, &GatewayCockpit::startDialog);
    m_startAction->setObjectName(QStringLiteral("startGatewayAction"));
    m_startAction->setToolTip(tr("Run a gateway inside the console, for the programs on this "
                                 "machine to send through."));
    m_stopAction = m_menu->addAction(tr("S&top gateway"), this, &GatewayCockpit::stopGateway);
    m_stopAction->setObjectName(QStringLiteral("stopGatewayAction"));
    m_stopAction->setEnabled(false);
    m_menu->addAction(tr("&Copy base URL"), this, [this] {
        if (live()) {
            QApplication::clipboard()->setText(m_feed->baseUrl() + QStringLiteral("/v1"));
        }
    });
    m_menu->addSeparator();
    m_demo = new SharedKeyDemo(session, this, this);
    m_menu->addAction(tr("Demo: %1").arg(SharedKeyDemo::title()), this, [this] {
        if (auto played = playSharedKeyDemo(); !played) {
            Q_EMIT message(played.error().text());
        }
    });
    connect(m_demo, &SharedKeyDemo::captionChanged, this, &GatewayCockpit::captionChanged);
    connect(m_demo, &SharedKeyDemo::finished, this, [this] { Q_EMIT captionChanged({}, {}); });

    connect(panels.limits, &LimitsPanel::limitsChanged, this, &GatewayCockpit::onLimitsEdited);
    QTableView* view = panels.requests->view();
    connect(view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &GatewayCockpit::onRowSelected);
    connect(view, &QTableView::doubleClicked, this, [this] {
        if (live()) {
            m_panels.bottomTabs->setCurrentWidget(m_detail);
        }
    });
    connect(m_detail, &RequestDetailView::detailWanted, this, [this](std::uint64_t id) {
        if (m_feed) {
            m_feed->fetchRequest(id);
        }
    });
    // The strip's process tile speaks of the run's client during a run, of the gateway else.
    connect(session, &Session::runStarted, this,
            [this] { m_panels.stats->setGatewaySubject(false); });
    connect(session, &Session::runFinished, this,
            [this] { m_panels.stats->setGatewaySubject(live()); });
    m_feed = &session->gateway();
    connectFeed();
    if (m_feed->live()) { // a window rebuilt (a language switch) while the gateway runs
        onLive(true, m_feed->description());
    }
}

Result<void> GatewayCockpit::startGateway(const GatewayStartOptions& options) {
    auto config = makeGatewayConfig(options, m_session->mockBaseUrl());
    if (!config) {
        return config.error();
    }
    if (m_feed != &m_session->gateway()) {
        setFeed(nullptr);
    }
    m_lastOptions = options;
    return m_session->gateway().start(*config);
}

void GatewayCockpit::addAttachActions(QAction* attach, QAction* detach) {
    m_menu->insertAction(m_stopAction, attach);
    const QList<QAction*> actions = m_menu->actions();
    const qsizetype stop = actions.indexOf(m_stopAction);
    m_menu->insertAction(stop + 1 < actions.size() ? actions.at(stop + 1) : nullptr, detach);
}

void GatewayCockpit::stopGateway() {
    m_session->gateway().stop();
}

Result<void> GatewayCockpit::playSharedKeyDemo(const QString& listen) {
    return m_demo->play(listen);
}

void GatewayCockpit::startDialog() {
    auto* dialog = new StartGatewayDialog(m_lastOptions, m_window);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setStarter([this](const GatewayStartOptions& o) { return startGateway(o); });
    dialog->open();
}

void GatewayCockpit::setFeed(GatewayFeed* feed) {
    for (const QMetaObject::Connection& c : std::as_const(m_feedConnections)) {
        disconnect(c);
    }
    m_feedConnections.clear();
    m_config = {};
    m_feed = feed ? feed : &m_session->gateway();
    connectFeed();
    if (m_feed->live()) {
        onLive(true, m_feed->description());
    }
}

void GatewayCockpit::connectFeed() {
    GatewayFeed* f = m_feed;
    m_feedConnections = {
        connect(f, &GatewayFeed::liveChanged, this, &GatewayCockpit::onLive),
        connect(f, &GatewayFeed::snapshot, this, &GatewayCockpit::onSnapshot),
        connect(f, &GatewayFeed::requestsUpdated, this, &GatewayCockpit::onUpdates),
        connect(f, &GatewayFeed::statsUpdated, this, &GatewayCockpit::onStats),
        connect(f, &GatewayFeed::configChanged, this, &GatewayCockpit::onConfig),
        connect(f, &GatewayFeed::requestDetail, m_detail, &RequestDetailView::setDetail),
        connect(f, &GatewayFeed::requestDetailMissing, m_detail, &RequestDetailView::setMissing),
        connect(f, &GatewayFeed::limitsRefused, this,
                [this](const QString& e) {
                    Q_EMIT message(tr("Gateway refused the limits: %1").arg(e));
                }),
        connect(f, &GatewayFeed::alarm, this,
                [this](const QString& text) {
                    m_panels.alerts->addEvent(
                        BenchEvent{m_panels.charts->now(), QStringLiteral("alarm"), text});
                    Q_EMIT message(text);
                }),
    };
}

bool GatewayCockpit::inProcess() const {
    return m_feed == &m_session->gateway();
}

bool GatewayCockpit::drawsOnPanels() const {
    return live() && !m_session->running();
}

void GatewayCockpit::onLive(bool live, const QString& text) {
    m_startAction->setEnabled(!m_session->gateway().running() && !m_session->gateway().starting());
    m_stopAction->setEnabled(m_session->gateway().running());
    if (live) {
        m_haveSecond = false;
        m_alertMonitor = AlertMonitor{};
        if (!m_session->running()) {
            m_panels.stats->clear();
            m_panels.errors->clear();
            m_panels.requests->clear();
            m_panels.charts->clearAlerts();
        }
        if (!m_session->running()) {
            m_panels.stats->setGatewaySubject(true);
        }
        m_clients->clear();
        m_keys->clear();
        m_overhead->clear();
        m_detail->clear();
        m_panels.charts->addMarker(inProcess() ? tr("gateway started") : tr("attached"));
        Q_EMIT statusChanged(tr("Gateway: send to %1/v1").arg(m_feed->baseUrl()));
    } else {
        m_config = {}; // an attached gateway says its config before it is live: kept till here
        if (!m_session->running()) {
            m_panels.stats->setIdle();
        }
        m_panels.charts->addMarker(inProcess() ? tr("gateway stopped") : tr("gateway lost"));
        if (m_demo->playing() && !m_session->gateway().starting()) {
            m_demo->stop();
        }
        Q_EMIT statusChanged(tr("Gateway: %1").arg(text));
    }
}

void GatewayCockpit::onSnapshot(const EngineSnapshot& s) {
    if (!drawsOnPanels()) {
        return;
    }
    m_panels.stats->setSnapshot(s);
    m_panels.errors->setSnapshot(s);
    m_panels.charts->addSnapshot(s);
    m_panels.limits->setCurrentLimit(s.limit);
    // Alerts over whole seconds, as a run evaluates them.
    if (!m_haveSecond) {
        m_lastSecond = s;
        m_haveSecond = true;
        return;
    }
    if (s.at - m_lastSecond.at < std::chrono::seconds(1)) {
        return;
    }
    const SecondTotals second = SecondTotals::between(m_lastSecond, s);
    m_lastSecond = s;
    for (const AlertEvent& e : m_alertMonitor.evaluate(s.at, alertValues(s, second))) {
        Q_EMIT alertChanged(e);
    }
}

void GatewayCockpit::onUpdates(const QList<RequestUpdate>& updates) {
    m_detail->recordUpdates(updates);
    // Request detail open with no row picked: it follows the latest ended request.
    if (m_detail->following() && m_detail->isVisible()) {
        for (auto it = updates.crbegin(); it != updates.crend(); ++it) {
            if (isTerminal(it->state)) {
                m_detail->offerLatest(it->id);
                break;
            }
        }
    }
    if (!drawsOnPanels()) {
        return;
    }
    m_panels.requests->apply(updates);
    m_panels.charts->addRequestUpdates(updates);
}

void GatewayCockpit::onStats(const GatewayStats& stats) {
    m_clients->setStats(stats);
    m_keys->setStats(stats);
    m_overhead->setStats(stats);
}

TrafficLimits GatewayCockpit::limitsFromConfig(const QJsonObject& c, TrafficLimits l) {
    const bool adaptive = c.value(QStringLiteral("adaptive")).toBool();
    l.algorithm =
        adaptive ? ConcurrencyConfig::Algorithm::Combined : ConcurrencyConfig::Algorithm::Fixed;
    l.maxConcurrency = adaptive ? c.value(QStringLiteral("adaptive_max")).toInt()
                                : c.value(QStringLiteral("max_concurrent")).toInt();
    if (adaptive) {
        l.adaptiveMin = c.value(QStringLiteral("adaptive_min")).toInt(1);
        l.adaptiveInitial = std::clamp(c.value(QStringLiteral("max_concurrent")).toInt(),
                                       l.adaptiveMin, std::max(l.adaptiveMin, l.maxConcurrency));
    }
    l.rpm = static_cast<std::int64_t>(c.value(QStringLiteral("rpm")).toDouble());
    l.tpm = static_cast<std::int64_t>(c.value(QStringLiteral("tpm")).toDouble());
    l.queueCapacity = c.value(QStringLiteral("queue_size")).toInt(l.queueCapacity);
    l.retries = c.value(QStringLiteral("retries")).toInt(l.retries);
    return l;
}

QJsonObject GatewayCockpit::configChange(const TrafficLimits& l) {
    QJsonObject change{{QStringLiteral("rpm"), static_cast<double>(l.rpm)},
                       {QStringLiteral("tpm"), static_cast<double>(l.tpm)},
                       {QStringLiteral("queue_size"), l.queueCapacity},
                       {QStringLiteral("retries"), std::min(l.retries, 10)},
                       {QStringLiteral("adaptive"), l.adaptive()}};
    const int most = l.maxConcurrency > 0 ? l.maxConcurrency : 100000; // 0 in the panel: none
    if (l.adaptive()) {
        change.insert(QStringLiteral("adaptive_min"), std::max(1, l.adaptiveMin));
        change.insert(QStringLiteral("adaptive_max"), most);
        change.insert(QStringLiteral("max_concurrent"), std::clamp(l.adaptiveInitial, 1, most));
    } else {
        change.insert(QStringLiteral("max_concurrent"), most);
    }
    return change;
}

void GatewayCockpit::onConfig(const QJsonObject& config) {
    const QJsonObject before = m_config;
    m_config = config;
    const int version = config.value(QStringLiteral("version")).toInt();
    if (!m_session->running()) {
        m_panels.limits->setLimits(limitsFromConfig(config, m_panels.limits->limits()));
    }
    if (before.isEmpty()) {
        return; // the config it started with
    }
    QStringList changes;
    for (const char* field : kLimitFields) {
        const QString key = QLatin1String(field);
        if (before.value(key) != config.value(key)) {
            changes << QStringLiteral("%1 %2 → %3")
                           .arg(key, valueText(before.value(key)), valueText(config.value(key)));
        }
    }
    if (before.value(QStringLiteral("clients")) != config.value(QStringLiteral("clients"))) {
        changes << tr("clients");
    }
    if (changes.isEmpty()) {
        return;
    }
    const bool ours = version == m_pendingVersion;
    const QString text = changes.join(QStringLiteral(", "));
    QString label = ours ? text : tr("v%1 (elsewhere): %2").arg(version).arg(text);
    m_panels.alerts->addEvent(BenchEvent{m_panels.charts->now(), QStringLiteral("limits"), label});
    if (label.size() > 40) {
        label = label.left(38) + QStringLiteral("…");
    }
    m_panels.charts->addMarker(label);
    if (!ours) {
        Q_EMIT message(tr("The gateway's limits were changed elsewhere (version %1): %2")
                           .arg(version)
                           .arg(text));
    }
}

void GatewayCockpit::onLimitsEdited(const TrafficLimits& limits) {
    if (!drawsOnPanels()) {
        return;
    }
    m_pendingVersion = m_config.value(QStringLiteral("version")).toInt() + 1;
    m_feed->applyLimits(configChange(limits));
}

void GatewayCockpit::onRowSelected() {
    if (!live()) {
        return;
    }
    const QModelIndex current = m_panels.requests->view()->currentIndex();
    if (!current.isValid()) {
        return;
    }
    const QModelIndex source = m_panels.requests->filterModel()->mapToSource(current);
    if (!source.isValid()) {
        return;
    }
    m_detail->showRequest(m_panels.requests->model()->idAt(source.row()));
}

} // namespace sluice
