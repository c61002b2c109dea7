#pragma once

#include "core/engine/clock.h"

#include <QTimer>

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace sluice {

/// The engine's attempt deadlines: a min-heap of (when, request, attempt) behind ONE
/// single-shot QTimer, armed for the earliest.
///
/// Why one timer: thousands of attempts can be in flight, each with a deadline, and Qt keeps a
/// thread's timers in one sorted list, so with a live QTimer apiece every timer registration
/// in the thread (the engine's own wake-ups included) becomes linear in their number. Here an
/// add() is O(log n) and only an earlier deadline re-arms the timer.
///
/// Entries are never removed: when an attempt ends before its deadline, the entry stays and
/// fires later, and the owner ignores it (the request is gone or on a later attempt). That is
/// cheaper than searching the heap on every answer.
///
/// Not a QObject, and not thread-safe: lives in its owner's thread (the QTimer is created in
/// the thread that constructs it). `expired` runs synchronously from the timer event, once per
/// due entry, in deadline order; the entry is popped before the call, so `expired` may call
/// add() (an abort can end a request whose completion submits more).
class DeadlineTimer {
public:
    using Expired = std::function<void(std::uint64_t id, int attempt)>;

    /// `clock` is not owned and must outlive this; timers are armed in real time
    /// (clock time / clock speed, rounded up, so never early).
    DeadlineTimer(const Clock& clock, Expired expired);
    DeadlineTimer(const DeadlineTimer&) = delete;
    DeadlineTimer& operator=(const DeadlineTimer&) = delete;

    /// The attempt `attempt` of request `id` must end by `at` (clock time).
    void add(Nanos at, std::uint64_t id, int attempt);
    /// Deadlines not yet fired, including those whose attempt already ended.
    std::size_t pending() const { return m_heap.size(); }

private:
    struct Entry {
        Nanos at;
        std::uint64_t id;
        int attempt;
        bool operator>(const Entry& o) const { return at > o.at; }
    };
    void onTimeout();
    void arm();

    const Clock& m_clock;
    Expired m_expired;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> m_heap;
    QTimer m_timer;
};

} // namespace sluice
