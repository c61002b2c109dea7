#pragma once

#include "core/net/origin.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPair>
#include <QSslConfiguration>
#include <QString>
#include <QTimer>

#include <memory>

class QAbstractSocket;
struct http_parser;
struct http_parser_settings;

namespace sluice {

class Http1Pool;
class Http1Reply;

/// One HTTP/1.1 connection to one origin, carrying one request at a time (no pipelining).
/// Writes the request, parses the response as it arrives and hands it to the reply: the head,
/// then every read of body bytes at once (Content-Length, chunked or until close). Keep-alive
/// connections go back to the pool when a response ends; anything else closes them.
///
/// A request on a reused connection that fails before any byte of its response (the server
/// closed it while idle) is handed back to the pool to go once more on a new connection.
///
/// Owned by the pool (its parent), same thread; deleted with deleteLater() once closed.
class Http1Connection final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Http1Connection)

public:
    using Origin = sluice::Origin;

    Http1Connection(Http1Pool* pool, Origin origin);
    ~Http1Connection() override;

    const QString& key() const { return m_origin.key; }
    /// Connected, no request on it, not closing: may carry the next one.
    bool isReusable() const;
    /// Sends `reply`'s request now, or once connected. The reply must have no connection yet.
    void start(Http1Reply* reply);
    /// The reply gave up (aborted or deleted): the connection closes, its answer is unknown.
    void abandon(Http1Reply* reply);
    /// Closes a connection with no request on it (the pool keeps too many).
    void closeIdle() {
        Q_ASSERT(!m_reply);
        closeNow();
    }

private:
    void connectSocket();
    void onConnected();
    void onReady(); ///< connected, and encrypted for TLS: the request can go
    void onReadyRead();
    void onSocketError();
    void onDisconnected();
    void onTimer();
    void writeRequest();
    /// Feeds bytes (or the end of the stream when size is 0) to the parser and delivers what
    /// they made; returns false once the reply or the connection is gone.
    bool feed(const char* data, qsizetype size);
    void finishReply();
    void failReply(int code, const QString& message);
    void closeNow();
    void resetParser();

    static const http_parser_settings& settings();
    static int onStatus(http_parser* p, const char* at, size_t len);
    static int onHeaderField(http_parser* p, const char* at, size_t len);
    static int onHeaderValue(http_parser* p, const char* at, size_t len);
    static int onHeadersComplete(http_parser* p);
    static int onBody(http_parser* p, const char* at, size_t len);
    static int onMessageComplete(http_parser* p);

    Http1Pool* m_pool;
    Origin m_origin;
    QAbstractSocket* m_socket = nullptr;
    std::unique_ptr<http_parser> m_parser;
    Http1Reply* m_reply = nullptr;
    QTimer m_timer; ///< transfer timeout, checked against m_sinceByte
    /// Plain TCP with the kernel's receive stamps on (receivestamp.h): each read is peeked
    /// first and its arrival time handed to the reply.
    bool m_stamped = false;
    QElapsedTimer m_sinceByte; ///< since the request went or the last byte came
    int m_timeoutMs = 0;
    // The response being parsed.
    QByteArray m_reason;
    QList<QPair<QByteArray, QByteArray>> m_headers;
    bool m_inValue = false;
    bool m_headDone = false; ///< head parsed, not delivered yet
    bool m_bodyNew = false;  ///< body bytes appended, readyRead not emitted yet
    bool m_complete = false;
    bool m_informational = false; ///< parsing a 1xx head
    bool m_gotBytes = false;      ///< some byte of this response arrived
    bool m_ready = false;         ///< connected (and encrypted)
    bool m_reused = false;        ///< the current request is not the connection's first
    bool m_closed = false;
    int m_served = 0;
};

} // namespace sluice
