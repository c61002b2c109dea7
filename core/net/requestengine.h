#pragma once

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

#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <QCoroTask>

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <set>
#include <unordered_map>

class QNetworkReply;

namespace sluice {

class ClientPool;

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
    std::optional<Nanos> intendedAt; ///< open-loop schedule time, for coordinated omission
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
    Nanos snapshotInterval = std::chrono::milliseconds(100);
    std::uint64_t seed = 1;
};

/// The orchestrator: runs every request through queue → budget → concurrency → breaker → send →
/// outcome → retry, to exactly one terminal state, and publishes what it does. Lives in one
/// thread (its own or the GUI's); call it from that thread (queued calls from others). Every
/// limit changes live: waiting requests are re-evaluated at once.
class RequestEngine final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestEngine)

public:
    /// Runs exactly once per request, with its final record, synchronously in the engine's
    /// thread: from inside submit() when the request is refused at once, from cancel(), from
    /// the destructor (as cancelled), or from the event that ended it. The request is already
    /// out of the engine when it runs, so it may call submit(), cancel() or cancelAll() (the
    /// engine re-enters safely); it must not destroy the engine.
    using Completion = std::function<void(const RequestRecord&)>;

    explicit RequestEngine(EngineConfig config = {}, const Clock* clock = nullptr,
                           QObject* parent = nullptr);
    ~RequestEngine() override;

    /// Queues a request; `done` runs once with its final record (also when the engine is
    /// destroyed first: then as cancelled). Returns its id; 0 while the engine is being
    /// destroyed, when nothing is queued and `done` is not called.
    std::uint64_t submit(EngineRequest request, Completion done = {});
    /// The same, awaited.
    QCoro::Task<RequestRecord> run(EngineRequest request);
    /// Cancels a request in any non-terminal state. False when unknown or already ended.
    bool cancel(std::uint64_t id);
    void cancelAll();
    /// Dispatches what can go now, without waiting for the queued pass submit() schedules: an
    /// open-loop scheduler calls it so a request leaves at its intended time, not after
    /// whatever else the event loop has queued.
    void dispatchNow() { pump(); }

    void setConcurrency(ConcurrencyConfig config);
    void setBudgets(std::vector<BudgetRule> rules);
    void setRetry(RetryConfig config);
    void setBreaker(BreakerConfig config);
    void setQueue(QueueConfig config);
    void setTransferTimeout(Nanos timeout) { m_config.transferTimeout = timeout; }
    /// Learn from the server's rate-limit headers and honour its Retry-After (on by default).
    void setFollowServerLimits(bool follow) { m_config.followServerLimits = follow; }
    const EngineConfig& config() const { return m_config; }

    /// The engine's values now; no side effects (the rate history advances in the tick).
    EngineSnapshot snapshot() const;
    int limit() const { return m_admission.limit(); }
    int inFlight() const { return m_admission.inFlight(); }
    std::size_t queued() const { return m_admission.queued(); }
    std::int64_t position(std::uint64_t id) const;
    std::size_t active() const { return m_calls.size(); }
    /// The budget of a key and model (created on first use), e.g. to inspect learned limits.
    RateBudget& budget(const QByteArray& apiKey, const QString& model);
    const Clock& clock() const { return m_clock; }

Q_SIGNALS:
    /// At the snapshot cadence.
    void snapshotReady(const sluice::EngineSnapshot& snapshot);
    /// State changes since the last batch (at the snapshot cadence).
    void requestsUpdated(const QList<sluice::RequestUpdate>& updates);
    /// The concurrency limit changed (adaptive or set).
    void limitChanged(int limit);
    /// Every request has ended.
    void idle();

private:
    struct Call;
    void startAttempt(std::uint64_t id);
    void onAttemptFinished(Call& call, QNetworkReply* reply);
    void pump();
    void schedulePump();
    void dispatch(Call& call);
    void finish(Call& call, RequestState state, FailureReason failure = {}, QString reason = {});
    void retryLater(Call& call, Nanos delay);
    void requeue(std::uint64_t id);
    void markDirty(Call& call);
    void tick();
    void armWake(Nanos now);
    void applyLimit(int limit);
    Call* find(std::uint64_t id);
    std::uint64_t scopeOf(RateBudget* budget);
    CircuitBreaker& breakerFor(const std::string& key);
    int realMs(Nanos d) const;

    EngineConfig m_config;
    std::unique_ptr<Clock> m_ownClock;
    const Clock& m_clock;
    bool m_steadyClock = false; ///< m_clock reads std::chrono::steady_clock as it is
    Admission m_admission;
    ConcurrencyLimit m_concurrency;
    RateBudgets m_budgets;
    RetryPolicy m_retry;
    ResourceGuard m_guard;
    std::unordered_map<std::string, std::unique_ptr<CircuitBreaker>> m_breakers;
    ClientPool* m_pool;
    QTimer m_wake;
    QTimer m_tick;
    // Attempt deadlines: one timer for all of them (thousands of live QTimers make every
    // timer registration in this thread linear in their number).
    struct Deadline {
        Nanos at;
        std::uint64_t id;
        int attempt;
        bool operator>(const Deadline& o) const { return at > o.at; }
    };
    std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> m_deadlines;
    QTimer m_deadlineTimer;
    void addDeadline(Nanos at, std::uint64_t id, int attempt);
    void onDeadlineTimer();
    void armDeadlineTimer();
    bool m_pumpQueued = false;
    bool m_pumping = false;
    bool m_closing = false;

    std::unordered_map<std::uint64_t, std::unique_ptr<Call>> m_calls;
    std::unordered_map<RateBudget*, std::uint64_t> m_scopeIds;
    std::unordered_map<std::uint64_t, RateBudget*> m_scopes;
    std::unordered_map<std::uint64_t, int> m_queuedPerScope;
    std::set<std::uint64_t> m_dirty;
    std::vector<RequestUpdate> m_finalUpdates;
    std::uint64_t m_nextId = 0;

    struct Counters {
        std::int64_t submitted = 0, done = 0, failed = 0, rejected = 0, timedOut = 0, cancelled = 0,
                     attempts = 0, retries = 0, ok = 0, errors = 0, rateLimited = 0, tokensIn = 0,
                     tokensOut = 0;
    } m_counters;
    std::deque<std::pair<Nanos, Counters>> m_history; // for per-second rates
    struct Sample {
        Nanos at;
        std::int64_t e2e;
        std::int64_t total;
        std::int64_t ttft;
    };
    std::deque<Sample> m_samples; // completions of the last 10 s
    FailureTally m_failures;
    Nanos m_lastResourceSample{0};
    Nanos m_lastDispatch{0};              // while saturated
    double m_dispatchGap = 0;             // mean ns between dispatches while requests wait
    std::array<Nanos, 32> m_recentGaps{}; // the last gaps between dispatches while saturated
    std::size_t m_recentGapAt = 0;
    ResourceSample m_resources;
};

} // namespace sluice

Q_DECLARE_METATYPE(sluice::EngineSnapshot)
Q_DECLARE_METATYPE(sluice::RequestUpdate)
