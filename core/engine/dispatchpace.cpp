#include "core/engine/dispatchpace.h"

#include <algorithm>

namespace sluice {

std::optional<Nanos> DispatchPace::onDispatch(Nanos now, bool othersWaiting) {
    if (!othersWaiting && m_lastDispatch.count() == 0) {
        return std::nullopt; // not saturated: dispatch gaps say nothing about waiting
    }
    std::optional<Nanos> lead;
    if (m_lastDispatch.count() > 0) {
        const Nanos gapNs = now - m_lastDispatch;
        const double gap = static_cast<double>(gapNs.count());
        m_meanGap = m_meanGap > 0 ? 0.9 * m_meanGap + 0.1 * gap : gap;
        m_recentGaps[m_recentGapAt++ % m_recentGaps.size()] = gapNs;
        const Nanos longest = *std::max_element(m_recentGaps.begin(), m_recentGaps.end());
        lead = std::max(Nanos{static_cast<Nanos::rep>(3 * m_meanGap)}, 2 * longest);
    }
    m_lastDispatch = othersWaiting ? now : Nanos{0};
    return lead;
}

Nanos DispatchPace::expectedWait(std::int64_t position) const {
    if (position < 0 || m_meanGap <= 0) {
        return Nanos{0};
    }
    return Nanos{static_cast<Nanos::rep>(static_cast<double>(position + 1) * m_meanGap)};
}

} // namespace sluice
