#include "core/host/mockhost.h"

#include "core/server/mock/mockserver.h"

#include <QTimer>

namespace sluice {

MockHost::MockHost(QObject* parent)
    : QObject(parent)
    , m_worker(QStringLiteral("sluice-mock")) {
    qRegisterMetaType<sluice::Error>();
    qRegisterMetaType<sluice::MockConfig>();
}

MockHost::~MockHost() = default; // m_worker deletes the server in its thread, then joins

QUrl MockHost::baseUrl() const {
    return m_port ? QUrl(QStringLiteral("http://127.0.0.1:%1/v1").arg(m_port)) : QUrl();
}

Result<void> MockHost::start(const MockConfig& config, quint16 port) {
    if (m_state != State::Stopped) {
        return Error{
            Error::Kind::Invalid, {}, QStringLiteral("the built-in mock is already running")};
    }
    if (auto valid = config.validate(); !valid) {
        return valid;
    }
    m_state = State::Starting;
    m_config = config;
    m_worker.post([this, config, port, statsMs = m_statsIntervalMs] {
        auto* server = new MockServer(config, m_worker.context());
        if (!server->listen(QHostAddress::LocalHost, port)) {
            const Error error{Error::Kind::Unavailable, QStringLiteral("port"),
                              server->errorString()};
            delete server;
            handOffTo(this, [this, error] { onFailed(error); });
            return;
        }
        m_server = server;
        if (statsMs > 0) {
            auto* timer = new QTimer(server);
            connect(timer, &QTimer::timeout, server, [this, server] {
                handOffTo(this, [this, s = server->statsJson()] { Q_EMIT stats(s); });
            });
            timer->start(statsMs);
        }
        handOffTo(this, [this, p = server->port()] { onStarted(p); });
    });
    return {};
}

void MockHost::stop() {
    if (m_state == State::Stopped || m_state == State::Stopping) {
        return;
    }
    m_state = State::Stopping;
    m_worker.post([this] {
        delete std::exchange(m_server, nullptr); // closes every connection
        handOffTo(this, [this] { onStopped(); });
    });
}

Result<void> MockHost::setConfig(const MockConfig& config) {
    if (auto valid = config.validate(); !valid) {
        return valid;
    }
    m_config = config;
    m_worker.post([this, config] {
        if (m_server) {
            (void)m_server->setConfig(config); // validated above
        }
    });
    return {};
}

void MockHost::onStarted(quint16 port) {
    if (m_state == State::Starting) {
        m_state = State::Running;
    }
    m_port = port;
    Q_EMIT started(port);
}

void MockHost::onFailed(const Error& error) {
    m_state = State::Stopped;
    m_port = 0;
    Q_EMIT failed(error);
}

void MockHost::onStopped() {
    m_state = State::Stopped;
    m_port = 0;
    Q_EMIT stopped();
}

} // namespace sluice
