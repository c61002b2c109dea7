#pragma once

#include "core/engine/clock.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace sluice {

/// How fast queued requests leave while some wait: the gaps between dispatches. Two uses: the
/// queue's aging lead, and the expected wait of a queued request (a gateway's ETA).
///
/// Why the aging lead: while requests wait, the time between dispatches is what a promoted
/// (aged) request still has to wait for a slot, so it is promoted that much early and goes by
/// its max age. Gaps between completions are random, so the lead covers the longest recent gap
/// twice over (a second aged request may be ahead), and at least 3 mean gaps.
///
/// Plain C++, fed by its owner's clock; not thread-safe.
class DispatchPace {
public:
    /// A request was dispatched at `now`; `othersWaiting`: requests are still queued after it.
    /// Returns the new aging lead when a gap was measured (the previous dispatch was made while
    /// requests waited).
    std::optional<Nanos> onDispatch(Nanos now, bool othersWaiting);
    /// Expected time until the request `position` places back is dispatched, from the mean gap
    /// (0 when nothing is known yet, or for a negative position).
    Nanos expectedWait(std::int64_t position) const;

private:
    Nanos m_lastDispatch{0};              ///< while saturated; 0 when the queue was empty after it
    double m_meanGap = 0;                 ///< mean ns between dispatches while requests wait
    std::array<Nanos, 32> m_recentGaps{}; ///< the last gaps between dispatches while saturated
    std::size_t m_recentGapAt = 0;
};

} // namespace sluice
