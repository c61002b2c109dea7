#pragma once

// The engine's value types: what goes in (EngineRequest, EngineConfig), what comes out
// (RequestRecord, RequestUpdate, EngineSnapshot). Plain values, no QObject: metrics, reports,
// the console and the gateway's admin API use them without the engine itself.

#include "core/engine/admission.h"
#include "core/engine/circuitbreaker.h"
#include "core/engine/clock.h"
#include "core/engine/concurrencylimit.h"
#include "core/engine/failure.h"
#include "core/engine/ratebudget.h"
#include "core/engine/resourceguard.h"
#include "core/engine/retrypolicy.h"
#include "core/net/failurereason.h"
#include "core/net/llmformat.h"

#include <QByteArray>
#include <QMetaType>
#include <QString>
#include <QUrl>

#include <cstdint>
#include <optional>
#include <vector>

namespace sluice {

/// Header lines as (name, value) pairs, in order.
using HeaderPairs = QList<std::pair<QByteArray, QByteArray>>;

/// Receives an upstream answer as it arrives, for a proxy (the gateway). Called synchronously in
/// the engine's thread. Only a 2xx answer is forwarded; from the moment onHeaders() runs the
/// request is committed: it is never retried (the caller has seen bytes), and if the answer
/// breaks later the completion says so. An error answer that will not be retried reaches the
/// caller through the completion's record instead (status, errorBody, errorHeaders).
///
/// Re-entrancy: a sink may submit requests and change limits, but must not cancel its own
/// request (nor cancelAll()) from inside onHeaders()/onBytes(): the engine is still reading
/// that reply, and the request would end under it. Defer it with a queued call.
class ResponseSink {
public:
    virtual ~ResponseSink() = default;
    /// The answer's status and end-to-end headers (hop-by-hop and framing headers removed).
    virtual void onHeaders(int status, const HeaderPairs& headers) = 0;
    /// Body bytes as they arrive (SSE events are not re-chunked).
    virtual void onBytes(const QByteArray& bytes) = 0;
};

/// One LLM call to make.
struct EngineRequest {
    ApiFormat format = ApiFormat::OpenAi;
    QUrl endpoint; ///< the full endpoint URL (see endpointUrl())
    QByteArray apiKey;
    QString model;
    QByteArray body;
    bool stream = true;
    std::int64_t promptTokens = -1;  ///< -1: estimated from the body
    std::int64_t maxTokens = -1;     ///< -1: max_tokens from the body, else the default reservation
    int priority = 1;                ///< 0 most urgent
    QString lane;                    ///< fairness lane; default: the API key
    Nanos timeout{0};                ///< deadline from submission over all attempts; 0 = none
    Nanos queueTimeout{0};           ///< longest wait in the queue (each time); 0 = no bound
    std::optional<Nanos> intendedAt; ///< open-loop schedule time, for coordinated omission

    // For a proxy (the gateway); a benchmark leaves these as they are.
    QByteArray method = "POST";
    HeaderPairs headers; ///< more headers to send (the caller's), after the engine's own
    /// The answer is a chat completion / message and is judged as one (malformed otherwise);
    /// false for other endpoints passed through (embeddings, models).
    bool chat = true;
    /// The key is chosen from the engine's key pool at each attempt (see
    /// RequestEngine::setKeyPool()); `apiKey` is ignored then.
    bool pooled = false;
    /// Not owned; must stay valid until the completion has run.
    ResponseSink* sink = nullptr;
};

/// A chat request ready to submit: endpoint under `base` (see endpointUrl()), body, and the
/// prompt estimate and max_tokens already known, so submit() need not parse the body again.
EngineRequest chatRequest(ApiFormat format, const QUrl& base, QByteArray apiKey, QString model,
                          const QList<ChatMessage>& messages, int maxTokens, bool stream = true);

/// Where a request is. Exactly one of the last five ends every request.
enum class RequestState : std::uint8_t {
    Queued,
    WaitingBudget,
    InFlight,
    Streaming,
    Retrying,
    Done,
    Failed,
    Rejected,
    TimedOut,
    Cancelled,
};
const char* stateName(RequestState state);
inline bool isTerminal(RequestState s) {
    return s >= RequestState::Done;
}

/// One attempt of a request, as sent and answered.
struct AttemptRecord {
    Nanos sentAt{0};
    Nanos endedAt{0};
    int status = 0;
    Outcome outcome = Outcome::Success;
    std::optional<Nanos> retryAfter;
};

/// A request's whole story. Times are the engine clock's.
struct RequestRecord {
    std::uint64_t id = 0;
    RequestState state = RequestState::Queued;
    int priority = 1;
    FailureReason failure; ///< why it did not end done (kind None when done)
    QString reason;        ///< that reason in words, with the detail (never a key in clear)
    int attempts = 0;
    int status = 0; ///< HTTP status of the last attempt (0 = none)
    Outcome outcome = Outcome::Success;
    Nanos submittedAt{0};
    std::optional<Nanos> intendedAt;
    Nanos firstSentAt{0};
    Nanos sentAt{0}; ///< the last attempt's
    Nanos headersAt{0};
    Nanos firstTokenAt{0};
    Nanos lastAt{0};
    Nanos endedAt{0};
    std::vector<Nanos> chunkTimes; ///< arrival of each content chunk (first 4096)
    /// Against a server that stamps its events (the built-in mock with stamp on, on this
    /// machine): for each content chunk, our arrival time minus the server's write time, and
    /// the server's own time to first token (its arrival to its first write).
    std::vector<Nanos> chunkTransit;
    std::optional<Nanos> serverTtft;
    int chunks = 0;
    std::int64_t promptTokens = 0;
    std::int64_t completionTokens = 0;
    bool tokensEstimated = false; ///< no usage in the response: counted locally
    std::int64_t reservedTokens = 0;
    std::vector<AttemptRecord> attemptLog;
    /// An error answer (status >= 400) of the last attempt, for a proxy to pass on: its body
    /// (at most 1 MiB) and headers.
    QByteArray errorBody;
    HeaderPairs errorHeaders;
    bool committed = false; ///< bytes went to a ResponseSink: retries were off from then on
    QString upstreamKey;    ///< the pool key of the last attempt, masked (empty: not pooled)

    /// Time to first token of the last attempt (0 when none arrived).
    Nanos ttft() const { return firstTokenAt.count() ? firstTokenAt - sentAt : Nanos{0}; }
    /// E2E: the last attempt's send → its last byte (the end when no byte came). The latency
    /// vocabulary, everywhere: queue (submitted → first sent), TTFT, e2e (sent → last byte),
    /// total (submitted → end).
    Nanos e2e() const {
        if (!sentAt.count()) {
            return Nanos{0};
        }
        return (lastAt.count() ? lastAt : endedAt) - sentAt;
    }
    /// Total: submission → the end, our own queue and every attempt included.
    Nanos totalTime() const { return endedAt - submittedAt; }
    /// Queue: submission → the first attempt handed to the network (the end when never sent).
    Nanos queueTime() const { return (firstSentAt.count() ? firstSentAt : endedAt) - submittedAt; }
};

/// Where one request is now, for whoever asks (the gateway's /admin/requests/{id}).
struct RequestStatus {
    std::uint64_t id = 0;
    RequestState state = RequestState::Queued;
    std::int64_t position = -1; ///< requests ahead of it, while queued
    /// `position` counts the whole fleet's requests (waiting at the shared gate, and those the
    /// other processes still hold in their own queues), not only this engine's queue.
    bool fleetPosition = false;
    /// With a fleet position: the shared queue it waits for (a hash of its key and model, the
    /// same in every process) and whether it is at the shared gate already or still in this
    /// engine's queue.
    QString sharedQueue;
    bool atSharedGate = false;
    std::int64_t fleetOrder = -1; ///< its place in the fleet's order (AdmissionGate::order())
    Nanos eta{0};                 ///< expected wait until it is sent, while queued (0 = unknown)
    int priority = 1;
    int attempts = 0;
    int status = 0;
    Nanos submittedAt{0}, firstSentAt{0}, firstTokenAt{0};
    QString reason;
    QString upstreamKey; ///< the pool key of the last attempt, masked (empty: not pooled)
};

/// A request's visible state, for models (sent in batches).
struct RequestUpdate {
    std::uint64_t id = 0;
    RequestState state = RequestState::Queued;
    std::int64_t position = -1; ///< in the queue, when queued
    int priority = 1;
    int attempts = 0;
    int status = 0;
    Nanos ttft{0};  ///< sent → first token
    Nanos e2e{0};   ///< sent → last byte
    Nanos total{0}; ///< submitted → end (0 until it ends)
    FailureReason failure;
    bool fleetPosition = false; ///< as RequestStatus::fleetPosition
};

/// The engine's values at one moment, for charts and stats (emitted at a fixed cadence).
struct EngineSnapshot {
    Nanos at{0};
    int inFlight = 0;
    int limit = 0;
    int queued = 0;
    int waitingBudget = 0; ///< queued requests whose budget is closed
    double sentPerSecond = 0, okPerSecond = 0, errorsPerSecond = 0, rateLimitedPerSecond = 0;
    double tokensInPerSecond = 0, tokensOutPerSecond = 0;
    /// Of the requests done in the last 10 s: e2e (sent → last byte), total (submitted → end,
    /// our own queue included) and TTFT.
    Nanos e2eP50{0}, e2eP95{0}, e2eP99{0};
    Nanos totalP50{0}, totalP95{0}, totalP99{0};
    Nanos ttftP50{0}, ttftP95{0}, ttftP99{0};
    std::int64_t submitted = 0, done = 0, failed = 0, rejected = 0, timedOut = 0, cancelled = 0;
    std::int64_t attempts = 0, retries = 0, rateLimited = 0;
    /// Every request that ended in failure (and cancelled ones), by reason, since the start.
    std::vector<FailureTally::Entry> failures;
    Nanos nextAllowedIn{0}; ///< when budgets are closed: time until the first opens
    CircuitBreaker::State breaker = CircuitBreaker::State::Closed;
    ResourceSample resources;
    bool clientSaturated = false;
};

struct EngineConfig {
    ConcurrencyConfig concurrency;
    QueueConfig queue;
    std::vector<BudgetRule> budgets;
    RetryConfig retry;
    BreakerConfig breaker;
    ResourceGuardConfig resources;
    Nanos transferTimeout = std::chrono::seconds(60); ///< no byte for this long ends an attempt
    std::int64_t defaultMaxTokens = 1024; ///< reserved when a request names no max_tokens
    /// Learn limits from the server's headers and hold a key back after a rate 429 (traffic
    /// control). A benchmark turns it off to measure the target as it is.
    bool followServerLimits = true;
    int managers = 4;
    bool http2 = false;
    /// Time upstream bytes by the kernel's receive stamp (receivestamp.h), so a busy client's
    /// delay in reading them is not counted as the server's: what a benchmark needs. It costs a
    /// peek (a system call) per read; a proxy, which forwards each event at once, turns it off
    /// and times bytes when it reads them.
    bool receiveStamps = true;
    Nanos snapshotInterval = std::chrono::milliseconds(100);
    std::uint64_t seed = 1;
};

} // namespace sluice

Q_DECLARE_METATYPE(sluice::EngineSnapshot)
Q_DECLARE_METATYPE(sluice::RequestUpdate)
