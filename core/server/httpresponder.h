#pragma once

#include "core/server/httprequest.h"

#include <QObject>
#include <QPointer>

#include <cstdint>

namespace sluice {

class HttpConnection;
class Http2Session;

/// Writes the response to one request. Owned by its connection; a handler that answers later
/// (streaming, timed replies) keeps a QPointer to it, because the client may go away first:
/// then clientGone() is emitted and the responder is deleted with its connection.
///
/// A response is either whole (respond()), chunked (beginChunked(), write()..., end()), or of a
/// fixed length written in pieces (beginFixed(), write()..., end()). closeConnection() and
/// resetConnection() end the exchange early, cleanly (FIN) or abruptly (RST).
///
/// Over HTTP/2 the same calls answer one stream (Http2Session): the head becomes HEADERS, each
/// write() a DATA frame, end() the END_STREAM flag; closeConnection() and resetConnection()
/// reset only that stream (RST_STREAM), after or without what was written, since the connection
/// carries other streams.
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
    friend class Http2Session;
    HttpResponder(HttpConnection* connection, int httpMinor, bool keepAlive, bool headOnly);
    /// Answers stream `stream` of an HTTP/2 session (a child of it).
    HttpResponder(Http2Session* session, std::int32_t stream, bool headOnly);
    /// The stream has closed or its session is going: nothing more can be written.
    void detachStream() { m_session = nullptr; }
    // The HTTP/2 forms of the public calls.
    void h2Respond(int status, const HttpHeaders& headers, const QByteArray& body);
    void h2Begin(int status, const HttpHeaders& headers);
    void h2End(bool reset, bool afterSent);
    /// The status line and headers, with `framing` (content-length or transfer-encoding).
    QByteArray head(int status, const HttpHeaders& headers, const QByteArray& framing) const;
    void markClientGone();

    enum class State { Idle, Chunked, Fixed, CloseDelimited, Done };
    QPointer<HttpConnection> m_connection;
    /// Set for an HTTP/2 stream (m_connection is null then). Plain pointer: the session clears
    /// it (detachStream()) when the stream closes and when the session is deleted.
    Http2Session* m_session = nullptr;
    std::int32_t m_stream = 0;
    State m_state = State::Idle;
    int m_httpMinor;
    bool m_keepAlive;
    bool m_headOnly; ///< a HEAD request: headers as for GET, never a body
};

} // namespace sluice
