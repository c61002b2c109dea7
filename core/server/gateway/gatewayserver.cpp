#include "core/server/gateway/gatewayserver.h"

#include "core/fleetboard.h"
#include "core/goduration.h"
#include "core/net/tokenestimate.h"
#include "core/server/gateway/adminapi.h"
#include "core/server/gateway/proxyexchange.h"

#include <QHostInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace sluice {

namespace {

// Paths whose answers are chat completions / messages (judged, token-counted, streamable).
bool isChatPath(QByteArrayView path) {
    return path.endsWith("/chat/completions") || path.endsWith("/completions") ||
           path.endsWith("/messages");
}

std::optional<int> priorityOf(const HttpRequest& r) {
    const QByteArray text = r.header("x-sluice-priority");
    if (text.isEmpty()) {
        return 1;
    }
    bool ok = false;
    const int p = text.toInt(&ok);
    return ok && p >= 0 && p <= 9 ? std::optional<int>(p) : std::nullopt;
}

// The token a caller presents: x-api-key (Anthropic), else Authorization: Bearer (OpenAI).
QByteArray callerToken(const HttpRequest& request) {
    QByteArray token = request.header("x-api-key");
    if (token.isEmpty()) {
        token = request.header("authorization");
        if (token.startsWith("Bearer ")) {
            token = token.mid(7);
        }
    }
    return token;
}

} // namespace

GatewayServer::GatewayServer(GatewayConfig config, const Clock* clock, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_http([this](const HttpRequest& r, HttpResponder* w) { handle(r, w); }, this) {
    EngineConfig engine;
    engine.followServerLimits = true; // traffic control: never more than the provider allows
    engine.receiveStamps = false;     // a system call per forwarded event, for timings only
    m_engine = std::make_unique<RequestEngine>(engine, clock, this);
    applyToEngine();
    setUpKeyPool();
    connect(m_engine.get(), &RequestEngine::requestsUpdated, this,
            &GatewayServer::onRequestsUpdated);
    m_statusTimer.setInterval(std::chrono::milliseconds(250));
    connect(&m_statusTimer, &QTimer::timeout, this, &GatewayServer::tellQueueStatus);
}

GatewayServer::~GatewayServer() {
    m_http.close();
    // Ends every request while the engine is whole; what is left ends in reset(), when
    // m_engine already reads null (limitHeaders() and retryAfter() allow for that).
    m_engine->cancelAll();
    m_engine.reset();
}

Result<void> GatewayServer::listen() {
    if (!m_http.listen(m_config.listenAddress, m_config.port)) {
        return Error{Error::Kind::Unavailable, QStringLiteral("listen"),
                     QStringLiteral("cannot listen on %1:%2: %3")
                         .arg(m_config.listenAddress.toString())
                         .arg(m_config.port)
                         .arg(m_http.errorString())};
    }
    if (m_fleet) {
        // What an operator can go and ask: this gateway's host and port.
        m_fleet->setProcessName(QHostInfo::localHostName() + QLatin1Char(':') +
                                QString::number(m_http.serverPort()));
    }
    return {};
}

void GatewayServer::applyToEngine() {
    m_engine->setConcurrency(m_config.concurrency());
    m_engine->setBudgets(rateBudgets(m_config.rpm, m_config.tpm));
    QueueConfig queue = m_engine->config().queue;
    queue.laneWeights.clear();
    for (const GatewayClient& c : m_config.clients) {
        queue.laneWeights[c.name.toStdString()] = c.weight;
    }
    m_clients.setClients(m_config.clients, m_engine->clock().now());
    // The engine queues every request on its way to a slot, even one that leaves at once: its
    // queue holds the waiting ones plus those about to be sent. The gateway itself turns away
    // a caller that would have to wait when queue_size are already waiting (see proxy()).
    queue.capacity =
        static_cast<std::size_t>(m_config.queueSize) +
        static_cast<std::size_t>(m_config.adaptive ? m_config.adaptiveMax : m_config.maxConcurrent);
    m_engine->setQueue(queue);
    RetryConfig retry = m_engine->config().retry;
    retry.maxAttempts = 1 + m_config.retries;
    m_engine->setRetry(retry);
}

Result<void> GatewayServer::applyLimits(const QJsonObject& json) {
    if (auto applied = m_config.applyLimits(json); !applied) {
        return applied;
    }
    applyToEngine();
    Q_EMIT configChanged(m_config);
    return {};
}

Nanos GatewayServer::retryAfter() const {
    if (!m_engine) {
        return std::chrono::seconds(1);
    }
    const EngineSnapshot s = m_engine->snapshot();
    const Nanos drain = m_engine->expectedWait(s.queued);
    return std::max<Nanos>(std::chrono::seconds(1), std::max(drain, s.nextAllowedIn));
}

void GatewayServer::handle(const HttpRequest& request, HttpResponder* responder) {
    if (request.parseError != 0) {
        responder->respond(request.parseError, {{"content-type", "application/json"}},
                           providerErrorBody(m_config.format,
                                             QStringLiteral("invalid_request_error"),
                                             QString::fromUtf8(request.parseErrorMessage)));
        return;
    }
    const QByteArray& path = request.path;
    if (path == "/health") {
        replyJson(responder, 200, {{QStringLiteral("status"), QStringLiteral("ok")}});
        return;
    }
    if (path.startsWith("/admin/") || path == "/metrics") {
        admin(request, responder);
        return;
    }
    if (path == "/v1" || path.startsWith("/v1/")) {
        proxy(request, responder);
        return;
    }
    replyJson(responder, 404,
              {{QStringLiteral("error"),
                QStringLiteral("no such path: %1 (the gateway serves /v1/..., /admin/..., "
                               "/metrics, /health)")
                    .arg(QString::fromUtf8(path))}});
}

void GatewayServer::proxy(const HttpRequest& request, HttpResponder* responder) {
    const bool anthropic = request.path.endsWith("/messages");
    const ApiFormat format = anthropic ? ApiFormat::Anthropic : m_config.format;
    const bool chat = isChatPath(request.path) && request.method == "POST";
    EngineRequest r;
    r.format = format;
    r.method = request.method;
    r.endpoint = m_config.upstreamFor(request.path, request.query);
    r.body = request.body;
    r.chat = chat;
    const QJsonObject body = chat ? QJsonDocument::fromJson(request.body).object() : QJsonObject{};
    r.stream = body.value(QStringLiteral("stream")).toBool(false);
    r.model = body.value(QStringLiteral("model")).toString();
    if (chat) {
        // Known here, so the client's own tpm reserves what the engine will.
        r.promptTokens = estimatePromptTokens(body);
        r.maxTokens = requestedMaxTokens(body, m_engine->config().defaultMaxTokens);
    } else {
        r.promptTokens = 0;
        r.maxTokens = 0;
    }
    // Who is asking: a gateway client's token, or (without clients) the caller's own key.
    const QByteArray callerKey = callerToken(request);
    const int client = m_clients.empty() ? -1 : m_clients.find(callerKey);
    if (!m_clients.empty() && client < 0) {
        answerAtDoor(
            responder, format, -1, r.model, 401,
            anthropic ? QStringLiteral("authentication_error") : QStringLiteral("invalid_api_key"),
            callerKey.isEmpty() ? QStringLiteral("Sluice gateway: no client token (Authorization: "
                                                 "Bearer TOKEN or x-api-key)")
                                : QStringLiteral("Sluice gateway: unknown client token %1")
                                      .arg(maskKey(callerKey)));
        return;
    }
    const auto priority = priorityOf(request);
    if (!priority) {
        answerAtDoor(responder, format, client, r.model, 400,
                     QStringLiteral("invalid_request_error"),
                     QStringLiteral("x-sluice-priority: must be 0 (most urgent) to 9"));
        return;
    }
    r.priority = *priority;
    r.queueTimeout = m_config.queueTimeout;
    if (const QByteArray timeout = request.header("x-sluice-timeout"); !timeout.isEmpty()) {
        // The caller's deadline over queue and every attempt: "30s", "1500ms" (Go durations).
        const auto d = parseGoDuration(timeout);
        if (!d || d->count() <= 0 || *d > std::chrono::hours(1)) {
            answerAtDoor(responder, format, client, r.model, 400,
                         QStringLiteral("invalid_request_error"),
                         QStringLiteral("x-sluice-timeout: must be a duration like 30s or "
                                        "1500ms, at most 1h"));
            return;
        }
        r.timeout = *d;
    }
    if (client >= 0) {
        // Bounded by the client's entry: no more urgent than it may be, no longer than it may
        // wait; its lane shares the queue by its weight.
        const GatewayClient& c = m_clients.client(client);
        r.priority = std::max(r.priority, c.maxPriority);
        if (c.maxTimeout.count() > 0) {
            r.timeout = r.timeout.count() > 0 ? std::min(r.timeout, c.maxTimeout) : c.maxTimeout;
        }
        r.lane = c.name;
    }
    if (!m_config.keys.isEmpty()) {
        r.pooled = true; // the engine's key pool picks the key at each attempt
        if (client < 0) {
            r.lane = QString::fromLatin1(callerKey.isEmpty() ? QByteArray("anonymous")
                                                             : maskKey(callerKey).toLatin1());
        }
    } else if (client < 0) {
        r.apiKey = callerKey;
    }
    for (const auto& [name, value] : request.headers) {
        if (name == "authorization" || name == "x-api-key" || name == "api-key" ||
            name.startsWith("x-sluice-")) {
            continue; // our key (or the caller's, set by the engine), not theirs twice
        }
        r.headers.emplace_back(name, value);
    }
    const int free = std::max(0, m_engine->limit() - m_engine->inFlight());
    if (static_cast<int>(m_engine->queued()) + 1 > m_config.queueSize + free) {
        // It would have to wait, and queue_size callers already do: turned away at the door.
        ++m_doorRejected;
        answerAtDoor(
            responder, format, client, r.model, -1, {},
            QStringLiteral("Sluice gateway: queue full (%1 waiting)").arg(m_config.queueSize),
            retryAfter());
        return;
    }
    const std::uint64_t id = m_engine->nextId();
    if (client >= 0) {
        const auto refused =
            m_clients.admit(client, id, r.promptTokens + r.maxTokens, m_engine->clock().now());
        if (refused) {
            answerAtDoor(responder, format, client, r.model, 429,
                         anthropic ? QStringLiteral("rate_limit_error")
                                   : QStringLiteral("rate_limit_exceeded"),
                         QStringLiteral("Sluice gateway: ") + refused.reason, refused.retryAfter);
            return;
        }
    }
    if (r.stream && chat) {
        const bool wantsStatus = request.header("x-sluice-queue-status") == "1";
        forwardStream(std::move(r), responder, format, client, id, wantsStatus, free);
    } else {
        forwardWhole(std::move(r), responder, format, client, id);
    }
}

void GatewayServer::forwardStream(EngineRequest r, HttpResponder* responder, ApiFormat format,
                                  int client, std::uint64_t id, bool wantsStatus, int free) {
    auto* exchange = new ProxyExchange(*this, responder, format, true);
    exchange->setCaller(r.apiKey, r.model, client);
    r.sink = exchange;
    auto alive = std::make_shared<bool>(true);
    const QString model = r.model;
    const std::uint64_t submitted = m_engine->submit(
        std::move(r), [this, exchange, alive, client, model](const RequestRecord& record) {
            const int status = exchange->finish(record);
            *alive = false;
            m_watchers.erase(record.id);
            delete exchange;
            ended(record, status, client, model);
        });
    if (submitted == 0) {
        // The engine is going away: nothing was queued and the completion will not run.
        delete exchange;
        responder->respond(503, {{"content-type", "application/json"}},
                           providerErrorBody(format, QStringLiteral("server_overloaded"),
                                             QStringLiteral("the gateway is stopping")));
        return;
    }
    Q_ASSERT(submitted == id);
    if (!*alive) {
        return; // refused at once (queue full): already answered
    }
    exchange->setId(id);
    if (wantsStatus) {
        m_watchers.emplace(id, Watcher{exchange});
        // One that must wait hears so at once; one about to be sent hears nothing unless it
        // is still queued at the next status tick.
        if (const auto s = m_engine->status(id); s && s->position >= free) {
            tellQueueStatus();
        }
    }
    // A caller that leaves stops its request wherever it is: out of the queue at once, or its
    // upstream request aborted and its slot freed.
    RequestEngine* engine = m_engine.get();
    // Queued: the caller's socket may go while a sink call writes to it, and a request must
    // not be cancelled from inside its own sink call (the engine is still reading its bytes).
    connect(
        responder, &HttpResponder::clientGone, engine,
        [engine, id, exchange, alive] {
            if (*alive) {
                exchange->callerGone();
                engine->cancel(id);
            }
        },
        Qt::QueuedConnection);
    // Last: the request may end inside it (and `exchange` with it).
    engine->dispatchNow();
}

void GatewayServer::ended(const RequestRecord& record, int status, int client,
                          const QString& model) {
    onEnded(record, status);
    const bool refused =
        record.state == RequestState::Rejected || record.state == RequestState::TimedOut;
    m_clients.ended(client, record.id, model, status, record, refused, m_engine->clock().now());
}

void GatewayServer::onEnded(const RequestRecord& r, int clientStatus) {
    if (clientStatus == 0) {
        ++m_clientGone;
    } else {
        ++m_byCode[clientStatus];
    }
    if (r.state == RequestState::Done || r.committed) {
        // Also a stream cut short (the caller left, the upstream broke): what it used so far.
        m_promptTokens += r.promptTokens;
        m_completionTokens += r.completionTokens;
    }
    if (r.state == RequestState::Done) {
        if (r.firstTokenAt.count() > 0) {
            m_ttft.record((r.firstTokenAt - r.sentAt).count());
        }
        m_e2e.record(r.e2e().count());
    }
    if (r.attempts > 0 && r.state == RequestState::Done) {
        // What the gateway itself added: everything but the queue and the upstream's answer.
        const Nanos upstream = r.e2e();
        const Nanos overhead = r.totalTime() - r.queueTime() - upstream;
        m_overhead.record(std::max<std::int64_t>(0, overhead.count()));
        m_overheadRecent.emplace_back(r.endedAt, std::max(Nanos{0}, overhead));
        while (m_overheadRecent.size() > 10000) {
            m_overheadRecent.pop_front();
        }
    }
    // Kept as values, not JSON: building a JSON object per request cost more than the rest of
    // the gateway's own work on it.
    Ended& ended = m_ended.emplace_back();
    ended.clientStatus = clientStatus;
    RequestRecord& e = ended.record; // what requestRecordJson() reads
    e.id = r.id;
    e.state = r.state;
    e.priority = r.priority;
    e.failure = r.failure;
    e.reason = r.reason;
    e.attempts = r.attempts;
    e.status = r.status;
    e.submittedAt = r.submittedAt;
    e.firstSentAt = r.firstSentAt;
    e.sentAt = r.sentAt;
    e.firstTokenAt = r.firstTokenAt;
    e.lastAt = r.lastAt;
    e.endedAt = r.endedAt;
    e.promptTokens = r.promptTokens;
    e.completionTokens = r.completionTokens;
    e.upstreamKey = r.upstreamKey;
    e.attemptLog = r.attemptLog; // the request detail's timeline (usually one attempt)
    m_endedById[r.id] = &ended;
    while (m_ended.size() > 10000) {
        m_endedById.erase(m_ended.front().record.id);
        m_ended.pop_front();
    }
}

} // namespace sluice
