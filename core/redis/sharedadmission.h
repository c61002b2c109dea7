#pragma once

#include "core/engine/ratebudget.h"
#include "core/redis/redisclient.h"
#include "core/redis/sharedbudget.h"
#include "core/redis/sharedleases.h"
#include "core/redis/sharedqueue.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <map>
#include <memory>

namespace sluice {

/// What a process does while Redis cannot be reached.
enum class RedisPolicy {
    Closed, ///< admit nothing until Redis is back
    Open,   ///< admit on the local limits alone (said loudly: the fleet may overrun)
    Split,  ///< each process takes limit/N, N = processes seen alive before Redis went away
};
/// "closed", "open", "split"; the error names the field --redis-policy.
Result<RedisPolicy> parseRedisPolicy(const QString& text);
QString redisPolicyName(RedisPolicy policy);

struct SharedAdmissionConfig {
    RedisClientConfig client;
    RedisPolicy policy = RedisPolicy::Closed;
    std::chrono::milliseconds heartbeat{250};  ///< how often this process says it is alive
    std::chrono::milliseconds leaseTtl{10000}; ///< a crashed process's leases lapse after this
};

/// The answer to one shared admission.
struct SharedVerdict {
    bool admitted = false;
    Nanos wait{0};      ///< when refused: try again after this
    QByteArray leaseId; ///< when admitted under a concurrency limit: give it back with release()
    bool shared = true; ///< false: decided by the failure policy, without Redis
    std::int64_t ahead = 0; ///< refused for the queue order: members ahead in the fleet's queue
};

/// A request's place in its key's fleet-wide queue (SharedQueue), for admit().
struct QueueSpot {
    QByteArray member;      ///< SharedQueue::member()
    std::int64_t score = 0; ///< SharedQueue::score()
};

/// Shared health, for stats, metrics and the console.
struct SharedStatus {
    bool connected = false;
    bool alarm = false;  ///< Redis unreachable: the failure policy decides
    QString alarmReason; ///< why, while the alarm stands
    QString mode;        ///< "scripted" or "script-free" (budgets)
    QString modeReason;  ///< the server's refusal, on the script-free path
    RedisPolicy policy = RedisPolicy::Closed;
    int processes = 1;        ///< processes seen alive (the heartbeat), N of the split policy
    std::uint64_t alarms = 0; ///< times the alarm was raised
    std::uint64_t policyDecisions = 0; ///< admissions decided without Redis
};

/// One process's shared admission step: a request is admitted when its key's shared budget
/// (SharedBudget) admits it and, under a concurrency limit, a fleet-wide lease (SharedLeases)
/// is granted. While Redis is unreachable the alarm stands (raised within the command timeout
/// or one heartbeat of the loss, whichever comes first) and the policy decides; when Redis
/// answers again the alarm clears and decisions are shared again, by themselves.
///
/// Each process writes a heartbeat (`sluice:{fleet}:processes`, a sorted set of process ids
/// scored by Redis time) so it knows N for the split policy.
///
/// Threading: one thread; owns its connections (one for budgets, one for leases and the
/// heartbeat, so their script-free transactions never share a connection). Callbacks run
/// exactly once; inside admit() only when the answer needs no Redis.
class SharedAdmission final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SharedAdmission)

public:
    using Callback = std::function<void(SharedVerdict)>;

    explicit SharedAdmission(SharedAdmissionConfig config, const Clock* clock = nullptr,
                             QObject* parent = nullptr);
    ~SharedAdmission() override;

    /// Decides one request for `apiKey`: `limits` are the key's whole-fleet limits, `tokens`
    /// its reservation, `concurrency` the fleet-wide in-flight limit (0 = none). With `spot`
    /// (registered through queue()), only the head of the key's fleet-wide queue is admitted,
    /// and it leaves the queue when admitted (once it has its lease, under a concurrency limit);
    /// the failure policy ignores the queue.
    void admit(const QByteArray& apiKey, const BudgetLimits& limits, std::int64_t tokens,
               int concurrency, Callback done, std::optional<QueueSpot> spot = std::nullopt);
    /// Reconciles a reservation with real usage (fire and forget).
    void reconcile(const QByteArray& apiKey, const BudgetLimits& limits, std::int64_t delta);
    /// Gives back the lease of an admitted request when it ends.
    void release(const QByteArray& apiKey, const QByteArray& leaseId);

    SharedStatus status() const;
    bool alarm() const { return m_alarm; }
    /// The fleet-wide queues, on the budget connection (so a registration always reaches Redis
    /// before the same process's decisions about that member). Learns Redis time from the
    /// heartbeat.
    SharedQueue& queue() { return *m_queue; }
    const QByteArray& processId() const { return m_processId; }

Q_SIGNALS:
    /// Raised (true) or cleared (false); `why` says what happened. Emitted at once.
    void alarmChanged(bool raised, const QString& why);

private:
    void raise(const QString& why);
    void clear();
    void beat();
    SharedVerdict decideByPolicy(const QByteArray& keyHash, const BudgetLimits& limits,
                                 std::int64_t tokens, int concurrency);

    SharedAdmissionConfig m_config;
    std::unique_ptr<Clock> m_ownClock;
    const Clock& m_clock;
    RedisClient m_budgetClient;
    RedisClient m_leaseClient;
    SharedBudget m_budget;
    SharedLeases m_leases;
    QByteArray m_processId;
    std::unique_ptr<SharedQueue> m_queue;
    QTimer m_heartbeat;
    bool m_beating = false;
    bool m_closing = false; ///< in the destructor: admit() refuses, no alarm
    bool m_alarm = false;
    QString m_alarmReason;
    std::uint64_t m_alarms = 0;
    std::uint64_t m_policyDecisions = 0;
    int m_processes = 1;
    /// While the hold lasts, a shared admission is also charged to (and waits for) this
    /// process's split share.
    Nanos splitHoldWait(const QByteArray& keyHash, Nanos now) const;
    void chargeSplitHold(const QByteArray& keyHash, std::int64_t tokens);

    // The split policy's local state: a budget per key at limit/N, and local in-flight counts.
    std::map<QByteArray, RateBudget> m_split;
    int m_splitN = 0;
    /// Split only: after Redis returns, every process keeps to its share as well for two
    /// heartbeats, until the others have seen Redis back too (one process back on the whole
    /// shared budget while the rest still take limit/N each would overrun the limit).
    Nanos m_splitHoldUntil = Nanos::min();
    std::map<QByteArray, int> m_localInFlight;
};

} // namespace sluice
