// GatewayServer: the admin API (requests, events, stats, metrics, config) and who may use it.
#include "core/fleetboard.h"
#include "core/server/gateway/adminapi.h"
#include "core/server/gateway/gatewayserver.h"
#include "core/server/httpresponder.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace sluice {

QJsonObject GatewayServer::requestJson(std::uint64_t id) const {
    if (const auto status = m_engine->status(id)) {
        return gateway::requestStatusJson(*status, m_engine->clock().now());
    }
    const auto it = m_endedById.find(id);
    return it == m_endedById.end()
               ? QJsonObject{}
               : gateway::requestRecordJson(it->second->record, it->second->clientStatus);
}

void GatewayServer::replyJson(HttpResponder* responder, int status, const QJsonObject& body) {
    responder->respond(status, {{"content-type", "application/json"}},
                       QJsonDocument(body).toJson(QJsonDocument::Compact));
}

bool GatewayServer::adminAllowed(const HttpRequest& request) const {
    if (!m_config.adminToken.isEmpty()) {
        return request.header("authorization") == "Bearer " + m_config.adminToken;
    }
    return request.peer.isLoopback();
}

void GatewayServer::admin(const HttpRequest& request, HttpResponder* responder) {
    if (!adminAllowed(request)) {
        replyJson(responder, m_config.adminToken.isEmpty() ? 403 : 401,
                  {{QStringLiteral("error"),
                    m_config.adminToken.isEmpty()
                        ? QStringLiteral("admin endpoints answer loopback only (start the "
                                         "gateway with --admin-token to allow others)")
                        : QStringLiteral("wrong or missing admin token (Authorization: Bearer "
                                         "TOKEN)")}});
        return;
    }
    const QByteArray& path = request.path;
    const bool get = request.method == "GET" || request.method == "HEAD";
    if (path == "/metrics" && get) {
        responder->respond(200, {{"content-type", "text/plain; version=0.0.4; charset=utf-8"}},
                           metricsText());
    } else if (path == "/admin/stats" && get) {
        replyJson(responder, 200, statsJson());
    } else if (path == "/admin/config" && get) {
        replyJson(responder, 200, m_config.toJson());
    } else if (path == "/admin/config" && request.method == "POST") {
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(request.body, &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject()) {
            replyJson(
                responder, 400,
                {{QStringLiteral("error"), QStringLiteral("the body must be a JSON object")}});
            return;
        }
        const auto applied = applyLimits(doc.object());
        if (!applied) {
            replyJson(responder, 400,
                      {{QStringLiteral("error"), applied.error().text()},
                       {QStringLiteral("field"), applied.error().field}});
            return;
        }
        replyJson(responder, 200, m_config.toJson());
    } else if (path == "/admin/events" && get) {
        subscribeEvents(responder);
    } else if (path == "/admin/requests" && get) {
        replyJson(responder, 200, requestListJson(request.query));
    } else if (path.startsWith("/admin/requests/") && get) {
        bool ok = false;
        const std::uint64_t id = path.mid(16).toULongLong(&ok);
        const QJsonObject json = ok ? anyRequestJson(id) : QJsonObject{};
        if (json.isEmpty()) {
            replyJson(responder, 404,
                      {{QStringLiteral("error"), QStringLiteral("no request %1 (ids of ended "
                                                                "requests are kept for the last "
                                                                "10,000)")
                                                     .arg(QString::fromUtf8(path.mid(16)))}});
        } else {
            replyJson(responder, 200, json);
        }
    } else {
        const bool known = path == "/metrics" || path == "/admin/stats" ||
                           path == "/admin/config" || path == "/admin/events" ||
                           path.startsWith("/admin/requests");
        if (known) {
            responder->respond(405,
                               {{"allow", path == "/admin/config" ? "GET, POST" : "GET"},
                                {"content-type", "application/json"}},
                               R"({"error":"method not allowed"})");
        } else {
            replyJson(responder, 404, {{QStringLiteral("error"), QStringLiteral("no such path")}});
        }
    }
}

void GatewayServer::subscribeEvents(HttpResponder* responder) {
    responder->beginChunked(200, {{"content-type", "text/event-stream"},
                                  {"cache-control", "no-cache"},
                                  {"x-accel-buffering", "no"}});
    responder->write(": sluice gateway request states\n\n");
    m_eventSubscribers.emplace_back(responder);
}

void GatewayServer::onRequestsUpdated(const QList<RequestUpdate>& updates) {
    publishToFleet(updates);
    std::erase_if(m_eventSubscribers, [](const QPointer<HttpResponder>& r) { return !r; });
    if (m_eventSubscribers.empty() || updates.isEmpty()) {
        return;
    }
    QByteArray out;
    const QString fleetName = m_fleet ? m_fleet->processName() : QString();
    for (const RequestUpdate& u : updates) {
        QJsonObject json = gateway::updateJson(u);
        if (m_fleet) {
            json.insert(QStringLiteral("gateway"), fleetName);
        }
        out += "event: state\ndata: " + QJsonDocument(json).toJson(QJsonDocument::Compact) + "\n\n";
    }
    for (const auto& subscriber : m_eventSubscribers) {
        subscriber->write(out);
    }
}

gateway::GatewayCounters GatewayServer::counters(const std::vector<RequestStatus>* live) const {
    gateway::GatewayCounters c{m_byCode,           m_clientGone, m_doorRejected, m_promptTokens,
                               m_completionTokens, &m_overhead,  &m_ttft,        &m_e2e};
    c.clients = &m_clients;
    c.live = live;
    return c;
}

QJsonObject GatewayServer::statsJson() const {
    const std::vector<RequestStatus> live = m_engine->statuses();
    QJsonObject stats = gateway::statsJson(m_engine->snapshot(), m_config, counters(&live));
    addKeyPoolStats(stats);
    // The overhead of the last 10 s too, for a chart that moves (the histogram is since start).
    std::vector<Nanos> recent;
    const Nanos since = m_engine->clock().now() - std::chrono::seconds(10);
    for (const auto& [at, overhead] : m_overheadRecent) {
        if (at >= since) {
            recent.push_back(overhead);
        }
    }
    QJsonObject latency = stats.value(QStringLiteral("latency")).toObject();
    latency.insert(QStringLiteral("overhead_recent"), gateway::recentPercentiles(recent));
    stats.insert(QStringLiteral("latency"), latency);
    addGateStats(stats);
    return stats;
}

QByteArray GatewayServer::metricsText() const {
    const std::vector<RequestStatus> live = m_engine->statuses();
    QByteArray text = gateway::metricsText(m_engine->snapshot(), m_config, counters(&live));
    addKeyPoolMetrics(text);
    addGateMetrics(text);
    return text;
}

} // namespace sluice
