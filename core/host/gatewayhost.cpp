#include "core/host/gatewayhost.h"

#include "core/server/gateway/gatewayserver.h"

namespace sluice {

GatewayHost::GatewayHost(QObject* parent)
    : QObject(parent)
    , m_worker(QStringLiteral("sluice-gateway"), WorkerThread::Loop::Epoll) {
    qRegisterMetaType<sluice::Error>();
    qRegisterMetaType<sluice::GatewayConfig>();
}

GatewayHost::~GatewayHost() = default; // m_worker deletes the gateway in its thread, then joins

Result<void> GatewayHost::start(const GatewayConfig& config) {
    if (m_state != State::Stopped) {
        return Error{Error::Kind::Invalid, {}, QStringLiteral("the gateway is already running")};
    }
    m_state = State::Starting;
    m_config = config;
    m_worker.post([this, config, factory = m_gateFactory, fleet = m_fleetFactory] {
        auto* server = new GatewayServer(config, nullptr, m_worker.context());
        if (factory) {
            server->setGate(factory(server->engine().clock()));
        }
        if (fleet) {
            server->setFleet(fleet());
        }
        if (auto listening = server->listen(); !listening) {
            const Error error = listening.error();
            delete server;
            handOffTo(this, [this, error] { onFailed(error); });
            return;
        }
        m_server = server;
        // Emitted here, re-emitted in the owner's thread: each value copied, then handed off.
        connect(server, &GatewayServer::configChanged, server, [this](const GatewayConfig& c) {
            handOffTo(this, [this, c] { Q_EMIT configChanged(c); });
        });
        connect(server, &GatewayServer::alarm, server, [this](const QString& message) {
            handOffTo(this, [this, message] { Q_EMIT alarm(message); });
        });
        handOffTo(this, [this, p = server->port()] { onStarted(p); });
    });
    return {};
}

void GatewayHost::stop() {
    if (m_state == State::Stopped || m_state == State::Stopping) {
        return;
    }
    m_state = State::Stopping;
    m_worker.post([this] {
        delete std::exchange(m_server, nullptr); // ends every request, closes every connection
        handOffTo(this, [this] { onStopped(); });
    });
}

void GatewayHost::post(std::function<void(GatewayServer&)> f) {
    m_worker.post([this, f = std::move(f)] {
        if (m_server) {
            f(*m_server);
        }
    });
}

void GatewayHost::onStarted(quint16 port) {
    if (m_state == State::Starting) {
        m_state = State::Running;
    }
    m_port = port;
    Q_EMIT started(port);
}

void GatewayHost::onFailed(const Error& error) {
    m_state = State::Stopped;
    m_port = 0;
    Q_EMIT failed(error);
}

void GatewayHost::onStopped() {
    m_state = State::Stopped;
    m_port = 0;
    Q_EMIT stopped();
}

} // namespace sluice
