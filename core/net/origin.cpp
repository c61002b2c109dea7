#include "core/net/origin.h"

#include <QNetworkRequest>
#include <QSslSocket>
#include <QTcpSocket>
#include <QUrl>

namespace sluice {

Origin originOf(const QNetworkRequest& request) {
    Origin o;
    const QUrl url = request.url();
    o.tls = url.scheme().compare(QLatin1String("https"), Qt::CaseInsensitive) == 0;
    o.host = url.host();
    o.port = static_cast<quint16>(url.port(o.tls ? 443 : 80));
    o.key = (o.tls ? QStringLiteral("https://") : QStringLiteral("http://")) + o.host +
            QLatin1Char(':') + QString::number(o.port);
    if (o.tls) {
        o.peerVerifyName = request.peerVerifyName();
        o.ssl = request.sslConfiguration();
        o.key += QLatin1Char('/') + o.peerVerifyName;
    }
    return o;
}

QAbstractSocket* makeOriginSocket(const Origin& origin, const QByteArray& alpn, QObject* parent) {
    if (!origin.tls) {
        return new QTcpSocket(parent);
    }
    auto* socket = new QSslSocket(parent);
    QSslConfiguration ssl = origin.ssl.value_or(QSslConfiguration::defaultConfiguration());
    ssl.setAllowedNextProtocols({alpn});
    socket->setSslConfiguration(ssl);
    return socket;
}

void connectToOrigin(QAbstractSocket* socket, const Origin& origin, SocketBuffering buffering) {
    if (origin.tls) {
        static_cast<QSslSocket*>(socket)->connectToHostEncrypted(
            origin.host, origin.port,
            origin.peerVerifyName.isEmpty() ? origin.host : origin.peerVerifyName);
    } else {
        socket->connectToHost(origin.host, origin.port,
                              buffering == SocketBuffering::Unbuffered
                                  ? QIODevice::ReadWrite | QIODevice::Unbuffered
                                  : QIODevice::ReadWrite);
    }
}

QNetworkReply::NetworkError networkErrorOf(QAbstractSocket::SocketError error) {
    switch (error) {
    case QAbstractSocket::ConnectionRefusedError:
        return QNetworkReply::ConnectionRefusedError;
    case QAbstractSocket::HostNotFoundError:
        return QNetworkReply::HostNotFoundError;
    case QAbstractSocket::RemoteHostClosedError:
        return QNetworkReply::RemoteHostClosedError;
    case QAbstractSocket::SocketTimeoutError:
        return QNetworkReply::TimeoutError;
    case QAbstractSocket::SslHandshakeFailedError:
    case QAbstractSocket::SslInternalError:
    case QAbstractSocket::SslInvalidUserDataError:
        return QNetworkReply::SslHandshakeFailedError;
    default:
        return QNetworkReply::UnknownNetworkError;
    }
}

} // namespace sluice
