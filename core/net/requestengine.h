#pragma once

#include "core/engine/dispatchpace.h"
#include "core/engine/queuescopes.h"
#include "core/net/deadlinetimer.h"
#include "core/net/enginestats.h"
#include "core/net/enginetypes.h"
#include "core/net/keypool.h"
#include "core/net/requestupdates.h"

#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <QCoroTask>

#include <functional>
#include <memory>
#include <unordered_map>

class QNetworkReply;

namespace sluice {

class AdmissionGate;
class ClientPool;
struct EngineCall;
struct GateAsk;
struct FinishedAttempt;

/// The orchestrator: runs every request through queue → budget → concurrency → breaker → send →
/// outcome → retry, to exactly one terminal state, and publishes what it does. Every limit
/// changes live: waiting requests are re-evaluated at once.
///
/// Threading: single-threaded by contract, no locks. It lives in one thread (its own or the
/// GUI's) and every member, const ones included, is called from that thread only; another
/// thread uses queued calls (QMetaObject::invokeMethod) and the queued signals below. Create it
/// in that thread: its timers are members, not children, so moveToThread() would leave them.
///
/// Re-entrancy: the engine calls out synchronously in two ways, a request's Completion and its
/// ResponseSink (see enginetypes.h), and through directly connected slots of its signals. They
/// may call back into submit(), cancel(), cancelAll() and the setters, with one exception (a
/// sink cancelling its own request inline, see cancel()); none may destroy the engine.
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
    ///
    /// Re-entrant: `done` may already have run when this returns (the request refused at once:
    /// too large, queue full), and submitting may displace a less urgent queued request, whose
    /// completion then runs inside this call, after the new request is queued. Sending happens
    /// later, from the event loop (or dispatchNow()), never inside submit().
    std::uint64_t submit(EngineRequest request, Completion done = {});
    /// The same, awaited: the request's record once it has ended. The awaiting coroutine resumes
    /// from the event loop, one turn after the completion (so it may destroy the engine); a
    /// request the stopping engine would not take ends at once, as cancelled.
    QCoro::Task<RequestRecord> run(EngineRequest request);
    /// Cancels a request in any non-terminal state. False when unknown or already ended.
    ///
    /// A waiting request (queued, waiting for budget, waiting to retry) ends inside this call:
    /// its completion runs before cancel() returns. One on the network is aborted and ends as
    /// cancelled when its reply finishes (Qt's HTTP reply emits finished() from inside abort(),
    /// so normally before cancel() returns too), giving its slots back. Safe from a completion
    /// (for any request) and from a signal of this engine. A ResponseSink must not cancel its
    /// own request from inside onHeaders()/onBytes(), where the engine is still reading that
    /// reply: defer it with a queued call.
    bool cancel(std::uint64_t id);
    /// cancel() for every request not yet ended, in no particular order. Completions run
    /// inside this call; a request a completion submits meanwhile is not cancelled.
    void cancelAll();
    /// Dispatches what can go now, without waiting for the queued pass submit() schedules: an
    /// open-loop scheduler calls it so a request leaves at its intended time, and a server's
    /// request handler so a caller's request is written upstream in the turn it arrived, not
    /// after whatever else the event loop has queued. Completions may run inside it.
    void dispatchNow() { pump(); }

    // Live limits. Each takes effect at once and config() reflects it. None runs a completion
    // or sends inside the call: waiting requests are re-evaluated in a queued pass, so the
    // setters are safe from a completion, a sink or a slot of this engine's signals.
    /// limitChanged() is emitted, synchronously, when the limit moves.
    void setConcurrency(ConcurrencyConfig config);
    /// Replaces every rule; existing budgets take their new limits at once.
    void setBudgets(std::vector<BudgetRule> rules);
    /// For failures from now on; a retry already scheduled keeps its delay.
    void setRetry(RetryConfig config);
    /// Applies to every endpoint's breaker (CircuitBreaker::setConfig says what resets).
    void setBreaker(BreakerConfig config);
    void setQueue(QueueConfig config);
    /// For attempts started from now on.
    void setTransferTimeout(Nanos timeout) { m_config.transferTimeout = timeout; }
    /// Upstream keys for pooled requests (EngineRequest::pooled): each attempt takes the key
    /// that can admit it soonest, and the pool mirrors every key's headroom from the answers.
    /// Call before the first pooled request (requests queued on an old pool would be lost).
    void setKeyPool(std::vector<PoolKey> keys);
    /// Null when no pool was set. Read it (figures, summed limits); same thread.
    const KeyPool* keyPool() const { return m_keyPool.get(); }
    /// Shares the limits with other processes (see AdmissionGate): each attempt the local limits
    /// let go waits for the gate's admission (state WaitingBudget meanwhile, bounded by its
    /// queue timeout and deadline), and gives its lease back and reconciles its tokens with the
    /// gate when it ends. The budgets' limits and the concurrency limit are whole-fleet limits
    /// at the gate. Set before the first request; the engine owns the gate.
    void setGate(std::unique_ptr<AdmissionGate> gate);
    /// Null when no gate was set.
    const AdmissionGate* gate() const { return m_gate.get(); }
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
    /// The same with the position already known (RequestUpdate::position; -2: look it up).
    /// `knownInFleet`: the known position is already the fleet's (RequestUpdate::fleetPosition).
    std::optional<RequestStatus> status(std::uint64_t id, std::int64_t knownPosition,
                                        bool knownInFleet = false) const;
    /// Every request not yet ended, queued ones in dispatch order first (one walk of the
    /// queue, not a search per request).
    std::vector<RequestStatus> statuses() const;
    /// Expected time until a request `position` places back in the queue is sent, from the
    /// recent rate of dispatches (0 when nothing is known yet).
    Nanos expectedWait(std::int64_t position) const;
    std::size_t active() const { return m_calls.size(); }
    /// The id the next submit() will give (for a caller that files it before submitting).
    std::uint64_t nextId() const { return m_nextId + 1; }
    /// requestsUpdated() also carries every queued request whose place in the local queue
    /// changed (one walk of the queue per tick), not only those whose state changed: for a
    /// fleet board, whose readers cannot work places out for themselves.
    void setPublishPositions(bool publish) { m_publishPositions = publish; }
    /// Numbers requests from base + 1 (ids unique across a fleet, FleetBoard::idBase()).
    /// Before the first submit().
    void setIdBase(std::uint64_t base) { m_nextId = base; }
    /// Requests the other processes of a fleet still hold in their own queues that stand ahead
    /// of one of this engine's waiting requests (its shared queue, its place in the fleet's
    /// order: AdmissionGate::order()): a fleet board's count (FleetBoard::heldAhead()). With
    /// a gate, a waiting request's position counts them, and one still in this engine's queue
    /// is placed in the fleet as well: what stands ahead of it here, at the gate, and
    /// elsewhere. Called in the engine's thread, at most once per waiting request and tick.
    using HeldElsewhere =
        std::function<std::uint64_t(const QString& sharedQueue, std::int64_t order)>;
    void setHeldElsewhere(HeldElsewhere held) { m_heldElsewhere = std::move(held); }
    /// The budget of a key and model (created on first use), e.g. to inspect learned limits.
    /// Owned by the engine, valid while it lives; same thread. Changing limits through it
    /// bypasses setBudgets() (no re-evaluation pass, config() not updated): read it.
    RateBudget& budget(const QByteArray& apiKey, const QString& model);
    /// The budget pooled requests of a model share (the gateway's limits over all its keys).
    RateBudget& pooledBudget(const QString& model);
    const Clock& clock() const { return m_clock; }

Q_SIGNALS:
    // Emitted in the engine's thread; connect across threads with a queued connection (the
    // payloads are values, registered metatypes).
    /// At the snapshot cadence.
    void snapshotReady(const sluice::EngineSnapshot& snapshot);
    /// State changes since the last batch (at the snapshot cadence).
    void requestsUpdated(const QList<sluice::RequestUpdate>& updates);
    /// The concurrency limit changed (adaptive or set).
    void limitChanged(int limit);
    /// Every request has ended.
    void idle();
    /// A pool key was refused by the provider (401/403) and is out of the pool for good: an
    /// alarm. Emitted synchronously from the attempt's end; `maskedKey` is `sk-...abcd`.
    void keyRetired(const QString& maskedKey, const QString& reason);

private:
    using Call = EngineCall;
    using Attempt = FinishedAttempt;
    void startAttempt(std::uint64_t id);
    // A finished attempt (requestengineoutcome.cpp), in order: read and classify it
    // (EngineCall::readFinished), learn from it (tokens, the server's limits), settle its
    // breaker permit and the concurrency limit, give its slots back, then end, retry or time
    // out the request. The last step may run the completion.
    void onAttemptFinished(Call& call, QNetworkReply* reply);
    void learn(Call& call, const Attempt& attempt);
    void settleBreakerAndLimit(Call& call, const Attempt& attempt);
    void releaseSlots(Call& call);
    void decideFate(Call& call, const Attempt& attempt);
    /// An attempt's deadline passed (DeadlineTimer): abort it if it is still on the network.
    void onDeadline(std::uint64_t id, int attempt);
    /// Queues the call (again, after a retry delay). False when the queue refused it: the
    /// caller ends the request. A less urgent request it displaced ends inside, last; its
    /// completion may cancel this one, so the caller must not touch `call` after true.
    bool enqueue(Call& call, Nanos now);
    /// When the request leaves the queue unsent: its deadline, or its queue timeout from now.
    Nanos queueDeadline(const Call& call, Nanos now) const;
    void pump();
    void schedulePump();
    void dispatch(Call& call);
    // The shared gate's part (requestenginegate.cpp).
    /// After the local steps let the call go: asks the gate, or sends at once without one.
    void admitShared(Call& call);
    /// The limits changed: every call waiting at the gate asks again with the new ones (in
    /// the same place: its arrival is kept), so a raised limit reaches them at once.
    void reaskGate();
    void onGateAdmitted(std::uint64_t id, std::string lease);
    /// The attempt has started or will not: its gate ask withdrawn, its lease settled.
    void leaveGate(Call& call);
    GateAsk gateAskFor(const Call& call) const;
    /// Requests ahead of a call waiting at the gate, fleet-wide (-1: not known, not there).
    std::int64_t gatePosition(const Call& call) const;
    /// A waiting call's place in the whole fleet (-1: not known, or no gate): at the gate, its
    /// place there; still in this engine's queue, `localAhead` plus those at the gate it will
    /// stand behind; either way with what the other processes still hold ahead of it.
    std::int64_t fleetPosition(const Call& call, std::int64_t localAhead) const;
    /// Its place in the fleet's order (AdmissionGate::order(); -1: not known, or no gate),
    /// asked of the gate once and kept on the call.
    std::int64_t fleetOrder(const Call& call) const;
    /// The call's shared queue as every process names it: a hash of its gate scope.
    const QString& sharedQueue(const Call& call) const;
    /// Sends the dispatched call's next attempt.
    void send(Call& call);
    void finish(Call& call, RequestState state, FailureReason failure = {}, QString reason = {});
    void retryLater(Call& call, Nanos delay);
    void requeue(std::uint64_t id);
    void markDirty(Call& call);
    // The key pool's part (requestenginepool.cpp).
    /// The budget and queue scope of a new call: its key's, or for a pooled call the pool's
    /// own budget and the keys that serve its model together. Returns why a pooled call
    /// cannot be served at all (no live key for its model), else empty.
    QString bindBudget(Call& call);
    /// The wait before the call's scope admits (0 = now), the pool included.
    Nanos budgetWait(const Call& call, Nanos now) const;
    /// Picks and charges the pool key for the call's next attempt; false when none is left.
    bool takePoolKey(Call& call, Nanos now);
    /// Tells the pool how the attempt on its key ended; emits keyRetired() on a 401/403.
    void returnPoolKey(Call& call, const Attempt& attempt, std::int64_t charged);
    /// After a 429 or a retired key: tries the request again at once on another key (the
    /// queue holds it until one admits). False when that does not apply.
    bool retryOnAnotherKey(Call& call, const Attempt& attempt);
    void tick();
    void armWake(Nanos now);
    void applyLimit(int limit);
    Call* find(std::uint64_t id);
    CircuitBreaker& breakerFor(const std::string& key);

    EngineConfig m_config;
    std::unique_ptr<Clock> m_ownClock;
    const Clock& m_clock;
    Admission m_admission;
    ConcurrencyLimit m_concurrency;
    RateBudgets m_budgets;
    RetryPolicy m_retry;
    ResourceGuard m_guard;
    std::unordered_map<std::string, std::unique_ptr<CircuitBreaker>> m_breakers;
    ClientPool* m_pool;
    QTimer m_wake;
    QTimer m_tick;
    /// Attempt deadlines: one timer for all of them (see DeadlineTimer for why).
    DeadlineTimer m_deadlines;
    bool m_pumpQueued = false;
    /// pump() is not re-entrant: inside it, a completion (of an expired queue entry) that calls
    /// dispatchNow() gets nothing, and submit() only schedules a later pass.
    bool m_pumping = false;
    /// Set by the destructor: submit() refuses, reply callbacks are ignored.
    bool m_closing = false;

    std::unordered_map<std::uint64_t, std::unique_ptr<Call>> m_calls;
    QueueScopes m_scopes;     ///< budget scope per queued request, counted per scope
    RequestUpdates m_updates; ///< what requestsUpdated() publishes at the next tick
    std::uint64_t m_nextId = 0;
    bool m_publishPositions = false;

    EngineStats m_stats; ///< counters, rates and percentiles behind snapshot()
    Nanos m_lastResourceSample{0};
    DispatchPace m_pace; ///< dispatch gaps while saturated: the aging lead and queue ETAs
    ResourceSample m_resources;
    std::unique_ptr<KeyPool> m_keyPool;
    std::unique_ptr<AdmissionGate> m_gate;
    HeldElsewhere m_heldElsewhere;
};

} // namespace sluice
