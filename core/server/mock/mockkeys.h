#pragma once

#include "core/engine/clock.h"
#include "core/engine/slidingwindowlimiter.h"
#include "core/result.h"
#include "core/server/httprequest.h"
#include "core/server/mock/mockprotocol.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>

#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>

namespace sluice::mock {

/// The mock's view per API key (from `Authorization: Bearer` or `x-api-key`): with --per-key
/// each key has its own request and token limiters, as a provider limits each key of an
/// account; every key is counted (requests, 429s, 401s, concurrency) for /mock/stats, masked;
/// and a key can be revoked (POST /mock/revoke), after which it gets 401 invalid_api_key.
///
/// Plain data owned by MockServer, in its thread. At most kMaxKeys keys are tracked; the rest
/// share one entry.
class MockKeys {
public:
    static constexpr std::size_t kMaxKeys = 10'000;

    /// The caller's key ("" when it sent none).
    static QByteArray keyOf(const HttpRequest& request);
    /// The request and token limiters of `key` (created with the current limits).
    std::pair<SlidingWindowLimiter*, SlidingWindowLimiter*> limiters(const QByteArray& key);
    void setLimits(std::int64_t rpm, std::int64_t tpm);

    void revoke(const QByteArray& key) { m_revoked.insert(key); }
    /// POST /mock/revoke {"key": K}: revokes K and returns the answer's JSON (the key masked),
    /// or an error naming the field `key`.
    Result<QJsonObject> revoke(const HttpRequest& request);
    bool revoked(const QByteArray& key) const { return m_revoked.count(key) > 0; }
    /// The answer to a revoked key, in the provider's shape.
    static ApiError unauthorized(Provider provider);

    void onRequest(const QByteArray& key) { ++entry(key).requests; }
    void onRateLimited(const QByteArray& key) { ++entry(key).rateLimited; }
    void onUnauthorized(const QByteArray& key) { ++entry(key).unauthorized; }
    /// An admitted request (`exchange`) starts being served / ends.
    void onStarted(const void* exchange, const QByteArray& key);
    void onEnded(const void* exchange);

    /// Counters per key, masked, for /mock/stats.
    QJsonArray toJson() const;
    /// Counters back to zero (limiters, revocations and live concurrency stay).
    void resetCounts();

private:
    struct Entry {
        SlidingWindowLimiter requestLimiter, tokenLimiter;
        std::int64_t requests = 0, rateLimited = 0, unauthorized = 0, served = 0;
        int concurrent = 0, peakConcurrent = 0;
    };
    Entry& entry(const QByteArray& key);

    std::int64_t m_rpm = 0, m_tpm = 0;
    std::map<QByteArray, Entry> m_keys;
    std::set<QByteArray> m_revoked;
    std::unordered_map<const void*, QByteArray> m_serving;
};

} // namespace sluice::mock
