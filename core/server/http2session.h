#pragma once

#include "core/server/httpconnection.h"
#include "core/server/httprequest.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>

#include <cstdint>
#include <memory>
#include <unordered_map>

class QAbstractSocket;
// nghttp2's session; its header is a private dependency, included by the .cpp only.
struct nghttp2_session;

namespace sluice {

class HttpResponder;
struct Http2Stats;

/// The HTTP/2 side of one accepted connection (RFC 9113, through nghttp2: no frame parsing
/// here). HttpConnection hands its socket over once the client's first bytes are the HTTP/2
/// connection preface ("PRI * HTTP/2.0", cleartext with prior knowledge). Each stream becomes an
/// HttpRequest for the same handler the HTTP/1.1 path calls, answered through an HttpResponder
/// whose writes go out as HEADERS and DATA frames as they come (one SSE event, one DATA frame
/// when the client's flow-control windows allow; held back, never dropped, while they do not).
///
/// Limits: HttpServerLimits::http2MaxStreams is announced as SETTINGS_MAX_CONCURRENT_STREAMS
/// (nghttp2 refuses streams beyond it); maxBodyBytes bounds each request body (413). Input that
/// breaks the protocol ends the connection with GOAWAY (PROTOCOL_ERROR), then a close.
///
/// Lives in its connection's thread, a child of the HttpConnection; the socket stays the
/// connection's. Responders are children of the session; each is deleted after its stream closes.
class Http2Session final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Http2Session)

public:
    /// How the first bytes of a connection compare with the HTTP/2 client preface.
    enum class Preface { No, Partial, Yes };
    static Preface matchPreface(const QByteArray& firstBytes);

    Http2Session(QAbstractSocket* socket, HttpHandler handler, const HttpServerLimits& limits,
                 Http2Stats* stats, QObject* parent);
    ~Http2Session() override;

    /// Sends the server's SETTINGS and feeds the bytes the connection already read (the preface
    /// and whatever followed it); from then on the session reads the socket itself.
    void start(const QByteArray& alreadyRead);

    // For HttpResponder (same thread). A stream that has closed meanwhile is ignored.
    void submitHead(std::int32_t stream, int status, const HttpHeaders& headers, bool endStream);
    void submitData(std::int32_t stream, const QByteArray& data);
    void finishStream(std::int32_t stream);
    /// Ends the stream with RST_STREAM (INTERNAL_ERROR) once what was written has been sent
    /// (afterSent) or at once.
    void resetStream(std::int32_t stream, bool afterSent);
    /// Body bytes written to the stream but not yet framed (its flow-control window is shut).
    qint64 pendingBytes(std::int32_t stream) const;

Q_SIGNALS:
    /// The session is over (GOAWAY sent, or the peer's GOAWAY answered): close the connection
    /// once what was written has been sent.
    void closeRequested();
    /// The client closed the connection (seen by a read: the socket is unbuffered).
    void peerClosed();

private:
    struct Stream;
    struct Callbacks; ///< nghttp2's callbacks, as static members with access to the session

    void readAvailable();
    void feed(const char* data, qsizetype size);
    /// Frames what nghttp2 has to send on the next turn of the event loop (coalesces writes
    /// from many streams into one pass).
    void scheduleFlush();
    void flush();
    void fail();
    void dispatch(Stream& stream);
    void streamClosed(std::int32_t id);
    Stream* find(std::int32_t id) const;

    QAbstractSocket* m_socket;
    HttpHandler m_handler;
    HttpServerLimits m_limits;
    Http2Stats* m_stats; ///< may be null; owned by the server, which outlives its connections
    nghttp2_session* m_session = nullptr;
    std::unordered_map<std::int32_t, std::unique_ptr<Stream>> m_streams;
    bool m_flushQueued = false;
    bool m_closing = false;
    bool m_writeFailed = false; ///< a write failed: the client is gone, nothing more is written
    bool m_inRecv = false;      ///< inside nghttp2_session_mem_recv: never send from there
};

} // namespace sluice
