// GatewayServer's dealings with callers beyond the proxying itself: the limits each answer
// advertises, answers given at the door (before the engine), and the queue-status comments.
#include "core/server/gateway/gatewayserver.h"

#include "core/server/gateway/limitheaders.h"
#include "core/server/gateway/proxyexchange.h"

#include <cmath>

namespace sluice {

HttpHeaders GatewayServer::limitHeaders(const QByteArray& apiKey, const QString& model,
                                        int client) const {
    std::vector<gateway::LimitLine> lines;
    const Nanos now = m_engine ? m_engine->clock().now() : Nanos{0};
    // Pooled requests (the gateway holds the keys) share one budget; a caller's own key has its
    // own.
    RateBudget* budget = !m_engine                 ? nullptr
                         : m_config.keys.isEmpty() ? &m_engine->budget(apiKey, model)
                                                   : &m_engine->pooledBudget(model);
    // The tighter of the gateway's own limit and its key pool's (the sum of its keys'); what
    // is left is the gateway's own limiter's when that binds, else the whole quota (each key's
    // headroom is in /admin/stats).
    const auto [poolRpm, poolTpm] = poolLimits();
    const auto tighter = [](std::int64_t own, std::int64_t pool) {
        return own > 0 && pool > 0 ? std::min(own, pool) : std::max(own, pool);
    };
    const std::int64_t rpm = tighter(m_config.rpm, poolRpm);
    const std::int64_t tpm = tighter(m_config.tpm, poolTpm);
    if (rpm > 0) {
        const bool own = m_config.rpm > 0 && rpm == m_config.rpm && budget;
        lines.push_back(
            gateway::windowLine("rpm", false, rpm, own ? budget->minuteRequests() : nullptr, now));
    }
    if (tpm > 0) {
        const bool own = m_config.tpm > 0 && tpm == m_config.tpm && budget;
        lines.push_back(
            gateway::windowLine("tpm", true, tpm, own ? budget->minuteTokens() : nullptr, now));
    }
    if (client >= 0 && client < m_clients.size()) {
        const GatewayClient& c = m_clients.client(client);
        if (c.rpm > 0) {
            lines.push_back(gateway::windowLine("client-rpm", false, c.rpm,
                                                &m_clients.requestLimiter(client), now, true));
        }
        if (c.tpm > 0) {
            lines.push_back(gateway::windowLine("client-tpm", true, c.tpm,
                                                &m_clients.tokenLimiter(client), now, true));
        }
    }
    const int limit = m_engine ? m_engine->limit() : m_config.maxConcurrent;
    return gateway::limitHeaders(lines, limit, m_engine ? m_engine->inFlight() : 0);
}

void GatewayServer::setQueueStatusInterval(std::chrono::milliseconds interval) {
    m_statusTimer.setInterval(interval);
}

void GatewayServer::answerAtDoor(HttpResponder* responder, ApiFormat format, int client,
                                 const QString& model, int status, const QString& type,
                                 const QString& message, Nanos retryAfter) {
    const bool anthropic = format == ApiFormat::Anthropic;
    QString kind = type;
    if (status < 0) {
        // Overload: the configured status, Anthropic's 529 for 503.
        status = m_config.rejectStatus == 503 && anthropic ? 529 : m_config.rejectStatus;
        kind = status == 429 ? (anthropic ? QStringLiteral("rate_limit_error")
                                          : QStringLiteral("rate_limit_exceeded"))
                             : (anthropic ? QStringLiteral("overloaded_error")
                                          : QStringLiteral("server_overloaded"));
    }
    HttpHeaders h{{"x-sluice-request-id", "0"}};
    h +=
        limitHeaders(m_config.keys.isEmpty() ? QByteArray() : m_config.keys.first(), model, client);
    h.emplace_back("content-type", "application/json");
    const bool refused = status == 429 || status == 503 || status == 529;
    if (refused) {
        const qint64 ms =
            std::max<qint64>(1, std::llround(static_cast<double>(retryAfter.count()) / 1e6));
        h.emplace_back("retry-after", QByteArray::number((ms + 999) / 1000));
        h.emplace_back("retry-after-ms", QByteArray::number(ms));
    }
    responder->respond(status, h, providerErrorBody(format, kind, message));
    ++m_byCode[status];
    m_clients.answered(client, model, status, refused, m_engine->clock().now());
}

void GatewayServer::tellQueueStatus() {
    const Nanos now = m_engine->clock().now();
    for (auto it = m_watchers.begin(); it != m_watchers.end();) {
        Watcher& w = it->second;
        const auto s = m_engine->status(it->first);
        const bool waiting =
            s && (s->state == RequestState::Queued || s->state == RequestState::WaitingBudget);
        if (!waiting) {
            it = m_watchers.erase(it); // sent: the upstream's stream follows
            continue;
        }
        const bool changed = s->position != w.ahead;
        if (changed || now - w.toldAt >= std::chrono::seconds(1)) {
            w.exchange->beginQueueStatus();
            w.exchange->queueStatus(s->position, s->eta);
            w.ahead = s->position;
            w.toldAt = now;
        }
        ++it;
    }
    if (m_watchers.empty()) {
        m_statusTimer.stop();
    } else if (!m_statusTimer.isActive()) {
        m_statusTimer.start();
    }
}

} // namespace sluice
