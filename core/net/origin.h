#pragma once

#include <QAbstractSocket>
#include <QByteArray>
#include <QNetworkReply>
#include <QSslConfiguration>
#include <QString>

#include <optional>

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
    /// https only: a default-constructed QSslConfiguration allocates, and every request asks
    /// for its origin.
    std::optional<QSslConfiguration> ssl;
};

/// The origin of `request`'s URL (host empty when the URL has none).
Origin originOf(const QNetworkRequest& request);

/// A new socket for `origin`, owned by `parent`: a QSslSocket offering `alpn` for https, a
/// QTcpSocket otherwise. Connect its signals, then call connectToOrigin().
QAbstractSocket* makeOriginSocket(const Origin& origin, const QByteArray& alpn, QObject* parent);

/// How a plain-TCP socket is opened. Unbuffered: reads go from the kernel straight into the
/// caller's buffer and writes straight out, so an idle connection holds none of Qt's 16 KB read
/// and write blocks; the reader must then read on every readyRead (the notifier stays off until
/// it does) and treat a read of -1 as the peer's close, which Qt reports with no signal. TLS
/// sockets are always buffered (the decrypted bytes need a home).
enum class SocketBuffering { Buffered, Unbuffered };

/// Starts connecting `socket` (from makeOriginSocket) to `origin`. Errors may be emitted before
/// this returns. For TLS, the name checked against the certificate is also the one sent as SNI.
void connectToOrigin(QAbstractSocket* socket, const Origin& origin,
                     SocketBuffering buffering = SocketBuffering::Buffered);

/// QNAM's names for what a socket reports.
QNetworkReply::NetworkError networkErrorOf(QAbstractSocket::SocketError error);

} // namespace sluice
