#pragma once

#include "core/server/httprequest.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <functional>
#include <memory>

class QAbstractSocket;
// http-parser's state and callbacks; its header is a private dependency, included by the .cpp only.
struct http_parser;
struct http_parser_settings;

namespace sluice {

class HttpResponder;
class Http2Session;
struct Http2Stats;

/// Limits every connection enforces on what clients send. A time-out of 0 turns it off. Time-outs
/// never run while a request is being answered (streamed, or waiting for its handler).
struct HttpServerLimits {
    qint64 maxBodyBytes = 8 * 1024 * 1024;
    /// The request head (request line and headers) must arrive within this long of its first
    /// byte (for a connection's first request: of the accept); else 408 and close. Stops
    /// slowloris clients that drip header bytes to hold connections open. A new connection that
    /// sends nothing is closed without an answer after this or the idle time-out, the shorter.
    int headerTimeoutMs = 10'000;
    /// The body must arrive within this long of the end of the head; else 408 and close.
    int bodyTimeoutMs = 30'000;
    /// A kept-alive connection with no request in progress is closed (no answer) after this long.
    int idleTimeoutMs = 60'000;
    /// Requests read ahead of the one being answered (pipelining); reading pauses beyond it.
    int maxPipelined = 32;
    /// HTTP/2: streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
    /// nginx announces 128; 256 lets 1,000 streams share 4 connections. A client needing more
    /// opens more connections.
    int http2MaxStreams = 256;
    /// Not a limit: stamp each request with the kernel's receive time (HttpRequest::arrivedNs).
    /// Costs a peek per read; the mock turns it on for its stamped events.
    bool receiveStamps = false;
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponder*)>;

/// One accepted TCP connection: parses requests with http-parser, hands them to the handler one
/// at a time (pipelined requests wait their turn) and writes responses through an HttpResponder.
/// Deletes itself when the socket closes. A connection whose first bytes are the HTTP/2 preface
/// is handed to an Http2Session (its child) instead, which then reads and writes the socket.
/// http-parser's callbacks are in httpconnectionparse.cpp; reading, dispatching, writing and
/// closing in httpconnection.cpp.
class HttpConnection final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpConnection)

public:
    /// `http2Stats` (may be null) is where an HTTP/2 session counts; it must outlive this.
    HttpConnection(QAbstractSocket* socket, HttpHandler handler, HttpServerLimits limits,
                   QObject* parent, Http2Stats* http2Stats = nullptr);
    ~HttpConnection() override;

    QAbstractSocket* socket() const { return m_socket; }

Q_SIGNALS:
    void closed();

private:
    friend class HttpResponder;
    friend class HttpServer;

    /// What the connection is waiting for from the client, with a time limit.
    enum class Wait : quint8 {
        Nothing,   ///< a request is being answered (or the connection is closing): no limit
        FirstByte, ///< a new connection, silent so far: closed without an answer
        Head,      ///< the rest of a request head: 408
        Body,      ///< the rest of a request body: 408
        Idle,      ///< a kept-alive connection between requests: closed without an answer
    };
    /// Milliseconds on the steady clock; the time base of deadlines.
    static qint64 nowMs();
    static const http_parser_settings& parserSettings();
    static int onMessageBegin(http_parser* p);
    static int onUrl(http_parser* p, const char* at, size_t len);
    static int onHeaderField(http_parser* p, const char* at, size_t len);
    static int onHeaderValue(http_parser* p, const char* at, size_t len);
    static int onHeadersComplete(http_parser* p);
    static int onBody(http_parser* p, const char* at, size_t len);
    static int onMessageComplete(http_parser* p);

    void readAvailable();
    /// Reads and drops what the client still sends; true once it has closed (the read that
    /// meets the close returns -1, and an unbuffered socket says nothing else).
    bool drainClosed();
    /// While a connection's first bytes may be the HTTP/2 preface: true when they are (the
    /// socket is then handed to an Http2Session) or may still be (wait for more).
    bool sniffHttp2();
    void parseInbox();
    void dispatchNext();
    void failParse(int status, const QByteArray& message);
    // Called by the responder.
    /// When written bytes are handed to the kernel: now, or at the start of the next turn of
    /// the event loop (with whatever else this turn writes).
    enum class Send : quint8 { Now, Soon };
    void writeBytes(const QByteArray& bytes, Send send);
    void flushWrites();
    /// One write to the socket; a failed one stops every later write and abandons the
    /// connection at the next turn.
    void writeToSocket(const QByteArray& bytes);
    void responseDone(HttpResponder* responder, bool keepAlive);
    void closeAfterWrite();
    void lingerClose();
    void abandon();
    void resetNow();
    void onDisconnected();
    bool busy() const { return !m_active.isNull() || !m_pending.empty(); }
    /// Starts waiting for `wait` from now (FirstByte → Head keeps the accept-time deadline).
    void waitFor(Wait wait);
    /// Called by the server's sweep (HttpServer::sweep); acts when the deadline has passed.
    bool isOverdue(qint64 now) const { return m_wait != Wait::Nothing && now >= m_deadline; }
    void expire();

    QAbstractSocket* m_socket;
    HttpHandler m_handler;
    HttpServerLimits m_limits;
    std::unique_ptr<http_parser> m_parser; ///< never null
    HttpRequest m_building;
    bool m_inField = false;
    bool m_gone = false;
    bool m_parseFailed = false;
    bool m_closing = false;
    bool m_writeFailed = false; ///< a write failed: the peer is gone, nothing more is written
    bool m_lingering = false;
    bool m_inMessage = false;   ///< a request has begun and not yet been read in full
    bool m_headDone = false;    ///< ...and its head has been read
    bool m_flushQueued = false; ///< writeBytes() asked for a flush at the next turn
    // Deadlines are plain values checked by the server's one coarse sweep timer, so that setting
    // one per request (or per state change) costs a clock read, not a timer re-registration.
    Wait m_wait = Wait::Nothing;
    qint64 m_waitingSince = 0; ///< nowMs() when m_wait began
    qint64 m_deadline = 0;     ///< nowMs() at which m_wait runs out
    QByteArray m_inbox;        ///< received, not yet parsed (the pipeline is full)
    /// When the newest bytes in m_inbox arrived (kernel stamp, steady ns; 0 unknown): a
    /// request completed by them arrived then.
    qint64 m_inboxArrivedNs = 0;
    QByteArray m_out; ///< written with Send::Soon, handed to the kernel at the next turn
    std::deque<HttpRequest> m_pending;
    QPointer<HttpResponder> m_active;
    QTimer m_linger;                    ///< armed only once closing: drain, then lingering close
    bool m_sniffing = true;             ///< no byte has told HTTP/1.x from HTTP/2 yet
    Http2Stats* m_http2Stats = nullptr; ///< the server's; may be null
    Http2Session* m_http2 = nullptr;    ///< child; set once the connection speaks HTTP/2
};

} // namespace sluice
