#pragma once

#include "core/engine/clock.h"
#include "core/engine/slidingwindowlimiter.h"
#include "core/server/httpserver.h"
#include "core/server/mock/mockconfig.h"
#include "core/server/mock/mockexchange.h"
#include "core/server/mock/mockkeys.h"
#include "core/server/mock/mockstats.h"
#include "core/server/mock/mockticker.h"

#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QUrl>

#include <deque>
#include <memory>
#include <random>

namespace sluice {

/// A mock LLM provider on loopback: OpenAI chat completions and Anthropic messages (whole and
/// streaming), a latency model, a capacity of service slots, exact request/token rate limits with
/// the providers' headers, faults on demand, and counters of what it saw (GET /mock/stats).
/// Lives in one thread; the clock is injectable for the rate limiters.
class MockServer final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MockServer)

public:
    explicit MockServer(MockConfig config = {}, QObject* parent = nullptr,
                        const Clock* clock = nullptr);
    ~MockServer() override;

    bool listen(const QHostAddress& address = QHostAddress::LocalHost, quint16 port = 0);
    QString errorString() const { return m_http.errorString(); }
    quint16 port() const { return m_http.serverPort(); }
    /// e.g. http://127.0.0.1:8787 (no trailing slash; append /v1/...)
    QUrl baseUrl() const;

    MockConfig config() const { return m_config; }
    /// Validates and applies a new configuration while traffic flows; waiting requests are
    /// re-evaluated at once. When invalid, changes nothing and returns MockConfig::validate()'s
    /// error, which names the field.
    Result<void> setConfig(const MockConfig& config);
    /// The JSON of GET /mock/stats.
    QJsonObject statsJson();
    void resetStats();
    /// Freezes every reply for `duration` (POST /mock/pause {"ms": N}): a server stall, for
    /// coordinated-omission checks. Requests keep arriving and wait.
    void pause(Nanos duration);
    /// From now on `key` is answered 401 invalid_api_key (POST /mock/revoke {"key": K}).
    void revokeKey(const QByteArray& key) { m_keys.revoke(key); }

    HttpServer& http() { return m_http; }

Q_SIGNALS:
    void configChanged(const sluice::MockConfig& config);
    /// A chat request passed the limits and was charged `tokens` (its prompt and the output it
    /// will get), as it arrived: what a provider's sliding windows count. Emitted at once, from
    /// the request's handling; a slot must not destroy the server.
    void charged(std::int64_t tokens);

private:
    void handle(const HttpRequest& request, HttpResponder* responder);
    void handleChat(const HttpRequest& request, HttpResponder* responder, mock::Provider provider);
    void handleAdmin(const HttpRequest& request, HttpResponder* responder);
    void replyError(HttpResponder* responder, mock::Provider provider, const mock::ApiError& error,
                    const HttpHeaders& extra = {});
    void replyJson(HttpResponder* responder, int status, const QJsonObject& body);
    void finishRequest(const QByteArray& status);
    void onExchangeFinished(mock::MockExchange* exchange, const mock::ExchangeOutcome& outcome);
    void grantSlots();
    void stall(HttpResponder* responder, bool stream);
    std::uint64_t nextRequestSeed();

    std::unique_ptr<SteadyClock> m_ownClock; // set when no clock was given
    const Clock& m_clock;
    MockConfig m_config;
    mock::MockTicker m_ticker; // before m_http: exchanges (children) use it until they go
    HttpServer m_http;
    SlidingWindowLimiter m_requestLimiter;
    SlidingWindowLimiter m_tokenLimiter;
    mock::MockStats m_stats;
    mock::MockKeys m_keys; ///< per-key limiters (per_key) and counters
    std::mt19937_64 m_rng;
    std::uint64_t m_sequence = 0;
    std::deque<mock::MockExchange*> m_waiting;
};

} // namespace sluice
