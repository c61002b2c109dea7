#pragma once

#include <QByteArray>
#include <QList>
#include <QNetworkRequest>
#include <QPair>

namespace sluice {

/// The header block of an HTTP/2 request for `request`: the pseudo-headers (:method, :scheme,
/// :authority, :path) first, then content-length when there is a body, then the request's raw
/// headers with their names lower-cased, connection-specific ones (Connection, Keep-Alive,
/// Transfer-Encoding, Upgrade, Host...) dropped, as RFC 9113 section 8.2.2 requires.
QList<QPair<QByteArray, QByteArray>> http2RequestHead(const QNetworkRequest& request,
                                                      const QByteArray& method, bool tls,
                                                      qsizetype bodySize);

} // namespace sluice
