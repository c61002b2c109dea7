#include "core/server/mock/mockkeys.h"

#include "core/net/llmformat.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace sluice::mock {

namespace {

const QByteArray kOverflow = QByteArrayLiteral("(other keys)");

} // namespace

Result<QJsonObject> MockKeys::revoke(const HttpRequest& request) {
    const QByteArray key = QJsonDocument::fromJson(request.body)
                               .object()
                               .value(QStringLiteral("key"))
                               .toString()
                               .toUtf8();
    if (key.isEmpty()) {
        return Error::invalid(QStringLiteral("key"),
                              QStringLiteral("the body must be {\"key\": \"the API key\"}"));
    }
    revoke(key);
    return QJsonObject{{QStringLiteral("revoked"), maskKey(key)}};
}

QByteArray MockKeys::keyOf(const HttpRequest& request) {
    QByteArray key = request.header("x-api-key");
    if (key.isEmpty()) {
        key = request.header("authorization");
        if (key.startsWith("Bearer ")) {
            key = key.mid(7).trimmed();
        }
    }
    return key;
}

MockKeys::Entry& MockKeys::entry(const QByteArray& key) {
    auto it = m_keys.find(key);
    if (it == m_keys.end()) {
        const QByteArray& name = m_keys.size() < kMaxKeys ? key : kOverflow;
        it = m_keys
                 .try_emplace(name, Entry{SlidingWindowLimiter(m_rpm), SlidingWindowLimiter(m_tpm)})
                 .first;
    }
    return it->second;
}

std::pair<SlidingWindowLimiter*, SlidingWindowLimiter*> MockKeys::limiters(const QByteArray& key) {
    Entry& e = entry(key);
    return {&e.requestLimiter, &e.tokenLimiter};
}

void MockKeys::setLimits(std::int64_t rpm, std::int64_t tpm) {
    m_rpm = rpm;
    m_tpm = tpm;
    for (auto& [key, e] : m_keys) {
        e.requestLimiter.setLimit(rpm);
        e.tokenLimiter.setLimit(tpm);
    }
}

ApiError MockKeys::unauthorized(Provider provider) {
    ApiError e;
    e.status = 401;
    if (provider == Provider::Anthropic) {
        e.type = "authentication_error";
        e.message = QStringLiteral("invalid x-api-key");
    } else {
        e.type = "invalid_request_error";
        e.code = "invalid_api_key";
        e.message = QStringLiteral("Incorrect API key provided. This key has been revoked.");
    }
    return e;
}

void MockKeys::onStarted(const void* exchange, const QByteArray& key) {
    Entry& e = entry(key);
    e.peakConcurrent = std::max(e.peakConcurrent, ++e.concurrent);
    m_serving.emplace(exchange, key);
}

void MockKeys::onEnded(const void* exchange) {
    const auto it = m_serving.find(exchange);
    if (it == m_serving.end()) {
        return;
    }
    Entry& e = entry(it->second);
    --e.concurrent;
    ++e.served;
    m_serving.erase(it);
}

QJsonArray MockKeys::toJson() const {
    QJsonArray out;
    for (const auto& [key, e] : m_keys) {
        out.append(QJsonObject{
            {QStringLiteral("key"), key == kOverflow ? QString::fromLatin1(key) : maskKey(key)},
            {QStringLiteral("requests"), static_cast<double>(e.requests)},
            {QStringLiteral("rate_limited"), static_cast<double>(e.rateLimited)},
            {QStringLiteral("unauthorized"), static_cast<double>(e.unauthorized)},
            {QStringLiteral("served"), static_cast<double>(e.served)},
            {QStringLiteral("concurrent"), e.concurrent},
            {QStringLiteral("peak_concurrent"), e.peakConcurrent},
            {QStringLiteral("revoked"), revoked(key)},
        });
    }
    return out;
}

void MockKeys::resetCounts() {
    for (auto& [key, e] : m_keys) {
        e.requests = e.rateLimited = e.unauthorized = e.served = 0;
        e.peakConcurrent = e.concurrent;
    }
}

} // namespace sluice::mock
