#include "core/redis/redisclient.h"

#include <QSslSocket>

#include <QCoroSignal>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

namespace sluice {

namespace {

Error downError(const QString& why) {
    return Error{Error::Kind::Unavailable, QStringLiteral("redis"), why};
}

} // namespace

RedisClient::RedisClient(RedisClientConfig config, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_backoff(m_config.reconnectMin) {
    m_elapsed.start();
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, &RedisClient::onTimeout);
    m_reconnect.setSingleShot(true);
    connect(&m_reconnect, &QTimer::timeout, this, &RedisClient::connectNow);
}

RedisClient::~RedisClient() {
    m_destroying = true;
    m_state = State::Stopped;
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        delete m_socket;
    }
    failAll(downError(QStringLiteral("client destroyed")));
}

void RedisClient::flush() {
    if (m_socket && m_state == State::Ready) {
        m_socket->flush();
    }
}

void RedisClient::start() {
    if (m_state == State::Stopped) {
        m_backoff = m_config.reconnectMin;
        connectNow();
    }
}

void RedisClient::stop() {
    m_state = State::Stopped;
    m_reconnect.stop();
    m_timeout.stop();
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
    }
    failAll(downError(QStringLiteral("client stopped")));
}

void RedisClient::connectNow() {
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
    }
    m_reader = std::make_unique<RedisReplyReader>();
    m_state = State::Connecting;
    m_connectDeadlineMs = nowMs() + m_config.connectTimeout.count();
    auto* socket = new QSslSocket(this);
    m_socket = socket;
    connect(socket, &QAbstractSocket::errorOccurred, this, [this, socket] {
        if (socket == m_socket) {
            fail(socket->errorString());
        }
    });
    connect(socket, &QAbstractSocket::disconnected, this, [this, socket] {
        if (socket == m_socket) {
            fail(QStringLiteral("connection closed by the server"));
        }
    });
    connect(socket, &QIODevice::readyRead, this, &RedisClient::onReadyRead);
    if (m_config.url.tls) {
        if (!QSslSocket::supportsSsl()) {
            fail(QStringLiteral("rediss:// needs TLS, which this Qt has no backend for"));
            return;
        }
        connect(socket, &QSslSocket::encrypted, this, &RedisClient::onConnected);
        socket->connectToHostEncrypted(m_config.url.host, m_config.url.port);
    } else {
        connect(socket, &QAbstractSocket::connected, this, &RedisClient::onConnected);
        socket->connectToHost(m_config.url.host, m_config.url.port);
    }
    armTimeout();
}

void RedisClient::onConnected() {
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    // AUTH and SELECT go first; the commands waiting meanwhile follow once both succeeded.
    const RedisUrl& url = m_config.url;
    std::vector<std::pair<QList<QByteArray>, QByteArray>> steps;
    if (!url.password.isEmpty()) {
        QList<QByteArray> auth{QByteArrayLiteral("AUTH")};
        if (!url.user.isEmpty()) {
            auth << url.user.toUtf8();
        }
        auth << url.password.toUtf8();
        steps.emplace_back(auth, QByteArrayLiteral("password"));
    }
    if (url.db != 0) {
        steps.emplace_back(
            QList<QByteArray>{QByteArrayLiteral("SELECT"), QByteArray::number(url.db)},
            QByteArrayLiteral("db"));
    }
    m_handshakeLeft = static_cast<int>(steps.size());
    if (steps.empty()) {
        becomeReady();
        return;
    }
    for (const auto& [args, what] : steps) {
        write(args);
        Pending p;
        p.internal = true;
        p.deadlineMs = m_connectDeadlineMs;
        p.done = [this, what = what](Result<RedisReply> r) {
            if (r.ok()) {
                handshakeStep(r.value(), what);
            } else if (isReplyError(r.error())) {
                handshakeStep(RedisReply::error(r.error().message.toUtf8()), what);
            }
        };
        m_pending.push_back(std::move(p));
    }
}

void RedisClient::handshakeStep(const RedisReply& reply, const QByteArray& what) {
    if (reply.isError()) {
        // Refused by the server: retrying does not help until the URL is fixed, but the
        // server may be the one that changes (ACL added), so the client keeps trying.
        fail(QStringLiteral("redis url: %1 refused by the server: %2")
                 .arg(QString::fromLatin1(what), QString::fromUtf8(reply.text)));
        return;
    }
    if (--m_handshakeLeft == 0) {
        becomeReady();
    }
}

void RedisClient::becomeReady() {
    m_state = State::Ready;
    m_backoff = m_config.reconnectMin;
    m_lastError.clear();
    auto waiting = std::move(m_waiting);
    m_waiting.clear();
    for (auto& [args, p] : waiting) {
        write(args);
        m_pending.push_back(std::move(p));
    }
    armTimeout();
    Q_EMIT ready();
}

void RedisClient::send(const QList<QByteArray>& args, Callback done) {
    if (args.isEmpty()) {
        done(Error::invalid(QStringLiteral("redis"), QStringLiteral("empty command")));
        return;
    }
    if (m_destroying) {
        done(downError(QStringLiteral("client destroyed")));
        return;
    }
    if (m_state == State::Stopped) {
        start();
    }
    Pending p{std::move(done), nowMs() + m_config.commandTimeout.count(), false};
    switch (m_state) {
    case State::Ready:
        write(args);
        m_pending.push_back(std::move(p));
        break;
    case State::Connecting:
        m_waiting.emplace_back(args, std::move(p));
        break;
    default:
        p.done(downError(m_lastError.isEmpty() ? QStringLiteral("not connected") : m_lastError));
        return;
    }
    if (!m_timeout.isActive()) {
        armTimeout();
    }
}

QCoro::Task<Result<RedisReply>> RedisClient::command(QList<QByteArray> args) {
    // The callback may run inside send(); a zero timer resumes the coroutine either way.
    auto result = std::make_shared<std::optional<Result<RedisReply>>>();
    auto signal = std::make_shared<QTimer>();
    signal->setSingleShot(true);
    QTimer* raw = signal.get();
    send(args, [result, raw](Result<RedisReply> r) {
        result->emplace(std::move(r));
        raw->start(0);
    });
    if (!*result || raw->isActive()) {
        co_await qCoro(raw, &QTimer::timeout);
    }
    co_return std::move(**result);
}

void RedisClient::write(const QList<QByteArray>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    argv.reserve(static_cast<std::size_t>(args.size()));
    lens.reserve(static_cast<std::size_t>(args.size()));
    for (const QByteArray& a : args) {
        argv.push_back(a.constData());
        lens.push_back(static_cast<std::size_t>(a.size()));
    }
    char* cmd = nullptr;
    const int len =
        redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
    if (len > 0 && cmd) {
        m_socket->write(cmd, len);
    }
    redisFreeCommand(cmd);
}

void RedisClient::onReadyRead() {
    if (!m_socket || !m_reader) {
        return;
    }
    if (const Result<void> fed = m_reader->feed(m_socket->readAll()); !fed) {
        fail(QStringLiteral("protocol error: ") + fed.error().message);
        return;
    }
    // Bounded by what was fed; each round either takes one reply or stops.
    while (m_socket && m_reader && (m_state == State::Ready || m_state == State::Connecting)) {
        Result<std::optional<RedisReply>> next = m_reader->next();
        if (!next) {
            fail(QStringLiteral("protocol error: ") + next.error().message);
            return;
        }
        if (!next.value()) {
            break;
        }
        if (m_pending.empty()) {
            fail(QStringLiteral("protocol error: a reply nobody asked for"));
            return;
        }
        Pending p = std::move(m_pending.front());
        m_pending.pop_front();
        RedisReply reply = std::move(*next.value());
        if (reply.isError()) {
            p.done(Error{Error::Kind::Invalid, QStringLiteral("redis reply"),
                         QString::fromUtf8(reply.text)});
        } else {
            p.done(std::move(reply));
        }
    }
    armTimeout();
}

void RedisClient::armTimeout() {
    if (m_state == State::Stopped || m_state == State::Down) {
        m_timeout.stop();
        return;
    }
    qint64 next = std::numeric_limits<qint64>::max();
    if (m_state == State::Connecting) {
        next = m_connectDeadlineMs;
    }
    if (!m_pending.empty()) {
        next = std::min(next, m_pending.front().deadlineMs);
    }
    if (!m_waiting.empty()) {
        next = std::min(next, m_waiting.front().second.deadlineMs);
    }
    if (next == std::numeric_limits<qint64>::max()) {
        m_timeout.stop();
        return;
    }
    m_timeout.start(static_cast<int>(std::clamp<qint64>(next - nowMs() + 1, 0, 1 << 30)));
}

void RedisClient::onTimeout() {
    const qint64 now = nowMs();
    if (m_state == State::Connecting && now >= m_connectDeadlineMs) {
        fail(QStringLiteral("no connection within %1 ms").arg(m_config.connectTimeout.count()));
        return;
    }
    if (!m_pending.empty() && now >= m_pending.front().deadlineMs) {
        fail(QStringLiteral("no reply within %1 ms").arg(m_config.commandTimeout.count()));
        return;
    }
    // Commands waiting for the connection past their own deadline.
    while (!m_waiting.empty() && now >= m_waiting.front().second.deadlineMs) {
        Pending p = std::move(m_waiting.front().second);
        m_waiting.pop_front();
        p.done(downError(
            QStringLiteral("no connection within %1 ms").arg(m_config.commandTimeout.count())));
    }
    armTimeout();
}

void RedisClient::fail(const QString& why) {
    if (m_state == State::Stopped || m_state == State::Down) {
        return;
    }
    m_state = State::Down;
    m_lastError = why;
    m_timeout.stop();
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    m_reconnect.start(static_cast<int>(m_backoff.count()));
    m_backoff = std::min(m_backoff * 2, m_config.reconnectMax);
    failAll(downError(why));
    Q_EMIT down(why);
}

void RedisClient::failAll(const Error& error) {
    // Take everything out first: a callback may send() again, which then fails at once (or,
    // stopped, starts a new connection) without touching the lists being drained.
    auto pending = std::move(m_pending);
    m_pending.clear();
    auto waiting = std::move(m_waiting);
    m_waiting.clear();
    for (Pending& p : pending) {
        if (!p.internal) {
            p.done(error);
        }
    }
    for (auto& [args, p] : waiting) {
        p.done(error);
    }
}

} // namespace sluice
