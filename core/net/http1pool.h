#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QNetworkRequest>
#include <QObject>
#include <QPointer>

#include <vector>

class QNetworkReply;
class QTimer;

namespace sluice {

class Http1Connection;
class Http1Reply;

/// A native HTTP/1.1 client in the caller's thread: no worker thread, no hop per request. Keeps
/// connections per origin (scheme, host, port): a request takes the most recently used idle one
/// (warm), or opens a new one; there is no cap here, whoever sends holds its own. An idle
/// connection closes after kIdleTimeoutMs unused, or beyond maxIdle() per origin. http goes
/// over QTcpSocket, https over QSslSocket (SNI and the checked name are the host, or the
/// request's peerVerifyName; the system's CAs; ALPN "http/1.1"). Both with TCP_NODELAY.
///
/// What it writes: method, path and query, Host, Content-Length, and the request's raw headers
/// as they are (nothing added: no Accept-Encoding unless the caller set one, so no compression).
/// Redirects are not followed. QNetworkRequest::transferTimeout() is honoured: nothing received
/// for that long ends the request with TimeoutError.
///
/// Lives in one thread; not thread-safe. Replies are its children until the caller takes them
/// (the caller deleteLater()s each one once finished). Deleting the pool aborts every reply
/// still running first.
class Http1Pool final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Http1Pool)

public:
    explicit Http1Pool(QObject* parent = nullptr);
    ~Http1Pool() override;

    /// The request waits until startQueued(), or the next turn of the event loop if that
    /// comes first: either way the caller connects to the reply before anything can happen.
    QNetworkReply* send(const QNetworkRequest& request, const QByteArray& method,
                        const QByteArray& body);
    /// Starts what send() queued, now: a request on an idle connection is written before this
    /// returns, so it does not wait for the rest of this turn. Replies may emit (even
    /// finished(), for a request that cannot go) before it returns; call it once connected.
    void startQueued();
    /// Aborts every reply still running (each emits finished()).
    void abortAll();
    /// Plain-TCP connections opened from now on ask the kernel to stamp what they receive, and
    /// each reply says when its bytes arrived (NativeReply's arrival); on by default.
    void setReceiveStamps(bool enabled) { m_receiveStamps = enabled; }
    bool receiveStamps() const { return m_receiveStamps; }
    /// Connections opened since start (a test's view of reuse).
    qint64 connectionsOpened() const { return m_opened; }
    /// Connections open now, busy or idle.
    int connectionsOpen() const { return m_open; }

    // For Http1Connection (same thread).
    /// The connection finished a request and may carry another. At most maxIdle() wait per
    /// origin: beyond that the least recently used one closes.
    void release(Http1Connection* connection);
    /// Idle connections kept per origin under a polling event loop (Qt's own, GLib's; nginx's
    /// upstream `keepalive`, for the same reason): it asks every open socket at every turn, so
    /// a burst that opened a thousand must not leave a thousand behind.
    static constexpr std::size_t kMaxIdle = 64;
    /// Under EpollDispatcher an idle socket costs nothing per turn, and closing one that the
    /// next burst opens again costs a connect, new buffers and a cold start on both ends: a
    /// thousand streams that end together and are followed by a thousand more (a gateway in
    /// front of a batch job, a benchmark's next round) find their connections still there.
    static constexpr std::size_t kMaxIdleEpoll = 4096;
    /// The cap for the event loop of the pool's thread: kMaxIdleEpoll under EpollDispatcher,
    /// kMaxIdle otherwise. Decided at the first release (the pool may be created before it
    /// moves to its thread).
    std::size_t maxIdle();
    /// An idle connection unused this long closes (nginx's upstream `keepalive_timeout`), so a
    /// burst's connections do not stay open for good against a server that never closes them.
    static constexpr int kIdleTimeoutMs = 60'000;
    /// For tests: another idle timeout, in milliseconds (> 0); set it before the first send.
    void setIdleTimeout(int ms) { m_idleTimeoutMs = ms; }
    /// The connection closed: forget it (it is deleted later).
    void drop(Http1Connection* connection);
    /// The request failed on a reused connection before any answer: send it on a new one.
    void retry(Http1Reply* reply);

private:
    struct Idle {
        Http1Connection* connection;
        qint64 since; ///< m_clock's reading at release
    };

    void start(Http1Reply* reply, bool reuse);
    /// Closes the connections idle for the timeout or longer; sets the timer for the next.
    void closeExpired();

    QHash<QString, std::vector<Idle>> m_idle; ///< per origin, most recent last
    QElapsedTimer m_clock;                    ///< started at construction
    /// Due when the oldest idle connection expires; runs only while some are idle. A child, so
    /// it moves with the pool to another thread.
    QTimer* m_expiry = nullptr;
    int m_idleTimeoutMs = kIdleTimeoutMs;
    std::vector<QPointer<Http1Reply>> m_pending;
    bool m_startPosted = false; ///< a startQueued() is posted for the next turn
    bool m_receiveStamps = true;
    std::size_t m_maxIdle = 0; ///< 0: not decided yet (maxIdle())
    qint64 m_opened = 0;
    int m_open = 0;
};

} // namespace sluice
