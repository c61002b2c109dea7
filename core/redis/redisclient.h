#pragma once

#include "core/redis/redisreply.h"
#include "core/redis/redisurl.h"
#include "core/result.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <QCoroTask>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>

class QSslSocket;

namespace sluice {

/// Timeouts and reconnection of a RedisClient.
struct RedisClientConfig {
    RedisUrl url;
    std::chrono::milliseconds connectTimeout{1000}; ///< TCP (+TLS) connect and AUTH/SELECT
    std::chrono::milliseconds commandTimeout{1000}; ///< from send() to its reply
    std::chrono::milliseconds reconnectMin{50};     ///< first retry after a loss, doubling...
    std::chrono::milliseconds reconnectMax{1000};   ///< ...up to this
};

/// A Redis client of our own: hiredis only encodes commands (redisFormatCommandArgv) and parses
/// replies (its redisReader, through RedisReplyReader); the transport is a Qt socket (TLS for
/// rediss://), so it never blocks the event loop and has the command timeouts and reconnection
/// hiredis 0.14 lacks.
///
/// Commands are pipelined: send() writes at once and replies are matched in order. While the
/// connection is being made, commands wait (up to their timeout); while it is known to be down
/// (between reconnect attempts), they fail at once with the last error, so a caller can apply
/// its failure policy without waiting. A command that times out takes the connection down (its
/// reply could still arrive and shift every later one): all in flight fail, and the client
/// reconnects by itself, backing off from reconnectMin to reconnectMax.
///
/// Errors: a connection problem is Error::Kind::Unavailable with field "redis"; an error reply
/// from the server ("ERR ...", "NOPERM ...", "NOSCRIPT ...") is Kind::Invalid with field
/// "redis reply" and the server's text as message (isReplyError()). Errors nested in an array
/// (EXEC's results) stay inside the reply.
///
/// Threading: one thread (the one it lives in); callbacks run in it, synchronously from the
/// socket's signals, from the timeout timer, or from stop()/the destructor. A callback may call
/// send() again; it must not destroy the client.
class RedisClient final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RedisClient)

public:
    using Callback = std::function<void(Result<RedisReply>)>;
    enum class State { Stopped, Connecting, Ready, Down };

    explicit RedisClient(RedisClientConfig config, QObject* parent = nullptr);
    /// Every command not yet answered fails (its callback runs) with "client destroyed".
    ~RedisClient() override;

    /// Starts connecting, and keeps reconnecting after every loss until stop(). send() starts
    /// a stopped client too.
    void start();
    /// Closes the connection; every command not yet answered fails now. No reconnection.
    void stop();
    /// Hands what was sent to the kernel now, without waiting (before stop() or the
    /// destructor, so a last word is not lost with the socket's buffer).
    void flush();

    /// Sends one command (its arguments, binary-safe); `done` runs exactly once with the reply
    /// or an error.
    void send(const QList<QByteArray>& args, Callback done);
    /// The same, awaited.
    QCoro::Task<Result<RedisReply>> command(QList<QByteArray> args);

    State state() const { return m_state; }
    bool isReady() const { return m_state == State::Ready; }
    /// Why the connection was last lost or refused (empty when it never failed).
    QString lastError() const { return m_lastError; }
    const RedisClientConfig& config() const { return m_config; }
    /// Commands written and not yet answered.
    std::size_t inFlight() const { return m_pending.size(); }

    static bool isReplyError(const Error& e) { return e.field == QLatin1String("redis reply"); }

Q_SIGNALS:
    /// Connected and logged in (AUTH/SELECT done): commands go straight out.
    void ready();
    /// The connection was lost or could not be made; the client retries by itself.
    void down(const QString& why);

private:
    struct Pending {
        Callback done;
        qint64 deadlineMs = 0; // on m_elapsed
        bool internal = false; // part of the AUTH/SELECT handshake
    };
    void connectNow();
    void onConnected();
    void onReadyRead();
    void handshakeStep(const RedisReply& reply, const QByteArray& what);
    void becomeReady();
    void fail(const QString& why); // the connection is lost: fail everything, reconnect later
    void failAll(const Error& error);
    void write(const QList<QByteArray>& args);
    void armTimeout();
    void onTimeout();
    qint64 nowMs() const { return m_elapsed.elapsed(); }

    RedisClientConfig m_config;
    State m_state = State::Stopped;
    bool m_destroying = false; ///< set by the destructor: send() fails at once
    QString m_lastError;
    QPointer<QSslSocket> m_socket;
    std::unique_ptr<RedisReplyReader> m_reader; ///< one per connection
    std::deque<Pending> m_pending;              ///< written, awaiting replies in order
    std::deque<std::pair<QList<QByteArray>, Pending>> m_waiting; ///< until the handshake ends
    int m_handshakeLeft = 0;
    QElapsedTimer m_elapsed;
    QTimer m_timeout;   ///< the earliest deadline: connect, or the oldest command
    QTimer m_reconnect; ///< the next attempt after a loss
    qint64 m_connectDeadlineMs = 0;
    std::chrono::milliseconds m_backoff{0};
};

} // namespace sluice
