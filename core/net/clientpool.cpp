#include "core/net/clientpool.h"

#include "core/net/http1pool.h"
#include "core/net/http2pool.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>

#include <algorithm>

namespace sluice {

namespace {
constexpr int kConnectionsPerKey = 6; // QHttpNetworkConnectionPrivate::defaultHttpChannelCount
} // namespace

ClientPool::ClientPool(int managers, QObject* parent)
    : QObject(parent)
    , m_native(qEnvironmentVariable("SLUICE_HTTP_CLIENT")
                   .compare(QLatin1String("qnam"), Qt::CaseInsensitive) != 0) {
    if (m_native) {
        m_http1 = new Http1Pool(this);
        m_http2Pool = new Http2Pool(this);
    }
    for (int i = 0; i < std::max(1, managers); ++i) {
        auto* manager = new QNetworkAccessManager(this);
        manager->setAutoDeleteReplies(false);
        m_managers.push_back(manager);
    }
}

ClientPool::~ClientPool() {
    abortAll();
}

int ClientPool::acquireSlot() {
    int slot;
    if (!m_free.empty()) {
        slot = *m_free.begin();
        m_free.erase(m_free.begin());
    } else {
        slot = m_next++;
    }
    m_used.insert(slot);
    return slot;
}

void ClientPool::releaseSlot(int slot) {
    if (m_used.erase(slot)) {
        m_free.insert(slot);
    }
}

void ClientPool::applySlot(int slot, QNetworkRequest& request) const {
    const int perManager = slot / static_cast<int>(m_managers.size());
    const int key = perManager / kConnectionsPerKey;
    if (request.url().scheme() == QLatin1String("https")) {
        // Vary the host name's letter case by the key's bits: another cache key, same host.
        QString host = request.url().host();
        int bits = key;
        for (qsizetype i = 0; i < host.size() && bits; ++i) {
            if (host.at(i).isLetter()) {
                if (bits & 1) {
                    host[i] = host.at(i).toUpper();
                }
                bits >>= 1;
            }
        }
        request.setPeerVerifyName(host);
    } else if (key > 0) {
        request.setPeerVerifyName(QStringLiteral("sluice-pool-%1").arg(key));
    }
    if (m_http2) {
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, true);
        if (request.url().scheme() == QLatin1String("http")) {
            request.setAttribute(QNetworkRequest::Http2DirectAttribute, true);
        }
    } else {
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    }
}

bool ClientPool::goesNative(const QNetworkRequest& request) const {
    if (!m_http1) {
        return false;
    }
    const QString scheme = request.url().scheme();
    return scheme == QLatin1String("http") || scheme == QLatin1String("https");
}

QNetworkReply* ClientPool::sendNative(const QNetworkRequest& request, const QByteArray& method,
                                      const QByteArray& body) {
    if (m_http2) {
        return m_http2Pool->send(request, method, body);
    }
    return m_http1->send(request, method, body);
}

QNetworkReply* ClientPool::post(int slot, QNetworkRequest request, const QByteArray& body) {
    if (goesNative(request)) {
        return sendNative(request, QByteArrayLiteral("POST"), body);
    }
    applySlot(slot, request);
    QNetworkAccessManager* manager = m_managers[static_cast<std::size_t>(slot) % m_managers.size()];
    return manager->post(request, body);
}

QNetworkReply* ClientPool::send(int slot, QNetworkRequest request, const QByteArray& method,
                                const QByteArray& body) {
    if (method == "POST") {
        return post(slot, std::move(request), body);
    }
    if (goesNative(request)) {
        return sendNative(request, method, body);
    }
    applySlot(slot, request);
    QNetworkAccessManager* manager = m_managers[static_cast<std::size_t>(slot) % m_managers.size()];
    if (method == "GET" && body.isEmpty()) {
        return manager->get(request);
    }
    return manager->sendCustomRequest(request, method, body);
}

void ClientPool::setReceiveStamps(bool enabled) {
    if (m_http1) {
        m_http1->setReceiveStamps(enabled);
    }
}

void ClientPool::startQueued() {
    if (m_http1) {
        m_http1->startQueued();
    }
}

void ClientPool::abortAll() {
    if (m_http1) {
        m_http1->abortAll();
        m_http2Pool->abortAll();
    }
    for (QNetworkAccessManager* manager : m_managers) {
        const auto replies = manager->findChildren<QNetworkReply*>();
        for (QNetworkReply* reply : replies) {
            if (!reply->isFinished()) {
                reply->abort();
            }
        }
    }
}

} // namespace sluice
