#pragma once

#include <QAbstractSocket>
#include <QByteArray>
#include <QNetworkReply>
#include <QSslConfiguration>
#include <QString>

class QNetworkRequest;
class QObject;

namespace sluice {

/// Where a native client connection goes (Http1Pool and Http2Pool key their connections by it).
struct Origin {
    QString key; ///< the pool's key: scheme, host, port (and the name checked for TLS)
    QString host;
    quint16 port = 0;
    bool tls = false;
    QString peerVerifyName; ///< empty: the host
    QSslConfiguration ssl;
};

/// The origin of `request`'s URL (host empty when the URL has none).
Origin originOf(const QNetworkRequest& request);

/// A new socket for `origin`, owned by `parent`: a QSslSocket offering `alpn` for https, a
/// QTcpSocket otherwise. Connect its signals, then call connectToOrigin().
QAbstractSocket* makeOriginSocket(const Origin& origin, const QByteArray& alpn, QObject* parent);

/// Starts connecting `socket` (from makeOriginSocket) to `origin`. Errors may be emitted before
/// this returns. For TLS, the name checked against the certificate is also the one sent as SNI.
void connectToOrigin(QAbstractSocket* socket, const Origin& origin);

/// QNAM's names for what a socket reports.
QNetworkReply::NetworkError networkErrorOf(QAbstractSocket::SocketError error);

} // namespace sluice
