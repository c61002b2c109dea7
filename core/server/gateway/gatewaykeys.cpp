// The gateway's upstream key pool: the engine's KeyPool set up from --keys-file, its alarm
// when the provider refuses a key, and its per-key figures in /admin/stats and /metrics.
// Keys appear masked everywhere (`sk-...abcd`).

#include "core/server/gateway/gatewayserver.h"

#include "core/server/httpresponder.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace sluice {

namespace {

double millis(Nanos d) {
    return static_cast<double>(std::chrono::duration_cast<Millis>(d).count());
}

QByteArray labelValue(const QString& text) {
    QByteArray out = text.toUtf8();
    out.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    return out;
}

std::int64_t minuteLimit(const std::vector<RateLevel>& levels) {
    for (const RateLevel& level : levels) {
        if (level.period == std::chrono::minutes(1)) {
            return level.limit;
        }
    }
    return 0;
}

} // namespace

void GatewayServer::setUpKeyPool() {
    if (m_config.keys.isEmpty()) {
        return;
    }
    std::vector<PoolKey> keys;
    for (qsizetype i = 0; i < m_config.keys.size(); ++i) {
        keys.push_back(PoolKey{m_config.keys[i], i < m_config.keyModels.size()
                                                     ? m_config.keyModels[i]
                                                     : QStringList{}});
    }
    m_engine->setKeyPool(std::move(keys));
    connect(m_engine.get(), &RequestEngine::keyRetired, this, &GatewayServer::onKeyRetired);
}

void GatewayServer::onKeyRetired(const QString& maskedKey, const QString& reason) {
    const KeyPool* pool = m_engine->keyPool();
    int live = 0;
    for (const KeyFigures& f : pool->figures(m_engine->clock().now())) {
        live += f.retired ? 0 : 1;
    }
    const QString message =
        QStringLiteral("upstream key %1 retired from the pool: %2 (%3 of %4 keys left)")
            .arg(maskedKey, reason)
            .arg(live)
            .arg(pool->size());
    const QJsonObject event{
        {QStringLiteral("kind"), QStringLiteral("key_retired")},
        {QStringLiteral("key"), maskedKey},
        {QStringLiteral("reason"), reason},
        {QStringLiteral("keys_left"), live},
        {QStringLiteral("message"), message},
        {QStringLiteral("at_unix_ms"), static_cast<double>(QDateTime::currentMSecsSinceEpoch())},
    };
    pushAlarm(event, message);
}

std::pair<std::int64_t, std::int64_t> GatewayServer::poolLimits() const {
    const KeyPool* pool = m_engine ? m_engine->keyPool() : nullptr;
    if (!pool) {
        return {0, 0};
    }
    const BudgetLimits sum = pool->summedLimits();
    return {minuteLimit(sum.requests), minuteLimit(sum.tokens)};
}

void GatewayServer::addKeyPoolStats(QJsonObject& stats) const {
    QJsonArray alarms;
    for (const QJsonObject& a : m_alarms) {
        alarms.append(a);
    }
    stats.insert(QStringLiteral("alarms"), alarms);
    const KeyPool* pool = m_engine->keyPool();
    if (!pool) {
        return;
    }
    const auto optional = [](const std::optional<std::int64_t>& v) {
        return v ? QJsonValue(static_cast<double>(*v)) : QJsonValue();
    };
    QJsonArray keys;
    int live = 0;
    for (const KeyFigures& f : pool->figures(m_engine->clock().now())) {
        live += f.retired ? 0 : 1;
        QJsonObject k{
            {QStringLiteral("key"), f.masked},
            {QStringLiteral("models"), QJsonArray::fromStringList(f.models)},
            {QStringLiteral("in_flight"), f.inFlight},
            {QStringLiteral("requests"), static_cast<double>(f.requests)},
            {QStringLiteral("rate_limited"), static_cast<double>(f.rateLimited)},
            {QStringLiteral("auth_failures"), static_cast<double>(f.authFailures)},
            {QStringLiteral("limit_requests"), optional(f.limitRequests)},
            {QStringLiteral("remaining_requests"), optional(f.remainingRequests)},
            {QStringLiteral("reset_requests_ms"), millis(f.resetRequestsIn)},
            {QStringLiteral("limit_tokens"), optional(f.limitTokens)},
            {QStringLiteral("remaining_tokens"), optional(f.remainingTokens)},
            {QStringLiteral("reset_tokens_ms"), millis(f.resetTokensIn)},
            {QStringLiteral("cooling_ms"), millis(f.coolingFor)},
            {QStringLiteral("wait_ms"), millis(f.waitTime)},
            {QStringLiteral("retired"), f.retired},
        };
        if (f.retired) {
            k.insert(QStringLiteral("retired_reason"), f.retiredReason);
        }
        keys.append(k);
    }
    const auto [rpm, tpm] = poolLimits();
    stats.insert(QStringLiteral("keys"), keys);
    stats.insert(QStringLiteral("key_pool"),
                 QJsonObject{{QStringLiteral("keys"), static_cast<int>(pool->size())},
                             {QStringLiteral("live"), live},
                             {QStringLiteral("limit_rpm"), static_cast<double>(rpm)},
                             {QStringLiteral("limit_tpm"), static_cast<double>(tpm)}});
}

void GatewayServer::addKeyPoolMetrics(QByteArray& out) const {
    const KeyPool* pool = m_engine->keyPool();
    if (!pool) {
        return;
    }
    const std::vector<KeyFigures> figures = pool->figures(m_engine->clock().now());
    const auto family = [&out, &figures](const char* name, const char* type, const char* help,
                                         auto value) {
        out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
        for (const KeyFigures& f : figures) {
            value(QByteArray(name) + "{key=\"" + labelValue(f.masked) + '"', f);
        }
    };
    const auto line = [&out](const QByteArray& head, const char* extra, double v) {
        out += head + extra + "} " + QByteArray::number(v, 'g', 12) + '\n';
    };
    family("sluice_key_in_flight", "gauge", "Upstream requests in flight on each pool key.",
           [&](const QByteArray& h, const KeyFigures& f) { line(h, "", f.inFlight); });
    family("sluice_key_requests_total", "counter", "Upstream attempts sent with each pool key.",
           [&](const QByteArray& h, const KeyFigures& f) {
               line(h, "", static_cast<double>(f.requests));
           });
    family("sluice_key_rate_limited_total", "counter", "429 answers to each pool key.",
           [&](const QByteArray& h, const KeyFigures& f) {
               line(h, "", static_cast<double>(f.rateLimited));
           });
    family("sluice_key_remaining", "gauge",
           "Headroom left on each pool key, as the provider last said.",
           [&](const QByteArray& h, const KeyFigures& f) {
               if (f.remainingRequests) {
                   line(h, ",kind=\"requests\"", static_cast<double>(*f.remainingRequests));
               }
               if (f.remainingTokens) {
                   line(h, ",kind=\"tokens\"", static_cast<double>(*f.remainingTokens));
               }
           });
    family("sluice_key_reset_seconds", "gauge",
           "Time until each pool key's window is full again, as the provider last said.",
           [&](const QByteArray& h, const KeyFigures& f) {
               line(h, ",kind=\"requests\"", toSeconds(f.resetRequestsIn));
               line(h, ",kind=\"tokens\"", toSeconds(f.resetTokensIn));
           });
    family("sluice_key_cooling_seconds", "gauge",
           "Time a pool key is still held back after a 429 (0 = not cooling).",
           [&](const QByteArray& h, const KeyFigures& f) { line(h, "", toSeconds(f.coolingFor)); });
    family("sluice_key_retired", "gauge", "1 when the provider refused the key (401/403).",
           [&](const QByteArray& h, const KeyFigures& f) { line(h, "", f.retired ? 1 : 0); });
}

} // namespace sluice
