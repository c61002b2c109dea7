#include "core/engine/admission.h"

#include <algorithm>

namespace sluice {

Admission::Admission(QueueConfig config, int limit)
    : m_queue(std::move(config))
    , m_limit(std::max(limit, 0)) {}

RequestQueue::PushResult Admission::submit(QueueEntry entry) {
    std::lock_guard lock(m_mutex);
    return m_queue.push(std::move(entry));
}

bool Admission::cancel(std::uint64_t id) {
    std::lock_guard lock(m_mutex);
    return m_queue.remove(id);
}

std::optional<QueueEntry> Admission::acquire(Nanos now,
                                             const std::function<bool(std::uint64_t)>& scopeOpen) {
    std::lock_guard lock(m_mutex);
    if (m_inFlight >= m_limit || m_queue.empty()) {
        return std::nullopt;
    }
    auto entry = m_queue.pop(now, scopeOpen);
    if (entry) {
        ++m_inFlight;
    }
    return entry;
}

bool Admission::acquireSlot() {
    std::lock_guard lock(m_mutex);
    if (m_inFlight >= m_limit) {
        return false;
    }
    ++m_inFlight;
    return true;
}

void Admission::release() {
    std::lock_guard lock(m_mutex);
    m_inFlight = std::max(0, m_inFlight - 1);
}

std::vector<QueueEntry> Admission::expire(Nanos now) {
    std::lock_guard lock(m_mutex);
    return m_queue.expire(now);
}

void Admission::setLimit(int limit) {
    std::lock_guard lock(m_mutex);
    m_limit = std::max(limit, 0);
}

int Admission::limit() const {
    std::lock_guard lock(m_mutex);
    return m_limit;
}

int Admission::inFlight() const {
    std::lock_guard lock(m_mutex);
    return m_inFlight;
}

std::size_t Admission::queued() const {
    std::lock_guard lock(m_mutex);
    return m_queue.size();
}

std::int64_t Admission::position(std::uint64_t id, Nanos now) const {
    std::lock_guard lock(m_mutex);
    return m_queue.position(id, now);
}

std::vector<std::uint64_t> Admission::order(Nanos now) const {
    std::lock_guard lock(m_mutex);
    return m_queue.order(now);
}

std::optional<Nanos> Admission::nextEvent(Nanos now) const {
    std::lock_guard lock(m_mutex);
    return m_queue.nextEvent(now);
}

void Admission::setQueueConfig(QueueConfig config) {
    std::lock_guard lock(m_mutex);
    m_queue.setConfig(std::move(config));
}

void Admission::setAgingLead(Nanos lead) {
    std::lock_guard lock(m_mutex);
    m_queue.setAgingLead(lead);
}

QueueConfig Admission::queueConfig() const {
    std::lock_guard lock(m_mutex);
    return m_queue.config();
}

} // namespace sluice
