#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QSslConfiguration>
#include <QString>
#include <QTimer>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

class QAbstractSocket;
// nghttp2's session; its header is a private dependency, included by the .cpp only.
struct nghttp2_session;

namespace sluice {

class Http2Pool;
class Http2Reply;

/// One HTTP/2 connection to one origin (through nghttp2: no frame parsing here), carrying many
/// requests at once, one stream each: cleartext with prior knowledge for http, TLS with ALPN
/// "h2" for https (a server that does not pick h2 fails the requests with ProtocolFailure).
/// Requests are given only once the server's SETTINGS have arrived, so the pool knows how many
/// streams it allows (capacity()) before handing it more.
///
/// Every event nghttp2 reports is stored and delivered after nghttp2 returns (never from inside
/// its callbacks), so a reader may abort or delete replies from any signal.
///
/// Owned by the pool (its parent), same thread; deleted with deleteLater() once closed.
class Http2Connection final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Http2Connection)

public:
    struct Origin {
        QString key; ///< the pool's key: scheme, host, port (and the name checked for TLS)
        QString host;
        quint16 port = 0;
        bool tls = false;
        QString peerVerifyName; ///< empty: the host
        QSslConfiguration ssl;
    };

    Http2Connection(Http2Pool* pool, Origin origin);
    ~Http2Connection() override;

    const QString& key() const { return m_origin.key; }
    /// The server's SETTINGS are in: requests may be started.
    bool isReady() const { return m_ready && !m_closed && !m_goingAway; }
    bool isClosed() const { return m_closed; }
    /// The server's SETTINGS came at some point (it speaks HTTP/2).
    bool wasReady() const { return m_ready; }
    /// Streams the server lets this connection have open at once (valid once ready).
    int capacity() const { return m_capacity; }
    /// Streams open (or submitted) now.
    int active() const { return static_cast<int>(m_streams.size()); }
    /// Sends `reply`'s request as a new stream. Only when isReady() and active() < capacity().
    void start(Http2Reply* reply);
    /// The reply gave up (aborted or deleted): its stream is reset; the connection goes on.
    void abandon(Http2Reply* reply);

private:
    struct Stream;
    struct Callbacks; ///< nghttp2's callbacks, as static members with access to the connection

    void onConnected();
    void onEncrypted();
    void beginSession();
    void onReadyRead();
    void onSocketError();
    void onDisconnected();
    /// Lets nghttp2 write what it has, then delivers what happened meanwhile.
    void flush();
    void scheduleFlush();
    /// Delivers stored events to the replies, in order: sent, head, body, end.
    void deliver();
    /// Ends every stream with `code`, closes the socket and tells the pool.
    void failAll(int code, const QString& message);
    Stream* find(std::int32_t id) const;
    /// Ends the streams that received nothing for their request's transferTimeout().
    void sweepTimeouts();
    void touch(Stream* stream);

    Http2Pool* m_pool;
    Origin m_origin;
    QAbstractSocket* m_socket = nullptr;
    nghttp2_session* m_session = nullptr;
    std::unordered_map<std::int32_t, std::unique_ptr<Stream>> m_streams;
    std::vector<std::int32_t> m_touched; ///< streams with events not delivered yet
    /// Streams that ended (closed by nghttp2), kept until delivered.
    std::vector<std::unique_ptr<Stream>> m_ended;
    /// Checks transfer time-outs, a tenth of the shortest as its period, while a stream has one:
    /// one coarse timer rather than one per stream.
    QTimer m_sweep;
    int m_capacity = 0;
    bool m_ready = false;
    bool m_readyNew = false; ///< the first SETTINGS came; the pool has not heard yet
    bool m_closed = false;
    bool m_goingAway = false; ///< the server sent GOAWAY: no new streams
    bool m_flushQueued = false;
    bool m_inSession = false; ///< inside an nghttp2 call: deliver later
};

} // namespace sluice
