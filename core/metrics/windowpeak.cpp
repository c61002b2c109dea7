#include "core/metrics/windowpeak.h"

#include <algorithm>

namespace sluice {

namespace {
std::int64_t toMs(Nanos t) {
    return std::chrono::floor<std::chrono::milliseconds>(t).count();
}
} // namespace

WindowPeak::WindowPeak(Nanos window)
    : m_window(window)
    , m_windowMs(std::max<std::int64_t>(1, toMs(window))) {}

void WindowPeak::expire(std::int64_t nowMs) {
    while (!m_log.empty() && nowMs - m_log.front().atMs >= m_windowMs) {
        m_sum -= m_log.front().amount;
        m_log.pop_front();
    }
}

void WindowPeak::add(std::int64_t amount, Nanos now) {
    const std::int64_t nowMs = toMs(now);
    expire(nowMs);
    if (!m_log.empty() && m_log.back().atMs == nowMs) {
        m_log.back().amount += amount;
    } else {
        m_log.push_back({nowMs, amount});
    }
    m_sum += amount;
    m_peak = std::max(m_peak, m_sum);
}

std::int64_t WindowPeak::current(Nanos now) {
    expire(toMs(now));
    return m_sum;
}

void WindowPeak::reset() {
    m_log.clear();
    m_sum = 0;
    m_peak = 0;
}

} // namespace sluice
