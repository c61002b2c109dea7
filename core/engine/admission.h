#pragma once

#include "core/engine/requestqueue.h"

#include <mutex>

namespace sluice {

/// The admission gate: the request queue plus the concurrency count, behind one mutex so any
/// thread may submit, cancel, acquire and release and the in-flight count can never pass the
/// limit. Deciding and releasing are a few map operations under an uncontended lock.
class Admission {
public:
    explicit Admission(QueueConfig config = {}, int limit = 10);

    RequestQueue::PushResult submit(QueueEntry entry);
    /// Removes a queued request; false when it is not queued (already dispatched or unknown).
    bool cancel(std::uint64_t id);
    /// When a concurrency slot is free, takes it and returns the next dispatchable request.
    std::optional<QueueEntry> acquire(Nanos now,
                                      const std::function<bool(std::uint64_t)>& scopeOpen);
    /// Takes a slot for a request that is not in the queue (false when none is free).
    bool acquireSlot();
    /// Gives a slot back.
    void release();
    std::vector<QueueEntry> expire(Nanos now);

    void setLimit(int limit);
    int limit() const;
    int inFlight() const;
    std::size_t queued() const;
    std::int64_t position(std::uint64_t id, Nanos now) const;
    std::vector<std::uint64_t> order(Nanos now) const;
    std::optional<Nanos> nextEvent(Nanos now) const;
    void setQueueConfig(QueueConfig config);
    void setAgingLead(Nanos lead);
    QueueConfig queueConfig() const;
    /// Runs `f(const RequestQueue&)` under the lock.
    template <typename F> auto inspect(F&& f) const {
        std::lock_guard lock(m_mutex);
        return f(m_queue);
    }

private:
    mutable std::mutex m_mutex;
    RequestQueue m_queue;
    int m_limit;
    int m_inFlight = 0;
};

} // namespace sluice
