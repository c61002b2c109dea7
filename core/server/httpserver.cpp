#include "core/server/httpserver.h"

#include "core/net/receivestamp.h"
#include <QPointer>
#include <QTcpSocket>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace sluice {

namespace {

int sweepIntervalMs(const HttpServerLimits& limits) {
    int shortest = 0;
    for (const int ms : {limits.headerTimeoutMs, limits.bodyTimeoutMs, limits.idleTimeoutMs}) {
        if (ms > 0 && (shortest == 0 || ms < shortest)) {
            shortest = ms;
        }
    }
    return shortest == 0 ? 0 : std::clamp(shortest / 10, 10, 1000);
}

// Errors accept() may return for one connection that went wrong before we took it (Linux passes
// pending network errors on this way): skip it and take the next.
bool isPerConnectionError(int error) {
    switch (error) {
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EPERM: // refused by a firewall rule
        return true;
    default:
        return false;
    }
}

// Connections taken per wake-up, so that a flood of them cannot starve the rest of the loop.
constexpr int kAcceptBatch = 256;

} // namespace

HttpServer::HttpServer(HttpHandler handler, QObject* parent)
    : QObject(parent)
    , m_tcp(this)
    , m_handler(std::move(handler))
    , m_sweep(this)
    , m_acceptRetry(this) {
    m_tcp.setListenBacklogSize(4096);
    m_sweep.setInterval(sweepIntervalMs(m_limits));
    connect(&m_sweep, &QTimer::timeout, this, &HttpServer::sweep);
    m_acceptRetry.setSingleShot(true);
    connect(&m_acceptRetry, &QTimer::timeout, this, &HttpServer::retryAccept);
}

HttpServer::~HttpServer() {
    close();
    // Before m_http2Stats goes: their HTTP/2 sessions count into it as they end.
    const QSet<HttpConnection*> live = std::exchange(m_live, {});
    qDeleteAll(live);
}

bool HttpServer::listen(const QHostAddress& address, quint16 port) {
    if (!m_tcp.listen(address, port)) {
        return false;
    }
    m_tcp.pauseAccepting(); // before the event loop runs: it never accepts a connection itself
    m_acceptNotifier =
        std::make_unique<QSocketNotifier>(m_tcp.socketDescriptor(), QSocketNotifier::Read, this);
    connect(m_acceptNotifier.get(), &QSocketNotifier::activated, this, &HttpServer::acceptPending);
    return true;
}

void HttpServer::close() {
    m_acceptRetry.stop();
    m_acceptNotifier.reset(); // before its descriptor closes
    m_tcp.close();
}

void HttpServer::setLimits(const HttpServerLimits& limits) {
    m_limits = limits;
    const int interval = sweepIntervalMs(limits);
    m_sweep.setInterval(interval);
    if (interval == 0) {
        m_sweep.stop();
    } else if (!m_live.isEmpty() && !m_sweep.isActive()) {
        m_sweep.start();
    }
}

void HttpServer::acceptPending() {
    const int listener = static_cast<int>(m_tcp.socketDescriptor());
    for (int taken = 0; taken < kAcceptBatch; ++taken) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            const int error = errno;
            if (error == EINTR || isPerConnectionError(error)) {
                continue;
            }
            if (error != EAGAIN && error != EWOULDBLOCK) {
                pauseAccepting(error); // EMFILE, ENFILE, ENOBUFS, ENOMEM
            }
            break;
        }
        // A plain QAbstractSocket: a QTcpSocket stays buffered whatever mode it is opened in
        // (only connectToHost() clears that). Unbuffered: see HttpConnection for what that
        // asks of the reader.
        auto* socket = new QAbstractSocket(QAbstractSocket::TcpSocket, nullptr);
        if (!socket->setSocketDescriptor(fd, QAbstractSocket::ConnectedState,
                                         QIODevice::ReadWrite | QIODevice::Unbuffered)) {
            delete socket;
            ::close(fd);
            continue;
        }
        if (m_limits.receiveStamps) {
            enableReceiveStamps(fd);
        }
        ++m_accepted;
        m_acceptFailing = false;
        auto* connection = new HttpConnection(socket, m_handler, m_limits, this, &m_http2Stats);
        m_live.insert(connection);
        connect(connection, &HttpConnection::closed, this,
                [this, connection] { onConnectionClosed(connection); });
    }
    if (!m_live.isEmpty() && !m_sweep.isActive() && m_sweep.interval() > 0) {
        m_sweep.start();
    }
}

void HttpServer::onConnectionClosed(HttpConnection* connection) {
    m_live.remove(connection);
    if (m_live.isEmpty()) {
        m_sweep.stop(); // an idle server does not wake up
    }
    // A descriptor is free again (once the socket has finished closing, hence the next turn
    // of the event loop): take the connections that queued up meanwhile without waiting.
    if (m_acceptRetry.isActive()) {
        m_acceptRetry.start(0);
    }
}

void HttpServer::pauseAccepting(int error) {
    ++m_acceptErrors;
    // The waiting connections keep the listening socket readable: watching it now would wake
    // the loop at once, for nothing, again and again. Look again a little later.
    m_acceptNotifier->setEnabled(false);
    m_acceptRetry.start(kAcceptRetryMs);
    if (!m_acceptFailing) {
        m_acceptFailing = true;
        Q_EMIT acceptPaused(qt_error_string(error));
    }
}

void HttpServer::retryAccept() {
    if (m_acceptNotifier) {
        m_acceptNotifier->setEnabled(true);
    }
}

void HttpServer::sweep() {
    const qint64 now = HttpConnection::nowMs();
    // Collected first: acting on a connection may close it, which edits m_live.
    std::vector<QPointer<HttpConnection>> overdue;
    for (HttpConnection* connection : std::as_const(m_live)) {
        if (connection->isOverdue(now)) {
            overdue.emplace_back(connection);
        }
    }
    for (const QPointer<HttpConnection>& connection : overdue) {
        if (connection) {
            connection->expire();
        }
    }
}

} // namespace sluice
