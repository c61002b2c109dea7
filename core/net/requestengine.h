#pragma once

#include "core/net/enginetypes.h"

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

/// A chat request ready to submit: endpoint under `base` (see endpointUrl()), body, and the
/// prompt estimate and max_tokens already known, so submit() need not parse the body again.
EngineRequest chatRequest(ApiFormat format, const QUrl& base, QByteArray apiKey, QString model,
                          const QList<ChatMessage>& messages, int maxTokens, bool stream = true);

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
    /// A value copy of where the request is; nothing once it has ended (its completion has the
    /// final record).
    std::optional<RequestStatus> status(std::uint64_t id) const;
    /// Every request not yet ended, queued ones in dispatch order first (one walk of the
    /// queue, not a search per request).
    std::vector<RequestStatus> statuses() const;
    /// Expected time until a request `position` places back in the queue is sent, from the
    /// recent rate of dispatches (0 when nothing is known yet).
    Nanos expectedWait(std::int64_t position) const;
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
    /// Forwards a 2xx answer's headers to the request's sink once; true when the request is
    /// committed to its sink (its bytes go there).
    bool commitToSink(Call& call, QNetworkReply* reply);
    /// When the request leaves the queue unsent: its deadline, or its queue timeout from now.
    Nanos queueDeadline(const Call& call, Nanos now) const;
    /// status() with the position already known (-2: look it up).
    std::optional<RequestStatus> status(std::uint64_t id, std::int64_t knownPosition) const;
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
