#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>

#include <utility>

namespace sluice {

using HttpHeaders = QList<std::pair<QByteArray, QByteArray>>;

/// One parsed HTTP/1.x request as the server hands it to its handler.
struct HttpRequest {
    QByteArray method;
    QByteArray target;   ///< As sent: path plus query.
    QByteArray path;     ///< Percent-encoded path, without the query.
    QByteArray query;    ///< Without the leading '?'.
    HttpHeaders headers; ///< Names lower-cased, in the order received.
    QByteArray body;
    int httpMajor = 1;
    int httpMinor = 1;
    bool keepAlive = true;
    QHostAddress peer;
    /// When its last bytes reached this machine: the kernel's receive stamp
    /// (core/net/receivestamp.h), std::chrono::steady_clock ns; 0 when unknown (HTTP/2, TLS,
    /// no stamps). Earlier than when the server got to parse it by however busy the server was.
    qint64 arrivedNs = 0;

    /// When non-zero, the request could not be parsed (400), was too large (413) or had headers
    /// too large (431): the handler should answer with this status; the connection closes after.
    int parseError = 0;
    QByteArray parseErrorMessage;

    /// The first value of a header, looked up case-insensitively; empty when absent.
    QByteArray header(QByteArrayView name) const {
        for (const auto& [key, value] : headers) {
            if (key.compare(name, Qt::CaseInsensitive) == 0) {
                return value;
            }
        }
        return {};
    }
};

} // namespace sluice
