#pragma once

#include "core/engine/admissiongate.h"
#include "core/redis/sharedadmission.h"

#include <QObject>
#include <QTimer>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace sluice {

/// The engine's admission gate (AdmissionGate) over Redis: SharedAdmission's budgets, leases and
/// failure policy for a RequestEngine, in one fleet-wide queue order per scope.
///
/// Every ask under a limit is registered in its scope's queue in Redis (SharedQueue), scored by
/// priority then arrival (Redis time at registration minus how long the request had waited in
/// the engine), and only the queue's head is admitted (in the same atomic step as the budget).
/// Asks for one scope wait in a local line in that same order, and only the best of each line
/// asks Redis (again after the wait Redis gave, which for a waiter behind others is about when
/// its turn comes), so a process sends one decision at a time per scope instead of a herd of
/// them. Each heartbeat the gate reads the head of each scope's queue (SharedQueue::kWindow
/// members) for position(), says it is alive, drops its own members that no longer wait and
/// registers again those Redis lost. While Redis is unreachable the failure policy decides, in
/// the local line's order.
///
/// Limits come in the engine's clock time; Redis runs in real time, so their periods and the
/// asks' waits are divided by the clock's speed (`speed`, 1 for the real clock): a test on a
/// scaled clock shares scaled windows.
///
/// Threading: the engine's thread (create it there). Owns its SharedAdmission and so its
/// connections. Answers run from its timers or Redis's replies, never inside ask().
class RedisGate final : public QObject, public AdmissionGate {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RedisGate)

public:
    explicit RedisGate(SharedAdmissionConfig config, double speed = 1.0, QObject* parent = nullptr);
    ~RedisGate() override;

    std::uint64_t ask(GateAsk ask, Done done) override;
    void withdraw(std::uint64_t ticket) override;
    void settle(const GateAsk& ask, const std::string& lease, std::int64_t usedTokens) override;
    GateStatus status() const override;
    /// Requests ahead in the fleet's queue of its scope, as of the last read (one heartbeat
    /// old at most, this process's own waiters always current); exact up to
    /// SharedQueue::kWindow ahead, a lower bound beyond. Nothing while Redis is unreachable,
    /// before Redis time is known, or for an ask under no limit.
    std::optional<std::uint64_t> position(std::uint64_t ticket) const override;
    /// Counted in the same merge as position(), by the score the ask would get now. A scope
    /// this process has no waiter in is read from the next heartbeat on, for as long as it is
    /// asked about (kWatchFor): nothing until then.
    std::optional<std::uint64_t> rank(const GateAsk& ask) const override;
    /// The score the ask would get now (SharedQueue::score(), Redis time).
    std::optional<std::int64_t> order(const GateAsk& ask) const override;

    SharedAdmission& shared() { return *m_shared; }

private:
    struct Waiter {
        GateAsk ask;
        Done done;
        QByteArray keyHash;
        QByteArray member;                 ///< in the scope's queue
        std::int64_t arrivalLocalUs = 0;   ///< on SharedQueue's local clock
        std::optional<std::int64_t> score; ///< once Redis time is known; never changes
        bool queued = false;               ///< under a limit: takes part in the fleet's order
    };
    /// Own scored waiters in Redis's order: score, then member (whose ticket part is fixed
    /// width hex, so the ticket's order).
    using Place = std::pair<std::int64_t, std::uint64_t>;
    struct Line {
        std::set<Place> order;
        std::set<std::tuple<int, std::int64_t, std::uint64_t>> unscored; ///< band, arrival, ticket
        std::uint64_t asking = 0;             ///< the ticket whose question is with Redis (0: none)
        bool sleeping = false;                ///< waiting for the wait Redis gave
        bool reading = false;                 ///< a queue read is out
        std::vector<QueueView::Entry> others; ///< other processes' live members, last read
        bool othersComplete = true;
        mutable bool positionsStale = true;
        mutable std::map<std::uint64_t, std::uint64_t> positions; ///< ticket -> ahead
        mutable std::vector<std::int64_t>
            scores;        ///< every member's score (own and others'), sorted
        bool read = false; ///< the others' members have been read at least once
    };
    /// A scope rank() was asked about stays read this long after the last ask (µs).
    static constexpr std::int64_t kWatchForUs = 2'000'000;
    bool watched(const std::string& key) const;
    /// Recomputes a line's positions and scores when they are stale.
    void merge(const Line& line) const;
    BudgetLimits realTime(const BudgetLimits& limits) const;
    void schedule(const std::string& key);
    void next(const std::string& key);
    void scoreLine(const std::string& key, Line& line);
    void onVerdict(const std::string& key, std::uint64_t ticket, const SharedVerdict& verdict);
    void leaveLine(std::uint64_t ticket, const Waiter& waiter);
    void refresh();
    void onRead(const std::string& key, const QByteArray& keyHash, const QueueView& view);
    /// The ticket of one of this process's members, 0 for another process's.
    std::uint64_t ownTicket(const QByteArray& member) const;

    double m_speed;
    std::unique_ptr<SharedAdmission> m_shared;
    std::map<std::uint64_t, Waiter> m_waiters;
    std::map<std::string, Line> m_lines;
    /// Scopes rank() was asked about -> when last (SharedQueue::localUs()): their lines are
    /// kept and read even with no waiter of this process in them. Mutable: rank() is a query
    /// that only says what it wants read next.
    mutable std::map<std::string, std::int64_t> m_watched;
    QTimer m_refresh;
    std::uint64_t m_next = 0;
    std::uint64_t m_admitted = 0;
    bool m_closing = false;
};

} // namespace sluice
