#pragma once

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>

#include <memory>

namespace sluice::test {

/// A loopback "server" that answers every HTTP request with bytes that are not HTTP at all,
/// then closes the connection: the one fault the mock cannot make, since it always speaks
/// HTTP. Counts the requests it saw (a request head, however it was split into reads), the
/// server-side truth the client's own counts are checked against.
class GarbageServer final : public QTcpServer {
public:
    explicit GarbageServer(QObject* parent = nullptr)
        : QTcpServer(parent) {
        connect(this, &QTcpServer::newConnection, this, &GarbageServer::accept);
    }

    /// Request heads received so far.
    int requests() const { return m_requests; }
    /// Connections still open (0 once every client has gone).
    int open() const { return m_open; }
    QUrl baseUrl() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(serverPort())); }

    static QByteArray garbage() {
        return QByteArrayLiteral("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
                                 "SSH-2.0-not-http\r\n\xde\xad\xbe\xef\x00\x00\r\n\r\n");
    }

private:
    void accept() {
        while (QTcpSocket* socket = nextPendingConnection()) {
            ++m_open;
            auto head = std::make_shared<Head>();
            connect(socket, &QTcpSocket::readyRead, socket, [this, socket, head] {
                if (head->answered) {
                    socket->readAll(); // the rest of the body is ignored
                    return;
                }
                head->bytes += socket->readAll();
                if (!head->bytes.contains("\r\n\r\n")) {
                    return;
                }
                ++m_requests;
                head->answered = true;
                socket->write(garbage());
                socket->disconnectFromHost();
            });
            connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
                --m_open;
                socket->deleteLater();
            });
        }
    }

    struct Head {
        QByteArray bytes;
        bool answered = false;
    };

    int m_requests = 0;
    int m_open = 0;
};

/// A loopback port nothing listens on (taken from the kernel, then given back), for
/// connection-refused cases.
inline quint16 refusedPort() {
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0)) {
        return 0;
    }
    const quint16 port = probe.serverPort();
    probe.close();
    return port;
}

} // namespace sluice::test
