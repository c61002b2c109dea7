#pragma once

#include "core/server/httpconnection.h"

#include <QHostAddress>
#include <QObject>
#include <QTcpServer>

namespace sluice {

/// A small, fast HTTP/1.1 server on QTcpServer and http-parser: keep-alive, pipelining, chunked
/// streaming, limits on what clients send. The mock LLM server and the gateway are handlers on it.
/// Lives in one thread; all handler calls happen in that thread.
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

    void setLimits(const HttpServerLimits& limits) { m_limits = limits; }
    HttpServerLimits limits() const { return m_limits; }
    /// Open client connections right now.
    int connectionCount() const { return m_connections; }
    /// Connections accepted since start.
    qint64 connectionsAccepted() const { return m_accepted; }

private:
    void acceptPending();

    QTcpServer m_tcp;
    HttpHandler m_handler;
    HttpServerLimits m_limits;
    int m_connections = 0;
    qint64 m_accepted = 0;
};

} // namespace sluice
