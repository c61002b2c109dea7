#pragma once

#include "core/redis/redisclient.h"

#include <QByteArray>
#include <QElapsedTimer>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace sluice {

/// One waiting request's place in a key's fleet-wide queue, as the budget decision needs it
/// (SharedBudget::admit, SharedLeases::acquire): the decision admits only the queue's head.
struct QueuePlace {
    QByteArray queueKey;        ///< `{sluice:<keyhash>}:queue`
    QByteArray liveKey;         ///< `{sluice:<keyhash>}:qlive`
    QByteArray member;          ///< `<process id>:<ticket>`
    QByteArray processId;       ///< the member's process
    std::int64_t score = 0;     ///< SharedQueue::score()
    std::int64_t liveTtlUs = 0; ///< the process is dead this long after its last word
    bool removeOnAdmit = true;  ///< false: the lease grant removes it (concurrency limit)
};

/// What a process reads of a key's queue for positions (SharedQueue::read()).
struct QueueView {
    struct Entry {
        std::int64_t score = 0;
        QByteArray member;
    };
    std::vector<Entry>
        entries; ///< the head of the queue in order, members of dead processes left out
    std::vector<QByteArray> members; ///< every member read, dead ones too (for own stale ones)
    std::int64_t total = 0;          ///< members in the queue (ZCARD), dead ones too
    bool complete = false;           ///< every member was read (total fitted the window)
    std::int64_t nowUs = 0;          ///< Redis's clock at the read
};

/// The script-free decision's reading of a key's queue (SharedBudget), the same as the script's.
struct QueueCheck {
    bool present = false;         ///< the member is in the queue
    std::int64_t rank = 0;        ///< members ahead of it once the dead heads are dropped
    std::vector<QByteArray> dead; ///< members of dead processes at the head, to drop
};

/// One key's fleet-wide queue order in Redis: a sorted set `{sluice:<keyhash>}:queue` of the
/// requests waiting at every process's gate, member `<process id>:<ticket>` (the ticket as 16
/// hex digits, so Redis's order of equal scores is the tickets' order), scored by priority
/// band then arrival; and `{sluice:<keyhash>}:qlive`, process id → expiry (µs, Redis clock),
/// refreshed by every word of that process about the key. Members of a process whose expiry
/// passed are dead: the admission decision drops them when they reach the head, positions skip
/// them.
///
/// Arrival is Redis time: Redis's clock as last read (TIME) plus the local time elapsed since,
/// minus how long the request had already waited in its process. No machine's wall clock
/// enters a score, only durations; the error is about one round trip.
///
/// Score: band × 2^49 + (arrival µs − 2025-01-01), band = priority clamped to 0..9. Every score
/// is an integer below 2^53, so Redis's doubles hold it exactly (arrivals until 2042).
///
/// Threading and ownership: the client's thread; the client must outlive this object. Writes
/// are fire and forget; read()'s callback runs exactly once.
class SharedQueue {
public:
    SharedQueue(RedisClient& client, QByteArray processId, std::chrono::milliseconds liveTtl);

    static QByteArray queueKey(const QByteArray& keyHash);
    static QByteArray liveKey(const QByteArray& keyHash);
    /// Priority band (0 = most urgent, clamped to 0..9) first, then arrival (µs, Redis clock).
    static std::int64_t score(int priority, std::int64_t arrivalUs);
    /// The process id of a member (everything before its last ':').
    static QByteArray processOf(const QByteArray& member);
    /// Members read back in the window read() asks for.
    static constexpr int kWindow = 1024;
    /// Dead members at most dropped from the head per decision.
    static constexpr int kHeadScan = 64;

    /// Script-free decisions: the commands that read what check() needs (the queue's head,
    /// the liveness set, the member's rank), and check() itself on their replies.
    static std::vector<QList<QByteArray>> checkCommands(const QueuePlace& place);
    static QueueCheck check(const QueuePlace& place, const std::vector<RedisReply>& replies,
                            std::int64_t nowUs);
    /// The writes that go with a script-free decision: the process is alive, the member is
    /// registered (kept if there), the dead heads dropped.
    static std::vector<QList<QByteArray>> upkeep(const QueuePlace& place, const QueueCheck& check,
                                                 std::int64_t nowUs);

    const QByteArray& processId() const { return m_processId; }
    QByteArray member(std::uint64_t ticket) const;
    QueuePlace place(const QByteArray& keyHash, const QByteArray& member, std::int64_t score,
                     bool removeOnAdmit) const;
    std::chrono::milliseconds liveTtl() const { return m_liveTtl; }

    /// Redis's clock now, from the last TIME learned plus the local time since; nothing until
    /// one was learned.
    std::optional<std::int64_t> redisNowUs() const;
    void learnTime(std::int64_t redisNowUs);
    /// Redis's clock at a moment of the local elapsed clock (localUs(), same origin).
    std::optional<std::int64_t> redisUsAt(std::int64_t localUs) const;
    std::int64_t localUs() const { return m_local.nsecsElapsed() / 1000; }

    /// Registers members (score, member) of one key, keeping a member's score when it is
    /// already there, and says this process is alive.
    void add(const QByteArray& keyHash,
             const std::vector<std::pair<std::int64_t, QByteArray>>& entries);
    void remove(const QByteArray& keyHash, const QByteArray& member);
    /// Says this process is alive for the key and reads the head of its queue (kWindow members)
    /// and which processes are alive.
    void read(const QByteArray& keyHash, std::function<void(Result<QueueView>)> done);

private:
    void touch(const QByteArray& keyHash);

    RedisClient& m_client;
    QByteArray m_processId;
    std::chrono::milliseconds m_liveTtl;
    QElapsedTimer m_local;
    std::int64_t m_offsetUs = 0; ///< Redis time - local elapsed, at the last TIME
    bool m_haveOffset = false;
};

} // namespace sluice
