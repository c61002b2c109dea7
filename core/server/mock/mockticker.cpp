#include "core/server/mock/mockticker.h"

#include <algorithm>

namespace sluice::mock {

namespace {
// Steps due within this much of now run in the current pass (QTimer has 1 ms resolution).
constexpr Nanos kSlack = std::chrono::microseconds(500);
} // namespace

MockTicker::MockTicker(QObject* parent)
    : QObject(parent) {
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &MockTicker::fire);
}

void MockTicker::schedule(Nanos due, QObject* owner, std::function<void()> step) {
    m_heap.push(Entry{due, m_order++, owner, std::move(step)});
    if (!m_timer.isActive() || due < m_armedFor) {
        arm();
    }
}

void MockTicker::arm() {
    if (m_heap.empty()) {
        m_timer.stop();
        return;
    }
    const Nanos due = std::max(m_heap.top().due, m_pausedUntil);
    const Nanos wait = due - m_clock.now();
    const auto ms = wait <= kSlack ? 0 : static_cast<int>((wait - kSlack).count() / 1'000'000 + 1);
    m_armedFor = due;
    m_timer.start(ms);
}

void MockTicker::pauseUntil(Nanos until) {
    m_pausedUntil = std::max(m_pausedUntil, until);
    arm();
}

void MockTicker::fire() {
    if (paused()) {
        arm();
        return;
    }
    const Nanos horizon = m_clock.now() + kSlack;
    // Take the due steps out first: a step may schedule its successor, possibly due at once,
    // which then waits for the next pass instead of running in this loop forever.
    std::vector<Entry> due;
    while (!m_heap.empty() && m_heap.top().due <= horizon) {
        due.push_back(std::move(const_cast<Entry&>(m_heap.top())));
        m_heap.pop();
    }
    for (Entry& entry : due) {
        if (entry.owner) {
            entry.step();
        }
    }
    arm();
}

} // namespace sluice::mock
