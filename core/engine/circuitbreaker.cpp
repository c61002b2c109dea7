#include "core/engine/circuitbreaker.h"

#include <algorithm>

namespace sluice {

namespace {
constexpr std::int64_t kTimeBuckets = 20;

Nanos floorTo(Nanos t, Nanos step) {
    const std::int64_t q = t.count() / step.count();
    const std::int64_t r = t.count() % step.count();
    return step * (r < 0 ? q - 1 : q);
}
} // namespace

CircuitBreaker::CircuitBreaker(BreakerConfig config, const Clock& clock)
    : m_config(config)
    , m_clock(clock) {}

bool CircuitBreaker::tryAcquire() {
    if (!m_config.enabled) {
        return true;
    }
    advanceTime();
    switch (m_state) {
    case State::Closed:
        return true;
    case State::Open:
        return false;
    case State::HalfOpen:
        if (m_probesOut >= probeLimit()) {
            return false;
        }
        ++m_probesOut;
        return true;
    }
    return false;
}

void CircuitBreaker::onSuccess() {
    if (!m_config.enabled) {
        return;
    }
    switch (m_state) {
    case State::Closed:
        record(false);
        break;
    case State::Open:
        break; // a call admitted before the breaker opened: too late to matter
    case State::HalfOpen:
        if (m_probeSuccesses < m_probesOut) {
            ++m_probeSuccesses;
            if (m_probeSuccesses >= probeLimit()) {
                close();
            }
        }
        break;
    }
}

void CircuitBreaker::onFailure() {
    if (!m_config.enabled) {
        return;
    }
    switch (m_state) {
    case State::Closed:
        record(true);
        break;
    case State::Open:
        break;
    case State::HalfOpen:
        if (m_probeSuccesses < m_probesOut) {
            open();
        }
        break;
    }
}

void CircuitBreaker::onIgnored() {
    if (m_config.enabled && m_state == State::HalfOpen && m_probeSuccesses < m_probesOut) {
        --m_probesOut;
    }
}

CircuitBreaker::State CircuitBreaker::state() {
    if (!m_config.enabled) {
        return State::Closed;
    }
    advanceTime();
    return m_state;
}

Nanos CircuitBreaker::untilHalfOpen() {
    if (state() != State::Open) {
        return Nanos{0};
    }
    return m_openedAt + m_config.openDuration - m_clock.now();
}

void CircuitBreaker::setConfig(BreakerConfig config) {
    const bool fresh = config.window != m_config.window || config.enabled != m_config.enabled;
    m_config = config;
    if (fresh) {
        reset();
        return;
    }
    trimCountWindow();
    if (m_state == State::HalfOpen && m_probeSuccesses >= probeLimit()) {
        close();
    }
}

void CircuitBreaker::reset() {
    m_state = State::Closed;
    clearWindow();
    m_probesOut = 0;
    m_probeSuccesses = 0;
}

void CircuitBreaker::record(bool failure) {
    const Nanos now = m_clock.now();
    if (m_config.window == BreakerConfig::Window::Count) {
        m_countWindow.push_back(failure);
        trimCountWindow();
    } else {
        expireTimeWindow(now);
        if (m_timeWindow.empty() || now >= m_timeWindow.back().end) {
            const Nanos width = std::max(m_config.windowDuration / kTimeBuckets, Nanos{1});
            m_timeWindow.push_back(Bucket{floorTo(now, width) + width});
        }
        ++m_timeWindow.back().calls;
        m_timeWindow.back().failures += failure ? 1 : 0;
    }
    ++m_calls;
    m_failures += failure ? 1 : 0;

    int minimum = std::max(1, m_config.minimumCalls);
    if (m_config.window == BreakerConfig::Window::Count) {
        minimum = std::min(minimum, std::max(1, m_config.windowCalls));
    }
    // Compared as a quotient, not as failures >= rate * calls: 0.3 * 10 is 3.0000000000000004 in
    // floating point, while 3.0 / 10 rounds to the same double as the literal 0.3.
    if (m_calls >= minimum && m_failures > 0 &&
        static_cast<double>(m_failures) / static_cast<double>(m_calls) >= m_config.failureRate) {
        open();
    }
}

void CircuitBreaker::expireTimeWindow(Nanos now) {
    while (!m_timeWindow.empty() && m_timeWindow.front().end + m_config.windowDuration <= now) {
        m_calls -= m_timeWindow.front().calls;
        m_failures -= m_timeWindow.front().failures;
        m_timeWindow.pop_front();
    }
}

void CircuitBreaker::trimCountWindow() {
    const std::size_t limit = static_cast<std::size_t>(std::max(1, m_config.windowCalls));
    while (m_countWindow.size() > limit) {
        --m_calls;
        m_failures -= m_countWindow.front() ? 1 : 0;
        m_countWindow.pop_front();
    }
}

void CircuitBreaker::clearWindow() {
    m_countWindow.clear();
    m_timeWindow.clear();
    m_calls = 0;
    m_failures = 0;
}

void CircuitBreaker::advanceTime() {
    if (m_state == State::Open && m_clock.now() - m_openedAt >= m_config.openDuration) {
        m_state = State::HalfOpen;
        m_probesOut = 0;
        m_probeSuccesses = 0;
    }
}

void CircuitBreaker::open() {
    m_state = State::Open;
    m_openedAt = m_clock.now();
    ++m_timesOpened;
    // Nothing is recorded while open or half-open, and closing starts afresh: free it now.
    clearWindow();
}

void CircuitBreaker::close() {
    m_state = State::Closed;
    clearWindow();
    m_probesOut = 0;
    m_probeSuccesses = 0;
}

int CircuitBreaker::probeLimit() const {
    return std::max(1, m_config.halfOpenProbes);
}

const char* breakerStateName(CircuitBreaker::State state) {
    switch (state) {
    case CircuitBreaker::State::Closed:
        return "closed";
    case CircuitBreaker::State::Open:
        return "open";
    case CircuitBreaker::State::HalfOpen:
        return "half_open";
    }
    return "unknown";
}

} // namespace sluice
