#include "core/metrics/persecondseries.h"

#include <algorithm>

namespace sluice {

namespace {
constexpr std::int64_t kEmpty = INT64_MIN;
}

PerSecondSeries::PerSecondSeries(int seconds)
    : m_counts(static_cast<size_t>(std::max(1, seconds)), 0)
    , m_stamp(m_counts.size(), kEmpty) {}

void PerSecondSeries::add(std::int64_t second, std::int64_t amount) {
    const auto n = static_cast<std::int64_t>(m_counts.size());
    const auto slot = static_cast<size_t>(((second % n) + n) % n);
    if (m_stamp[slot] != second) {
        m_stamp[slot] = second;
        m_counts[slot] = 0;
    }
    m_counts[slot] += amount;
}

std::vector<std::int64_t> PerSecondSeries::values(std::int64_t nowSecond) const {
    const auto n = static_cast<std::int64_t>(m_counts.size());
    std::vector<std::int64_t> out(m_counts.size(), 0);
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t second = nowSecond - (n - 1) + i;
        const auto slot = static_cast<size_t>(((second % n) + n) % n);
        if (m_stamp[slot] == second) {
            out[static_cast<size_t>(i)] = m_counts[slot];
        }
    }
    return out;
}

void PerSecondSeries::reset() {
    std::fill(m_counts.begin(), m_counts.end(), 0);
    std::fill(m_stamp.begin(), m_stamp.end(), kEmpty);
}

} // namespace sluice
