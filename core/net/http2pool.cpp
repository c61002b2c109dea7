#include "core/net/http2pool.h"

#include "core/net/http2connection.h"
#include "core/net/http2reply.h"

#include <algorithm>

namespace sluice {

namespace {

Http2Connection::Origin originOf(const QNetworkRequest& request) {
    Http2Connection::Origin o;
    const QUrl url = request.url();
    o.tls = url.scheme().compare(QLatin1String("https"), Qt::CaseInsensitive) == 0;
    o.host = url.host();
    o.port = static_cast<quint16>(url.port(o.tls ? 443 : 80));
    o.key = (o.tls ? QStringLiteral("https://") : QStringLiteral("http://")) + o.host +
            QLatin1Char(':') + QString::number(o.port);
    if (o.tls) {
        o.peerVerifyName = request.peerVerifyName();
        o.ssl = request.sslConfiguration();
        o.key += QLatin1Char('/') + o.peerVerifyName;
    }
    return o;
}

} // namespace

Http2Pool::Http2Pool(QObject* parent)
    : QObject(parent) {}

Http2Pool::~Http2Pool() {
    abortAll();
}

QNetworkReply* Http2Pool::send(const QNetworkRequest& request, const QByteArray& method,
                               const QByteArray& body) {
    auto* reply = new Http2Reply(request, method, body, this);
    if (m_pending.empty()) {
        QMetaObject::invokeMethod(this, &Http2Pool::startPending, Qt::QueuedConnection);
    }
    m_pending.emplace_back(reply);
    return reply;
}

void Http2Pool::startPending() {
    std::vector<QPointer<Http2Reply>> pending;
    pending.swap(m_pending);
    QSet<QString> touched;
    for (const QPointer<Http2Reply>& reply : pending) {
        if (reply && !reply->isFinished()) {
            const QUrl url = reply->url();
            if (url.host().isEmpty()) {
                reply->deliverError(QNetworkReply::ProtocolInvalidOperationError,
                                    tr("No host in URL %1").arg(url.toString()));
                continue;
            }
            const QString key = originOf(reply->request()).key;
            m_origins[key].waiting.emplace_back(reply);
            touched.insert(key);
        }
    }
    for (const QString& key : std::as_const(touched)) {
        dispatch(key);
    }
}

void Http2Pool::queue(Http2Reply* reply) {
    const QString key = originOf(reply->request()).key;
    m_origins[key].waiting.emplace_back(reply);
    dispatch(key);
}

void Http2Pool::dispatch(const QString& key) {
    auto found = m_origins.find(key);
    if (found == m_origins.end()) {
        return;
    }
    Origin& origin = *found;
    const auto nextWaiting = [&origin]() -> Http2Reply* {
        while (!origin.waiting.empty()) {
            QPointer<Http2Reply> reply = origin.waiting.front();
            origin.waiting.pop_front();
            if (reply && !reply->isFinished()) {
                return reply;
            }
        }
        return nullptr;
    };
    int connecting = 0;
    // Snapshot: starting a request can fail synchronously and close nothing, but stay safe.
    const std::vector<Http2Connection*> connections = origin.connections;
    for (Http2Connection* c : connections) {
        if (!c->isReady()) {
            connecting += c->isClosed() ? 0 : 1;
            continue;
        }
        origin.capacity = c->capacity();
        while (c->active() < c->capacity()) {
            Http2Reply* reply = nextWaiting();
            if (!reply) {
                return;
            }
            c->start(reply);
        }
    }
    if (origin.waiting.empty()) {
        return;
    }
    // Until one connection has told the limit, open no second one: wait for its SETTINGS.
    if (origin.capacity <= 0) {
        if (connecting > 0) {
            return;
        }
    }
    const int perConnection = std::max(1, origin.capacity);
    const auto waiting = static_cast<int>(origin.waiting.size());
    int wanted = origin.capacity <= 0 ? 1 : (waiting + perConnection - 1) / perConnection;
    wanted -= connecting;
    const Http2Connection::Origin address = originOf(origin.waiting.front()->request());
    for (int i = 0; i < wanted; ++i) {
        auto* c = new Http2Connection(this, address);
        origin.connections.push_back(c);
        ++m_opened;
        ++m_open;
    }
}

void Http2Pool::streamsFreed(Http2Connection* connection) {
    dispatch(connection->key());
}

void Http2Pool::drop(Http2Connection* connection, int code, const QString& message) {
    std::deque<QPointer<Http2Reply>> failed;
    auto found = m_origins.find(connection->key());
    if (found != m_origins.end()) {
        auto& list = found->connections;
        const auto before = list.size();
        list.erase(std::remove(list.begin(), list.end(), connection), list.end());
        if (list.size() != before) {
            --m_open;
        }
        if (!connection->wasReady()) {
            failed.swap(found->waiting);
        }
    }
    connection->deleteLater();
    for (const QPointer<Http2Reply>& reply : failed) {
        if (reply && !reply->isFinished()) {
            reply->deliverError(static_cast<QNetworkReply::NetworkError>(code), message);
        }
    }
    // Requests waiting for this connection's SETTINGS go elsewhere.
    QMetaObject::invokeMethod(
        this, [this, key = connection->key()] { dispatch(key); }, Qt::QueuedConnection);
}

void Http2Pool::retry(Http2Reply* reply) {
    queue(reply);
}

void Http2Pool::abortAll() {
    const auto replies = findChildren<Http2Reply*>(Qt::FindDirectChildrenOnly);
    for (Http2Reply* reply : replies) {
        if (!reply->isFinished()) {
            reply->abort();
        }
    }
}

} // namespace sluice
