#pragma once

#include <QByteArrayView>

namespace sluice {

/// Headers that belong to one connection, not to the message (RFC 9110 §7.6.1), plus the
/// framing headers a proxy sets anew for its own leg (Content-Length, Transfer-Encoding) and the
/// ones the HTTP client sets itself (Host, Content-Encoding of a body it already decoded). A
/// proxy passes every other header both ways.
inline bool isHopByHop(QByteArrayView name) {
    for (const char* h : {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
                          "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
                          "content-length", "host", "content-encoding", "accept-encoding"}) {
        if (name.compare(QByteArrayView(h), Qt::CaseInsensitive) == 0) {
            return true;
        }
    }
    return false;
}

} // namespace sluice
