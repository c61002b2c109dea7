#pragma once

#include <QHash>
#include <QNetworkRequest>
#include <QObject>
#include <QPointer>

#include <deque>
#include <vector>

class QNetworkReply;

namespace sluice {

class Http2Connection;
class Http2Reply;

/// A native HTTP/2 client in the caller's thread (nghttp2 under it): cleartext with prior
/// knowledge for http, TLS with ALPN "h2" for https. Requests to one origin share connections,
/// one stream each, and the pool opens as many connections as the server's
/// SETTINGS_MAX_CONCURRENT_STREAMS requires: it learns the limit from the first connection (the
/// requests wait for its SETTINGS), then fills each connection up to it, opening the next one
/// only for the requests that do not fit. A server with no limit gets at most 1,000 streams per
/// connection.
///
/// What it writes: method, path and query, authority, Content-Length, and the request's raw
/// headers lower-cased (connection-specific ones dropped, as HTTP/2 requires); nothing else (no
/// Accept-Encoding unless the caller set one). Redirects are not followed.
///
/// Lives in one thread; not thread-safe. Replies are its children until the caller takes them
/// (the caller deleteLater()s each one once finished). Deleting the pool aborts every reply
/// still running first.
class Http2Pool final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Http2Pool)

public:
    explicit Http2Pool(QObject* parent = nullptr);
    ~Http2Pool() override;

    /// The request goes on the next turn of the event loop, so the caller can connect first.
    QNetworkReply* send(const QNetworkRequest& request, const QByteArray& method,
                        const QByteArray& body);
    /// Aborts every reply still running (each emits finished()).
    void abortAll();
    /// Connections opened since start.
    qint64 connectionsOpened() const { return m_opened; }
    /// Connections open now.
    int connectionsOpen() const { return m_open; }

    // For Http2Connection (same thread).
    /// Streams ended on the connection (or its SETTINGS came): waiting requests may go.
    void streamsFreed(Http2Connection* connection);
    /// The connection closed: forget it (it is deleted later). One that closed before it was
    /// ready (refused, TLS failed, not HTTP/2) fails the origin's waiting requests with `code`
    /// and `message`, so that a server that is down is not retried forever.
    void drop(Http2Connection* connection, int code, const QString& message);
    /// The request was refused before the server processed it: send it again.
    void retry(Http2Reply* reply);

private:
    struct Origin {
        std::vector<Http2Connection*> connections;
        std::deque<QPointer<Http2Reply>> waiting;
        int capacity = 0; ///< the server's stream limit, once a connection has learnt it
    };
    void queue(Http2Reply* reply);
    void startPending();
    /// Gives waiting requests to connections with room, opening connections as needed.
    void dispatch(const QString& key);

    QHash<QString, Origin> m_origins;
    std::vector<QPointer<Http2Reply>> m_pending; ///< sent, not yet queued by origin
    qint64 m_opened = 0;
    int m_open = 0;
};

} // namespace sluice
