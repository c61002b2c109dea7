#pragma once

#include "core/redis/redisclient.h"

#include <QByteArray>
#include <QObject>
#include <QTimer>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>

namespace sluice {

/// The answer to one lease request.
struct LeaseDecision {
    bool granted = false;
    QByteArray leaseId;    ///< to release; empty when refused
    std::int64_t held = 0; ///< leases of the key after the decision (fleet-wide)
};

/// Fleet-wide concurrency: in-flight leases per API key in Redis, so "N concurrent" holds for
/// every process sharing that Redis. Each key's leases are one sorted set
/// `{sluice:<keyhash>}:leases` of lease ids scored by their expiry (microseconds on Redis's
/// clock). A lease is granted while fewer than N unexpired leases exist; the holder refreshes
/// its leases every ttl/3 and removes them on release, so a crashed process's leases lapse
/// after at most one TTL.
///
/// Acquire is one script (EVALSHA, EVAL on NOSCRIPT), or, when the server refuses scripts,
/// WATCH/TIME/ZRANGE then MULTI/ZREMRANGEBYSCORE/ZADD/EXEC retried on conflict (one at a time on
/// the client). Release is ZREM; refresh is ZADD XX with an expiry from Redis's clock as last
/// seen (the offset measured at every acquire), both script-free.
///
/// Threading and ownership: the client's thread; the client must outlive this object and, on
/// the script-free path, not run other transactions. Callbacks run exactly once.
class SharedLeases final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SharedLeases)

public:
    using Callback = std::function<void(Result<LeaseDecision>)>;

    SharedLeases(RedisClient& client, std::chrono::milliseconds ttl, QObject* parent = nullptr);

    static QByteArray leaseKey(const QByteArray& keyHash);
    /// Asks for one of `limit` leases of the key. With `queueKey`, the granted `member` leaves
    /// that queue (SharedQueue) in the same step: a queue's head keeps its place until it has
    /// its lease.
    void acquire(const QByteArray& keyHash, std::int64_t limit, Callback done,
                 QByteArray queueKey = {}, QByteArray member = {});
    /// Gives a lease back (fire and forget; an unreachable Redis lets it expire instead).
    void release(const QByteArray& keyHash, const QByteArray& leaseId);
    std::size_t held() const { return m_held.size(); }
    bool scriptFree() const { return m_scriptFree; }

private:
    struct Op {
        QByteArray key;
        std::int64_t limit = 0;
        QByteArray id;
        QByteArray queueKey; ///< optional: the queue the granted member leaves
        QByteArray member;
        Callback done;
        int tries = 0;
    };
    void runScripted(std::shared_ptr<Op> op, bool withEval);
    void enqueueCas(std::shared_ptr<Op> op);
    void nextCas();
    void casRead(std::shared_ptr<Op> op);
    void finishOp(const std::shared_ptr<Op>& op, Result<LeaseDecision> result, bool cas);
    void learnTime(std::int64_t redisNowUs);
    std::int64_t redisNowUs() const;
    void refresh();

    RedisClient& m_client;
    std::chrono::milliseconds m_ttl;
    QByteArray m_sha;
    QByteArray m_idPrefix;
    std::uint64_t m_nextId = 0;
    bool m_scriptFree = false;
    std::deque<std::shared_ptr<Op>> m_casQueue;
    bool m_casBusy = false;
    std::map<QByteArray, QByteArray> m_held; ///< lease id -> its set's key
    QTimer m_refresh;
    QElapsedTimer m_local;
    std::int64_t m_offsetUs = 0; ///< Redis time - local elapsed, at the last reply
    bool m_haveOffset = false;
};

} // namespace sluice
