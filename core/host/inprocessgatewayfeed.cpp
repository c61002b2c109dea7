#include "core/host/inprocessgatewayfeed.h"

#include "core/server/gateway/gatewayserver.h"

namespace sluice {

InProcessGatewayFeed::InProcessGatewayFeed(QObject* parent)
    : GatewayFeed(parent) {
    qRegisterMetaType<sluice::GatewayStats>();
    qRegisterMetaType<sluice::GatewayRequestDetail>();
    qRegisterMetaType<sluice::EngineSnapshot>();
    qRegisterMetaType<QList<sluice::RequestUpdate>>();
    m_statsTimer.setInterval(500);
    connect(&m_statsTimer, &QTimer::timeout, this, &InProcessGatewayFeed::pollStats);
    connect(&m_host, &GatewayHost::started, this, &InProcessGatewayFeed::onStarted);
    connect(&m_host, &GatewayHost::failed, this, [this](const Error& error) {
        Q_EMIT failed(error);
        Q_EMIT liveChanged(false, error.text());
    });
    connect(&m_host, &GatewayHost::stopped, this, [this] {
        m_statsTimer.stop();
        m_statsPending = false;
        Q_EMIT stopped();
        Q_EMIT liveChanged(false, tr("gateway stopped"));
    });
    connect(&m_host, &GatewayHost::configChanged, this,
            [this](const GatewayConfig& config) { Q_EMIT configChanged(config.toJson()); });
    connect(&m_host, &GatewayHost::alarm, this, &GatewayFeed::alarm);
}

InProcessGatewayFeed::~InProcessGatewayFeed() = default;

Result<void> InProcessGatewayFeed::start(const GatewayConfig& config) {
    if (auto valid = config.validate(); !valid) {
        return valid;
    }
    return m_host.start(config);
}

void InProcessGatewayFeed::stop() {
    m_host.stop();
}

QString InProcessGatewayFeed::baseUrl() const {
    if (!m_host.running()) {
        return {};
    }
    const QHostAddress address = m_host.config().listenAddress;
    const QString host = address == QHostAddress::Any || address == QHostAddress::AnyIPv4
                             ? QStringLiteral("127.0.0.1")
                             : address.toString();
    return QStringLiteral("http://%1:%2").arg(host).arg(m_host.port());
}

QString InProcessGatewayFeed::description() const {
    return m_host.running() ? tr("in-process gateway at %1").arg(baseUrl())
                            : tr("in-process gateway (stopped)");
}

void InProcessGatewayFeed::onStarted(quint16 port) {
    // The engine's own signals, straight to this feed (queued across the threads). The
    // connections go with the server when it is deleted in its thread.
    m_host.post([this](GatewayServer& server) {
        connect(&server.engine(), &RequestEngine::snapshotReady, this, &GatewayFeed::snapshot);
        connect(&server.engine(), &RequestEngine::requestsUpdated, this,
                &GatewayFeed::requestsUpdated);
        QMetaObject::invokeMethod(
            this, [this, config = server.config().toJson()] { Q_EMIT configChanged(config); });
    });
    m_statsTimer.start();
    Q_EMIT started(port);
    Q_EMIT liveChanged(true, description());
}

void InProcessGatewayFeed::pollStats() {
    if (m_statsPending || !m_host.running()) {
        return;
    }
    m_statsPending = true;
    m_host.post([this](GatewayServer& server) {
        QMetaObject::invokeMethod(this, [this, json = server.statsJson()] {
            m_statsPending = false;
            if (auto stats = parseGatewayStats(json)) {
                Q_EMIT statsUpdated(*stats);
            }
        });
    });
}

void InProcessGatewayFeed::applyLimits(const QJsonObject& change) {
    if (!m_host.running()) {
        Q_EMIT limitsRefused(tr("the gateway is not running"));
        return;
    }
    m_host.post([this, change](GatewayServer& server) {
        if (auto applied = server.applyLimits(change); !applied) {
            QMetaObject::invokeMethod(
                this, [this, text = applied.error().text()] { Q_EMIT limitsRefused(text); });
        }
    });
}

void InProcessGatewayFeed::fetchRequest(std::uint64_t id) {
    m_host.post([this, id](GatewayServer& server) {
        QMetaObject::invokeMethod(this, [this, id, json = server.requestJson(id)] {
            auto detail =
                json.isEmpty() ? Result<GatewayRequestDetail>(Error{}) : parseGatewayRequest(json);
            if (detail) {
                Q_EMIT requestDetail(*detail);
            } else {
                Q_EMIT requestDetailMissing(id);
            }
        });
    });
}

} // namespace sluice
