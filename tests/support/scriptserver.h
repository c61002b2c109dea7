#pragma once
// A raw TCP server for client tests: it answers exactly what the test scripts, request by
// request, so a test can send any framing, garbage, a reset or a silence.

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>

#include <functional>
#include <memory>

namespace sluice::test {

/// A TCP server that reads each request head (and its Content-Length body) and hands it to a
/// script, with the connection's and the request's index. Only 127.0.0.1.
class ScriptServer final : public QObject {
public:
    using Script = std::function<void(QTcpSocket* socket, int connection, int request)>;

    explicit ScriptServer(Script script)
        : m_script(std::move(script)) {
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* socket = m_server.nextPendingConnection()) {
                const int index = m_connections++;
                auto requests = std::make_shared<int>(0);
                auto inbox = std::make_shared<QByteArray>();
                QObject::connect(socket, &QTcpSocket::readyRead, this,
                                 [this, socket, index, requests, inbox] {
                                     inbox->append(socket->readAll());
                                     for (int i = 0; i < 100; ++i) {
                                         const qsizetype end = inbox->indexOf("\r\n\r\n");
                                         if (end < 0) {
                                             return;
                                         }
                                         const qsizetype size = end + 4 + contentLength(*inbox);
                                         if (inbox->size() < size) {
                                             return;
                                         }
                                         m_lastRequest = inbox->left(size);
                                         inbox->remove(0, size);
                                         m_script(socket, index, (*requests)++);
                                         if (socket->state() != QAbstractSocket::ConnectedState) {
                                             return;
                                         }
                                     }
                                 });
            }
        });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost); }
    QUrl url(const QString& path = QStringLiteral("/v1/x")) const {
        return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_server.serverPort()).arg(path));
    }
    int connections() const { return m_connections; }
    QByteArray lastRequest() const { return m_lastRequest; }

private:
    static qsizetype contentLength(const QByteArray& head) {
        const qsizetype at = head.toLower().indexOf("content-length:");
        if (at < 0) {
            return 0;
        }
        const qsizetype end = head.indexOf("\r\n", at);
        return head.mid(at + 15, end - at - 15).trimmed().toLongLong();
    }

    QTcpServer m_server;
    Script m_script;
    int m_connections = 0;
    QByteArray m_lastRequest;
};

} // namespace sluice::test
