#pragma once

#include "core/metrics/latencyhistogram.h"
#include "core/net/requestengine.h"
#include "core/server/gateway/adminapi.h"
#include "core/server/gateway/clienttable.h"
#include "core/server/gateway/gatewayconfig.h"
#include "core/server/httpserver.h"

#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <QCoroTask>

#include <deque>
#include <map>
#include <memory>
#include <unordered_map>

namespace sluice {

class AdmissionGate;
class FleetBoard;
class ProxyExchange;

/// `sluice gateway`: an OpenAI/Anthropic-compatible reverse proxy on the HTTP server layer.
/// Every caller's request runs through one RequestEngine (queue → budget → concurrency →
/// breaker → send → retry), so every program on the machine shares one set of limits; overload
/// is answered at once with 503/429 and a Retry-After from the real state; every answer carries
/// x-sluice-request-id, and /admin tells anyone where each request is.
///
/// Lives in one thread with its engine (the engine is single-threaded and responders are
/// thread-affine); call it from that thread.
class GatewayServer final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayServer)

public:
    explicit GatewayServer(GatewayConfig config, const Clock* clock = nullptr,
                           QObject* parent = nullptr);
    ~GatewayServer() override;

    /// Listens on the config's address and port (0 picks a free one).
    Result<void> listen();
    quint16 port() const { return m_http.serverPort(); }
    const GatewayConfig& config() const { return m_config; }
    /// Applies new limits live: the queue and the budgets are kept, waiting requests are
    /// re-evaluated. Invalid JSON changes nothing and names the field.
    Result<void> applyLimits(const QJsonObject& json);

    RequestEngine& engine() { return *m_engine; }
    /// Shares the limits with other gateways (RequestEngine::setGate()); its state shows in
    /// /admin/stats ("shared") and /metrics (sluice_shared_*), and its alarm among the alarms
    /// and events within a second (gatewayshared.cpp). Call before the first request.
    void setGate(std::unique_ptr<AdmissionGate> gate);
    /// Joins a fleet of gateways (gatewayfleet.cpp): requests are numbered from the board's id
    /// base, their changes are published to it, and /admin/requests/{id}, /admin/requests and
    /// /admin/events answer for the other gateways' requests too. Call before the first request.
    void setFleet(std::unique_ptr<FleetBoard> board);
    FleetBoard* fleet() const { return m_fleet.get(); }
    /// GET /admin/stats.
    QJsonObject statsJson() const;
    /// GET /admin/requests/{id}: a live request's status or an ended one's record (empty when
    /// unknown).
    QJsonObject requestJson(std::uint64_t id) const;
    /// GET /metrics (Prometheus text format 0.0.4).
    QByteArray metricsText() const;
    /// When an overloaded caller should come back: the sooner of the budget reopening and the
    /// queue's expected drain, at least 1 s.
    Nanos retryAfter() const;
    /// x-ratelimit-* and IETF RateLimit-Policy / RateLimit headers advertising the limits a
    /// caller is under: the gateway's (the budget of `apiKey` and `model`) and its client's own.
    HttpHeaders limitHeaders(const QByteArray& apiKey = {}, const QString& model = {},
                             int client = -1) const;
    /// How often a waiting caller that asked for x-sluice-queue-status hears where it is (at
    /// most; a comment goes out when its place changes, and at least every second).
    void setQueueStatusInterval(std::chrono::milliseconds interval);

Q_SIGNALS:
    /// The limits changed (through the admin API or applyLimits()).
    void configChanged(const sluice::GatewayConfig& config);
    /// Something an operator must act on (a pool key refused by the provider and retired), in
    /// words, keys masked. Also on /admin/events (event: alarm) and in /admin/stats.
    void alarm(const QString& message);

private:
    void handle(const HttpRequest& request, HttpResponder* responder);
    void proxy(const HttpRequest& request, HttpResponder* responder);
    /// A streaming answer: forwarded event by event through a ProxyExchange sink. Callbacks,
    /// not a coroutine, on this per-event hot path: the engine calls the sink synchronously
    /// inside its read of the upstream reply (the commit rule depends on it), so there is nothing
    /// to await; a frame suspended and resumed per event would only add an allocation and a
    /// `this` that may be gone when it resumes (qcoro#177).
    void forwardStream(EngineRequest request, HttpResponder* responder, ApiFormat format,
                       int client, std::uint64_t id, bool wantsStatus, int free);
    /// A whole (non-streaming) answer, top-down (gatewaywhole.cpp): submit, co_await the end,
    /// answer in one piece. Resumes inside the request's completion, which the engine runs while
    /// this gateway is alive (~GatewayServer ends every request), so `this` is valid after the
    /// co_await; the caller's responder may be gone (ProxyExchange guards it).
    QCoro::Task<> forwardWhole(EngineRequest request, QPointer<HttpResponder> responder,
                               ApiFormat format, int client, std::uint64_t id);
    /// The books for an ended request, whichever path answered it.
    void ended(const RequestRecord& record, int clientStatus, int client, const QString& model);
    void onEnded(const RequestRecord& record, int clientStatus);
    // The admin API (gatewayadmin.cpp).
    void admin(const HttpRequest& request, HttpResponder* responder);
    bool adminAllowed(const HttpRequest& request) const;
    void subscribeEvents(HttpResponder* responder);
    void onRequestsUpdated(const QList<sluice::RequestUpdate>& updates);
    /// An answer that did not come from the engine (401, 400, a client's own limit, queue full).
    void answerAtDoor(HttpResponder* responder, ApiFormat format, int client, const QString& model,
                      int status, const QString& type, const QString& message,
                      Nanos retryAfter = Nanos{0});
    /// The queue-status comments: each watcher hears its place when it changes.
    void tellQueueStatus();
    void applyToEngine();
    void replyJson(HttpResponder* responder, int status, const QJsonObject& body);
    // The upstream key pool (gatewaykeys.cpp).
    void setUpKeyPool();
    void onKeyRetired(const QString& maskedKey, const QString& reason);
    void addKeyPoolStats(QJsonObject& stats) const;
    void addKeyPoolMetrics(QByteArray& metrics) const;
    // The shared gate (gatewayshared.cpp).
    void watchGate();
    void addGateStats(QJsonObject& stats) const;
    void addGateMetrics(QByteArray& metrics) const;
    // The fleet's requests (gatewayfleet.cpp).
    void publishToFleet(const QList<sluice::RequestUpdate>& updates);
    void onFleetRequests(const QJsonArray& requests);
    /// /admin/requests/{id} for a request of this gateway or, in a fleet, of another.
    QJsonObject anyRequestJson(std::uint64_t id) const;
    /// /admin/requests[?state=…]: this gateway's requests and, in a fleet, the others'.
    QJsonObject requestListJson(const QByteArray& query) const;
    /// Into the alarm list and /admin/events, and alarm().
    void pushAlarm(const QJsonObject& event, const QString& message);
    /// The pool's summed limits (0 = unknown or none), for the advertised headers.
    std::pair<std::int64_t, std::int64_t> poolLimits() const;
    /// What stats and metrics read besides the engine's snapshot; `live` outlives the result.
    gateway::GatewayCounters counters(const std::vector<RequestStatus>* live) const;

    GatewayConfig m_config;
    std::unique_ptr<RequestEngine> m_engine;
    HttpServer m_http;

    // What the gateway saw, for /admin/stats and /metrics.
    std::map<int, std::int64_t> m_byCode; ///< answers by the status the caller got
    std::int64_t m_clientGone = 0;
    std::int64_t m_doorRejected = 0; ///< turned away before the engine: queue_size waiting
    std::int64_t m_promptTokens = 0, m_completionTokens = 0;
    LatencyHistogram m_overhead;
    /// (ended at, overhead) of the last requests (at most 10,000), for the last 10 s' figures.
    std::deque<std::pair<Nanos, Nanos>> m_overheadRecent;
    LatencyHistogram m_ttft;
    LatencyHistogram m_e2e;
    /// The last ended requests, for /admin/requests/{id} after the end: what their final JSON
    /// is made of (the record without its per-chunk series), made into JSON when asked for.
    struct Ended {
        RequestRecord record;
        int clientStatus = 0;
    };
    std::deque<Ended> m_ended;
    /// Into m_ended (a deque keeps its elements in place as its ends grow and shrink).
    std::unordered_map<std::uint64_t, const Ended*> m_endedById;
    std::vector<QPointer<HttpResponder>> m_eventSubscribers;
    std::deque<QJsonObject> m_alarms; ///< the last alarms, for /admin/stats
    ClientTable m_clients;            ///< who callers are; answers by client, model and status
    /// Streaming callers waiting with x-sluice-queue-status, by request id: removed by their
    /// request's completion, which deletes the exchange.
    struct Watcher {
        ProxyExchange* exchange = nullptr;
        std::int64_t ahead = -1;
        Nanos toldAt{0};
    };
    std::unordered_map<std::uint64_t, Watcher> m_watchers;
    QTimer m_statusTimer;
    QTimer m_gateWatch;
    bool m_gateAlarm = false;            ///< the gate's alarm, as last published
    std::unique_ptr<FleetBoard> m_fleet; ///< the other gateways' requests (null: alone)
};

} // namespace sluice
