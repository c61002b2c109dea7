#pragma once

#include "core/server/httprequest.h"

#include <QObject>
#include <QPointer>

namespace sluice {

class HttpConnection;

/// Writes the response to one request. Owned by its connection; a handler that answers later
/// (streaming, timed replies) keeps a QPointer to it, because the client may go away first:
/// then clientGone() is emitted and the responder is deleted with its connection.
///
/// A response is either whole (respond()), chunked (beginChunked(), write()..., end()), or of a
/// fixed length written in pieces (beginFixed(), write()..., end()). closeConnection() and
/// resetConnection() end the exchange early, cleanly (FIN) or abruptly (RST).
class HttpResponder final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpResponder)

public:
    void respond(int status, const HttpHeaders& headers, const QByteArray& body);
    void beginChunked(int status, const HttpHeaders& headers);
    void beginFixed(int status, const HttpHeaders& headers, qint64 contentLength);
    /// A chunk (chunked) or raw body bytes (fixed). Empty data is ignored.
    void write(const QByteArray& data);
    /// Completes the response; the connection goes on to the next request when kept alive.
    void end();
    /// Ends the exchange by closing the connection after what was written has been sent.
    void closeConnection();
    /// Ends the exchange by resetting the connection (the client sees ECONNRESET).
    void resetConnection();

    bool headersSent() const { return m_state != State::Idle; }
    bool isDone() const { return m_state == State::Done; }
    /// Bytes written but not yet handed to the kernel: a slow reader shows here.
    qint64 pendingBytes() const;

    static QByteArray reasonPhrase(int status);

Q_SIGNALS:
    /// The client disconnected before the response was complete.
    void clientGone();

private:
    friend class HttpConnection;
    HttpResponder(HttpConnection* connection, int httpMinor, bool keepAlive, bool headOnly);
    /// The status line and headers, with `framing` (content-length or transfer-encoding).
    QByteArray head(int status, const HttpHeaders& headers, const QByteArray& framing) const;
    void markClientGone();

    enum class State { Idle, Chunked, Fixed, CloseDelimited, Done };
    QPointer<HttpConnection> m_connection;
    State m_state = State::Idle;
    int m_httpMinor;
    bool m_keepAlive;
    bool m_headOnly; ///< a HEAD request: headers as for GET, never a body
};

} // namespace sluice
