#include "core/net/deadlinetimer.h"

#include <utility>

namespace sluice {

DeadlineTimer::DeadlineTimer(const Clock& clock, Expired expired)
    : m_clock(clock)
    , m_expired(std::move(expired)) {
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    // The timer is the context: it goes with this object, so the lambda never outlives it.
    QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { onTimeout(); });
}

void DeadlineTimer::add(Nanos at, std::uint64_t id, int attempt) {
    const bool earliest = m_heap.empty() || at < m_heap.top().at;
    m_heap.push(Entry{at, id, attempt});
    if (earliest) {
        arm();
    }
}

void DeadlineTimer::arm() {
    if (m_heap.empty()) {
        m_timer.stop();
        return;
    }
    m_timer.start(realMs(m_clock, m_heap.top().at - m_clock.now()));
}

void DeadlineTimer::onTimeout() {
    const Nanos now = m_clock.now();
    while (!m_heap.empty() && m_heap.top().at <= now) {
        const Entry e = m_heap.top();
        m_heap.pop();
        m_expired(e.id, e.attempt);
    }
    arm();
}

} // namespace sluice
