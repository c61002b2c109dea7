#pragma once

#include "core/server/http2stats.h"
#include "core/server/httpconnection.h"

#include <QHostAddress>
#include <QObject>
#include <QSet>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTimer>

#include <memory>

namespace sluice {

/// A small, fast HTTP/1.1 server on QTcpServer and http-parser: keep-alive, pipelining, chunked
/// streaming, limits on what clients send and how long they take (HttpServerLimits). The mock
/// LLM server and the gateway are handlers on it. Lives in one thread; all handler calls happen
/// in that thread. Its sockets, notifier and timers are its children (members, parented to it),
/// as are its connections, so moveToThread() (called from its thread, as Qt requires) takes
/// them all along. The hosts (core/host/) create their servers in the worker thread instead.
class HttpServer final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpServer)

public:
    explicit HttpServer(HttpHandler handler, QObject* parent = nullptr);
    ~HttpServer() override;

    /// Starts listening (backlog 4096). Port 0 picks a free port; see serverPort().
    bool listen(const QHostAddress& address, quint16 port);
    void close();
    bool isListening() const { return m_tcp.isListening(); }
    QString errorString() const { return m_tcp.errorString(); }
    quint16 serverPort() const { return m_tcp.serverPort(); }
    QHostAddress serverAddress() const { return m_tcp.serverAddress(); }

    /// Applies to connections accepted from now on.
    void setLimits(const HttpServerLimits& limits);
    HttpServerLimits limits() const { return m_limits; }
    /// Open client connections right now.
    int connectionCount() const { return static_cast<int>(m_live.size()); }
    /// Connections accepted since start.
    qint64 connectionsAccepted() const { return m_accepted; }
    /// Times accepting a connection failed (out of file descriptors, say) since start.
    qint64 acceptErrors() const { return m_acceptErrors; }
    /// What its HTTP/2 connections did (prior-knowledge cleartext, see Http2Session).
    const Http2Stats& http2Stats() const { return m_http2Stats; }

    /// How long accepting pauses after it failed for lack of resources, unless a connection
    /// closes (freeing a descriptor) first.
    static constexpr int kAcceptRetryMs = 100;

Q_SIGNALS:
    /// Accepting failed (e.g. "Too many open files" when the process has no descriptor left)
    /// and is paused; it is retried every kAcceptRetryMs. Emitted once per spell of failures:
    /// again only after a connection has been accepted in between.
    void acceptPaused(const QString& reason);

private:
    void acceptPending();
    void pauseAccepting(int error);
    void retryAccept();
    void onConnectionClosed(HttpConnection* connection);
    /// Acts on the connections whose deadline has passed.
    void sweep();

    /// Creates, binds and owns the listening socket; its own accepting stays paused (below).
    QTcpServer m_tcp;
    /// We accept on the listening socket ourselves. QTcpServer cannot be told apart from a spin
    /// when out of descriptors: after its first EAGAIN its socket engine keeps reporting
    /// TemporaryError (the first error sticks), so EMFILE never reaches acceptError() and the
    /// still-readable socket wakes the loop at once, again and again, at 100% CPU (Qt 6.4).
    std::unique_ptr<QSocketNotifier> m_acceptNotifier;
    HttpHandler m_handler;
    HttpServerLimits m_limits;
    /// Open connections (children of this server; each deletes itself after closed()).
    QSet<HttpConnection*> m_live;
    /// One coarse timer checks every connection's deadline, running while any is open: cheaper
    /// than a QTimer per connection re-armed at every request, with thousands of connections.
    /// Its period is a tenth of the shortest time-out, so time-outs fire up to 10% late.
    QTimer m_sweep;
    /// Single shot: resumes accepting after it failed for lack of resources.
    QTimer m_acceptRetry;
    bool m_acceptFailing = false; ///< failed since the last successful accept
    qint64 m_accepted = 0;
    qint64 m_acceptErrors = 0;
    Http2Stats m_http2Stats; ///< updated by the connections' HTTP/2 sessions
};

} // namespace sluice
