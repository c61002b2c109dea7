#pragma once
// A server-side stream a test keeps hold of: the handler begins a chunked answer, writes
// "first" and keeps the responder, so the test can write more, or watch its client leave.

#include "core/server/httpconnection.h"
#include "core/server/httpresponder.h"

#include <QAbstractSocket>
#include <QObject>
#include <QPointer>

#include <sys/socket.h>

namespace sluice::test {

struct HeldStream {
    QPointer<HttpResponder> responder;
    bool gone = false; ///< the responder heard clientGone

    /// The handler to serve with; `context` owns the clientGone connection.
    HttpHandler handler(QObject* context) {
        return [this, context](const HttpRequest&, HttpResponder* w) {
            responder = w;
            QObject::connect(w, &HttpResponder::clientGone, context, [this] { gone = true; });
            w->beginChunked(200, {});
            w->write("first");
        };
    }
};

/// Closes `socket` with a reset (RST) rather than a FIN. False when the option was refused.
inline bool abortWithReset(QAbstractSocket& socket) {
    linger reset{1, 0};
    const bool set = ::setsockopt(static_cast<int>(socket.socketDescriptor()), SOL_SOCKET,
                                  SO_LINGER, &reset, sizeof reset) == 0;
    socket.abort();
    return set;
}

} // namespace sluice::test
