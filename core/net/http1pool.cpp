#include "core/net/http1pool.h"

#include "core/net/epolldispatcher.h"
#include "core/net/http1connection.h"
#include "core/net/http1reply.h"

#include <QAbstractEventDispatcher>
#include <QTimer>

#include <algorithm>

namespace sluice {

Http1Pool::Http1Pool(QObject* parent)
    : QObject(parent)
    , m_expiry(new QTimer(this)) {
    m_clock.start();
    m_expiry->setSingleShot(true);
    connect(m_expiry, &QTimer::timeout, this, &Http1Pool::closeExpired);
}

Http1Pool::~Http1Pool() {
    abortAll();
}

QNetworkReply* Http1Pool::send(const QNetworkRequest& request, const QByteArray& method,
                               const QByteArray& body) {
    auto* reply = new Http1Reply(request, method, body, this);
    if (!m_startPosted) {
        m_startPosted = true;
        QMetaObject::invokeMethod(
            this,
            [this] {
                m_startPosted = false;
                startQueued();
            },
            Qt::QueuedConnection);
    }
    m_pending.emplace_back(reply);
    return reply;
}

void Http1Pool::startQueued() {
    std::vector<QPointer<Http1Reply>> pending;
    pending.swap(m_pending);
    for (const QPointer<Http1Reply>& reply : pending) {
        if (reply && !reply->isFinished()) {
            start(reply, true);
        }
    }
}

void Http1Pool::start(Http1Reply* reply, bool reuse) {
    Http1Connection::Origin origin = originOf(reply->request());
    if (origin.host.isEmpty()) {
        reply->deliverError(QNetworkReply::ProtocolInvalidOperationError,
                            tr("No host in URL %1").arg(reply->url().toString()));
        return;
    }
    if (reuse) {
        auto idle = m_idle.find(origin.key);
        while (idle != m_idle.end() && !idle->empty()) {
            Http1Connection* connection = idle->back().connection;
            idle->pop_back();
            if (connection->isReusable()) {
                connection->start(reply);
                return;
            }
            connection->closeIdle(); // its socket went while idle: close it, not leak it
        }
    }
    auto* connection = new Http1Connection(this, std::move(origin));
    ++m_opened;
    ++m_open;
    connection->start(reply);
}

void Http1Pool::release(Http1Connection* connection) {
    std::vector<Idle>& idle = m_idle[connection->key()];
    idle.push_back({connection, m_clock.elapsed()});
    if (idle.size() > maxIdle()) {
        idle.front().connection->closeIdle(); // drop() takes it out of `idle`
    }
    if (!m_expiry->isActive()) {
        m_expiry->start(m_idleTimeoutMs);
    }
}

void Http1Pool::closeExpired() {
    const qint64 now = m_clock.elapsed();
    std::vector<Http1Connection*> expired;
    qint64 oldest = -1; // the release time of the oldest one that stays
    for (const std::vector<Idle>& idle : std::as_const(m_idle)) {
        for (const Idle& entry : idle) { // oldest first
            if (now - entry.since >= m_idleTimeoutMs) {
                expired.push_back(entry.connection);
            } else {
                oldest = oldest < 0 ? entry.since : std::min(oldest, entry.since);
                break;
            }
        }
    }
    for (Http1Connection* connection : expired) {
        connection->closeIdle(); // drop() takes it out of m_idle
    }
    if (oldest >= 0) {
        m_expiry->start(static_cast<int>(std::max<qint64>(1, oldest + m_idleTimeoutMs - now)));
    }
}

std::size_t Http1Pool::maxIdle() {
    if (m_maxIdle == 0) {
        const bool epoll =
            qobject_cast<EpollDispatcher*>(QAbstractEventDispatcher::instance(thread())) != nullptr;
        m_maxIdle = epoll ? kMaxIdleEpoll : kMaxIdle;
    }
    return m_maxIdle;
}

void Http1Pool::drop(Http1Connection* connection) {
    auto idle = m_idle.find(connection->key());
    if (idle != m_idle.end()) {
        idle->erase(std::remove_if(
                        idle->begin(), idle->end(),
                        [connection](const Idle& entry) { return entry.connection == connection; }),
                    idle->end());
    }
    --m_open;
    connection->deleteLater();
}

void Http1Pool::retry(Http1Reply* reply) {
    start(reply, false);
}

void Http1Pool::abortAll() {
    const auto replies = findChildren<Http1Reply*>(Qt::FindDirectChildrenOnly);
    for (Http1Reply* reply : replies) {
        if (!reply->isFinished()) {
            reply->abort();
        }
    }
}

} // namespace sluice
