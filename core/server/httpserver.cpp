#include "core/server/httpserver.h"

#include <QTcpSocket>

namespace sluice {

HttpServer::HttpServer(HttpHandler handler, QObject* parent)
    : QObject(parent)
    , m_handler(std::move(handler)) {
    m_tcp.setListenBacklogSize(4096);
    connect(&m_tcp, &QTcpServer::newConnection, this, &HttpServer::acceptPending);
}

HttpServer::~HttpServer() {
    m_tcp.close();
}

bool HttpServer::listen(const QHostAddress& address, quint16 port) {
    return m_tcp.listen(address, port);
}

void HttpServer::close() {
    m_tcp.close();
}

void HttpServer::acceptPending() {
    while (QTcpSocket* socket = m_tcp.nextPendingConnection()) {
        ++m_accepted;
        ++m_connections;
        auto* connection = new HttpConnection(socket, m_handler, m_limits, this);
        connect(connection, &HttpConnection::closed, this, [this] { --m_connections; });
    }
}

} // namespace sluice
