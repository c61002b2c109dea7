#pragma once

#include <QFile>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpSocket>

namespace sluice::test {

/// The test certificate for 127.0.0.1 (self-signed, tests/data/tls), as a client must trust it.
inline QSslCertificate testCertificate() {
    QFile file(QStringLiteral(SLUICE_SOURCE_DIR "/tests/data/tls/localhost.crt"));
    if (!file.open(QIODevice::ReadOnly)) {
        return QSslCertificate();
    }
    return QSslCertificate(file.readAll(), QSsl::Pem);
}

/// A client TLS configuration that trusts the test certificate and nothing else.
inline QSslConfiguration trustingTestCertificate() {
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates({testCertificate()});
    return ssl;
}

/// TLS in front of a plain TCP server on 127.0.0.1, as a provider's load balancer terminates TLS:
/// each encrypted connection is piped byte for byte to `backendPort`, and closing either side
/// closes the other. Single-threaded; sockets are children of the front.
class TlsFront final : public QObject {
public:
    explicit TlsFront(quint16 backendPort)
        : m_backendPort(backendPort) {
        QFile key(QStringLiteral(SLUICE_SOURCE_DIR "/tests/data/tls/localhost.key"));
        if (key.open(QIODevice::ReadOnly)) {
            QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
            ssl.setLocalCertificate(testCertificate());
            ssl.setPrivateKey(QSslKey(key.readAll(), QSsl::Rsa));
            ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
            m_server.setSslConfiguration(ssl);
        }
        QObject::connect(&m_server, &QTcpServer::pendingConnectionAvailable, this, [this] {
            while (QTcpSocket* front = m_server.nextPendingConnection()) {
                pipe(front);
            }
        });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost); }
    quint16 port() const { return m_server.serverPort(); }
    int handshakes() const { return m_handshakes; }

private:
    void pipe(QTcpSocket* front) {
        ++m_handshakes;
        front->setParent(this);
        auto* back = new QTcpSocket(this);
        QPointer<QTcpSocket> f(front);
        QPointer<QTcpSocket> b(back);
        QObject::connect(front, &QTcpSocket::readyRead, back, [f, b] {
            if (b) {
                b->write(f->readAll());
            }
        });
        QObject::connect(back, &QTcpSocket::connected, back, [f, b] {
            if (f) {
                b->write(f->readAll());
            }
        });
        QObject::connect(back, &QTcpSocket::readyRead, front, [f, b] {
            if (f) {
                f->write(b->readAll());
            }
        });
        QObject::connect(front, &QTcpSocket::disconnected, back, [b] {
            if (b) {
                b->disconnectFromHost();
            }
        });
        QObject::connect(back, &QTcpSocket::disconnected, front, [f] {
            if (f) {
                f->disconnectFromHost();
            }
        });
        back->connectToHost(QHostAddress::LocalHost, m_backendPort);
    }

    QSslServer m_server;
    quint16 m_backendPort;
    int m_handshakes = 0;
};

} // namespace sluice::test
