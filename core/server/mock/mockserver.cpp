#include "core/server/mock/mockserver.h"

#include "core/net/llmformat.h"
#include "core/server/mock/mockerrors.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QTimer>

#include <algorithm>
#include <iterator>

namespace sluice {

using namespace sluice::mock;

namespace {

QByteArray compact(const QJsonObject& o) {
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// SplitMix64: turns (seed, sequence) into an independent seed per request, so a reply's length,
// words and jitter depend only on the configured seed and the request's arrival order.
std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

} // namespace

MockServer::MockServer(MockConfig config, QObject* parent, const Clock* clock)
    : QObject(parent)
    , m_ownClock(clock ? nullptr : std::make_unique<SteadyClock>())
    , m_clock(clock ? *clock : *m_ownClock)
    , m_config(config)
    , m_http([this](const HttpRequest& r, HttpResponder* w) { handle(r, w); }, this)
    , m_requestLimiter(config.rpm)
    , m_tokenLimiter(config.tpm)
    , m_rng(config.seed) {
    m_keys.setLimits(config.rpm, config.tpm);
    // Stamped events carry when each request reached the machine.
    HttpServerLimits limits = m_http.limits();
    limits.receiveStamps = true;
    m_http.setLimits(limits);
}

MockServer::~MockServer() {
    m_http.close();
    // Replies in flight go first, while the ticker and connections they refer to still exist.
    qDeleteAll(findChildren<MockExchange*>(Qt::FindDirectChildrenOnly));
}

bool MockServer::listen(const QHostAddress& address, quint16 port) {
    return m_http.listen(address, port);
}

QUrl MockServer::baseUrl() const {
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    const QHostAddress address = m_http.serverAddress();
    url.setHost(address.isNull() || address == QHostAddress::Any || address == QHostAddress::AnyIPv4
                    ? QStringLiteral("127.0.0.1")
                    : address.toString());
    url.setPort(m_http.serverPort());
    return url;
}

Result<void> MockServer::setConfig(const MockConfig& config) {
    if (auto valid = config.validate(); !valid) {
        return valid;
    }
    const bool reseed = config.seed != m_config.seed;
    m_config = config;
    m_requestLimiter.setLimit(config.rpm);
    m_tokenLimiter.setLimit(config.tpm);
    m_keys.setLimits(config.rpm, config.tpm);
    if (reseed) {
        m_rng.seed(config.seed);
        m_sequence = 0;
    }
    grantSlots(); // a larger capacity starts waiting requests now
    Q_EMIT configChanged(m_config);
    return {};
}

QJsonObject MockServer::statsJson() {
    QJsonObject json = m_stats.toJson(m_clock.now(), QDateTime::currentSecsSinceEpoch(),
                                      m_config.rpm, m_config.tpm);
    json.insert(QStringLiteral("capacity"), m_config.capacity);
    json.insert(QStringLiteral("connections"), m_http.connectionCount());
    const Http2Stats& h2 = m_http.http2Stats();
    json.insert(
        QStringLiteral("http2"),
        QJsonObject{{QStringLiteral("connections"), h2.connections},
                    {QStringLiteral("connections_open"), h2.connectionsOpen},
                    {QStringLiteral("streams"), h2.streams},
                    {QStringLiteral("streams_open"), h2.streamsOpen},
                    {QStringLiteral("peak_streams_open"), h2.peakStreamsOpen},
                    {QStringLiteral("peak_streams_per_connection"), h2.peakStreamsPerConnection},
                    {QStringLiteral("protocol_errors"), h2.protocolErrors}});
    json.insert(QStringLiteral("per_key"), m_keys.toJson());
    return json;
}

void MockServer::pause(Nanos duration) {
    m_ticker.pauseUntil(m_ticker.now() + duration);
}

void MockServer::resetStats() {
    m_stats.reset();
    m_keys.resetCounts();
}

std::uint64_t MockServer::nextRequestSeed() {
    return splitmix(m_config.seed ^ splitmix(++m_sequence));
}

void MockServer::replyJson(HttpResponder* responder, int status, const QJsonObject& body) {
    responder->respond(status, {{"content-type", "application/json"}}, compact(body));
}

void MockServer::replyError(HttpResponder* responder, Provider provider, const ApiError& error,
                            const HttpHeaders& extra) {
    HttpHeaders headers{{"content-type", "application/json"}};
    if (provider == Provider::Anthropic) {
        // As Anthropic's SDKs judge it: a time-out (408) is worth another try too.
        const bool retry = error.status == 408 || error.status == 429 || error.status >= 500;
        headers.append({QByteArrayLiteral("x-should-retry"),
                        retry ? QByteArray("true") : QByteArray("false")});
    }
    headers.append(extra);
    responder->respond(error.status, headers, errorBody(provider, error));
}

void MockServer::finishRequest(const QByteArray& status) {
    ++m_stats.byStatus[status];
    --m_stats.concurrent;
}

void MockServer::handle(const HttpRequest& request, HttpResponder* responder) {
    if (request.path.startsWith("/mock/") || request.path == "/health") {
        handleAdmin(request, responder);
        return;
    }
    const Provider provider =
        request.path.startsWith("/v1/messages") ? Provider::Anthropic : Provider::OpenAI;
    ++m_stats.requests;
    m_stats.arrivals.add(QDateTime::currentSecsSinceEpoch());
    m_stats.peakConcurrent = std::max(m_stats.peakConcurrent, ++m_stats.concurrent);

    auto fail = [&](const ApiError& error) {
        replyError(responder, provider, error);
        finishRequest(QByteArray::number(error.status));
    };
    if (request.parseError != 0) {
        ApiError e;
        e.status = request.parseError;
        e.type = provider == Provider::Anthropic && request.parseError == 413
                     ? "request_too_large"
                     : "invalid_request_error";
        e.message = QString::fromUtf8(request.parseErrorMessage);
        fail(e);
        return;
    }
    const bool chat = request.path == "/v1/chat/completions";
    const bool messages = request.path == "/v1/messages";
    if (chat || messages) {
        if (request.method != "POST") {
            ApiError e;
            e.status = 405;
            e.type = "invalid_request_error";
            e.message =
                QStringLiteral("Method %1 is not allowed on %2; use POST.")
                    .arg(QString::fromLatin1(request.method), QString::fromLatin1(request.path));
            replyError(responder, provider, e, {{"allow", "POST"}});
            finishRequest("405");
            return;
        }
        handleChat(request, responder, provider);
        return;
    }
    if (request.path == "/v1/models" && request.method == "GET") {
        const auto model = [](const char* id) {
            return QJsonObject{{QStringLiteral("id"), QLatin1String(id)},
                               {QStringLiteral("object"), QStringLiteral("model")},
                               {QStringLiteral("created"), 1700000000},
                               {QStringLiteral("owned_by"), QStringLiteral("sluice-mock")}};
        };
        replyJson(responder, 200,
                  {{QStringLiteral("object"), QStringLiteral("list")},
                   {QStringLiteral("data"), QJsonArray{model("mock-gpt"), model("mock-claude")}}});
        finishRequest("200");
        return;
    }
    ApiError e;
    e.status = 404;
    if (provider == Provider::Anthropic) {
        e.type = "not_found_error";
    } else {
        e.type = "invalid_request_error";
        e.code = "unknown_url";
    }
    e.message = QStringLiteral("Unknown request URL: %1 %2.")
                    .arg(QString::fromLatin1(request.method), QString::fromUtf8(request.path));
    fail(e);
}

void MockServer::handleChat(const HttpRequest& request, HttpResponder* responder,
                            Provider provider) {
    const QByteArray apiKey = MockKeys::keyOf(request);
    m_keys.onRequest(apiKey);
    if (m_keys.revoked(apiKey)) { // refused before anything else, as providers do
        m_keys.onUnauthorized(apiKey);
        replyError(responder, provider, MockKeys::unauthorized(provider));
        finishRequest("401");
        return;
    }
    auto parsed = provider == Provider::Anthropic ? parseAnthropicMessages(request.body)
                                                  : parseOpenAiChat(request.body);
    if (const auto* error = std::get_if<ApiError>(&parsed)) {
        replyError(responder, provider, *error);
        finishRequest(QByteArray::number(error->status));
        return;
    }
    const ChatRequest chat = std::get<ChatRequest>(parsed);
    const std::uint64_t seed = nextRequestSeed();
    std::mt19937_64 rng(seed);

    // Output length is decided up front so tokens/min can charge exactly what will be produced.
    int length = std::uniform_int_distribution<int>(m_config.tokensMin, m_config.tokensMax)(rng);
    bool truncated = false;
    if (chat.maxTokens && length > *chat.maxTokens) {
        length = *chat.maxTokens;
        truncated = true;
    }
    const std::int64_t cost = chat.promptTokens + length;
    const Nanos now = m_clock.now();
    const QByteArray requestId = (provider == Provider::Anthropic ? "msg_mock" : "chatcmpl-mock") +
                                 QByteArray::number(static_cast<qulonglong>(m_sequence));
    const QByteArray idHeader = provider == Provider::Anthropic ? "request-id" : "x-request-id";

    // Faults are drawn once per valid request from the configured shares. An account out of
    // credit is refused before any limit is consulted, as providers do.
    const MockFaults& f = m_config.faults;
    double roll = std::uniform_real_distribution<double>(0.0, 1.0)(m_rng);
    const auto hit = [&roll](double share) {
        if (roll < share) {
            return true;
        }
        roll -= share;
        return false;
    };
    if (hit(f.quota)) {
        ++m_stats.quotaRejected;
        const ApiError error = quotaError(provider);
        replyError(responder, provider, error, {{idHeader, requestId}});
        finishRequest(QByteArray::number(error.status));
        return;
    }

    const auto [requestLimiter, tokenLimiter] =
        m_config.perKey ? m_keys.limiters(apiKey) : std::pair{&m_requestLimiter, &m_tokenLimiter};
    SlidingWindowLimiter::Decision rd = requestLimiter->peek(1, now);
    SlidingWindowLimiter::Decision td = tokenLimiter->peek(cost, now);
    RateLimitState state;
    state.requestLimit = m_config.rpm;
    state.tokenLimit = m_config.tpm;

    if (!rd.allowed || !td.allowed) {
        state.requestRemaining = rd.remaining;
        state.requestReset = rd.resetAfter;
        state.tokenRemaining = td.remaining;
        state.tokenReset = td.resetAfter;
        ApiError error;
        if (td.tooLarge) {
            error = requestTooLargeError(provider, m_config.tpm, cost);
        } else if (!rd.allowed) {
            state.retryAfter = std::max(rd.retryAfter, td.allowed ? Nanos{0} : td.retryAfter);
            error = rateLimitError(provider, false, m_config.rpm, rd.used, 1, *state.retryAfter);
        } else {
            state.retryAfter = td.retryAfter;
            error = rateLimitError(provider, true, m_config.tpm, td.used, cost, *state.retryAfter);
        }
        HttpHeaders headers = rateLimitHeaders(provider, state);
        headers.append({idHeader, requestId});
        ++m_stats.rateLimited;
        m_keys.onRateLimited(apiKey);
        m_stats.rejections.add(QDateTime::currentSecsSinceEpoch());
        replyError(responder, provider, error, headers);
        finishRequest("429");
        return;
    }
    // A full waiting room turns the request away before it is charged against any limit.
    const bool slotFree = m_stats.inService < m_config.capacity;
    if (!slotFree && static_cast<int>(m_waiting.size()) >= m_config.queueLimit) {
        const ApiError error = overloadedError(provider);
        replyError(responder, provider, error, {{idHeader, requestId}});
        finishRequest(QByteArray::number(error.status));
        return;
    }
    rd = requestLimiter->tryAcquire(1, now);
    td = tokenLimiter->tryAcquire(cost, now);
    m_stats.requestWindow.add(1, now);
    m_stats.tokenWindow.add(cost, now);
    Q_EMIT charged(cost);
    m_stats.tokensIn += chat.promptTokens;
    state.requestRemaining = rd.remaining;
    state.requestReset = rd.resetAfter;
    state.tokenRemaining = td.remaining;
    state.tokenReset = td.resetAfter;
    HttpHeaders headers = rateLimitHeaders(provider, state);
    headers.append({idHeader, requestId});

    // The remaining faults strike admitted (and charged) requests.
    if (hit(f.error500)) {
        replyError(responder, provider, serverError(provider, 500), {{idHeader, requestId}});
        finishRequest("500");
        return;
    }
    if (hit(f.error503)) {
        replyError(responder, provider, serverError(provider, 503), {{idHeader, requestId}});
        finishRequest("503");
        return;
    }
    if (hit(f.overloaded)) {
        const ApiError error = overloadedError(provider);
        replyError(responder, provider, error, {{idHeader, requestId}});
        finishRequest(QByteArray::number(error.status));
        return;
    }
    if (hit(f.reset)) {
        finishRequest("reset");
        responder->resetConnection();
        return;
    }
    if (hit(f.stall)) {
        stall(responder, chat.stream);
        return;
    }
    Cut cut = Cut::None;
    if (hit(f.midstream)) {
        cut = Cut::ErrorEvent;
        ++m_stats.midstreamFaults;
    } else if (hit(f.resetMidstream)) {
        cut = Cut::Reset;
    } else if (hit(f.truncate)) {
        cut = Cut::Truncate;
    }

    MockExchange::Plan plan;
    plan.request = chat;
    plan.id = requestId;
    plan.headers = headers;
    plan.outputTokens = length;
    plan.truncated = truncated;
    plan.cut = cut;
    plan.ttftMs = m_config.ttftMs;
    plan.tpotMs = m_config.tpotMs;
    plan.jitter = m_config.jitter;
    plan.stamp = m_config.stamp;
    plan.arrivedNs = request.arrivedNs;
    plan.seed = seed;

    auto* exchange = new MockExchange(std::move(plan), responder, &m_ticker, this);
    connect(exchange, &MockExchange::finished, this, &MockServer::onExchangeFinished);
    m_keys.onStarted(exchange, apiKey);
    m_waiting.push_back(exchange);
    m_stats.peakWaiting = std::max(m_stats.peakWaiting, ++m_stats.waiting);
    grantSlots();
}

void MockServer::grantSlots() {
    while (m_stats.inService < m_config.capacity && !m_waiting.empty()) {
        MockExchange* next = m_waiting.front();
        m_waiting.pop_front();
        --m_stats.waiting;
        m_stats.peakInService = std::max(m_stats.peakInService, ++m_stats.inService);
        next->start();
    }
}

void MockServer::onExchangeFinished(MockExchange* exchange, const ExchangeOutcome& outcome) {
    if (exchange->started()) {
        --m_stats.inService;
    } else {
        const auto it = std::find(m_waiting.begin(), m_waiting.end(), exchange);
        if (it != m_waiting.end()) {
            m_waiting.erase(it);
            --m_stats.waiting;
        }
    }
    m_stats.tokensOut += outcome.outputTokens;
    m_keys.onEnded(exchange);
    finishRequest(outcome.status);
    exchange->deleteLater();
    grantSlots();
}

void MockServer::stall(HttpResponder* responder, bool stream) {
    // Headers, then silence: the connection stays open until stall_ms passes or the client leaves.
    if (stream) {
        responder->beginChunked(200, {{"content-type", "text/event-stream; charset=utf-8"}});
    } else {
        responder->beginFixed(200, {{"content-type", "application/json"}}, 1024);
    }
    auto* timer = new QTimer(this);
    timer->setSingleShot(true);
    QPointer<HttpResponder> guard(responder);
    auto done = std::make_shared<bool>(false);
    auto finish = [this, timer, guard, done] {
        if (*done) {
            return;
        }
        *done = true;
        finishRequest("stall");
        if (guard) {
            guard->closeConnection();
        }
        timer->deleteLater();
    };
    connect(timer, &QTimer::timeout, this, finish);
    connect(responder, &HttpResponder::clientGone, timer, finish);
    timer->start(m_config.stallMs);
}

} // namespace sluice
