#include "core/engine/queuescopes.h"

#include <algorithm>

namespace sluice {

std::uint64_t QueueScopes::scopeOf(RateBudget* budget) {
    return scopeOf(budget, {}, [budget](Nanos now) { return budget->waitTime(now); });
}

std::uint64_t QueueScopes::scopeOf(RateBudget* budget, const std::string& variant, Gate gate) {
    auto [it, inserted] = m_ids.emplace(std::pair{budget, variant}, m_ids.size() + 1);
    if (inserted) {
        m_gates.emplace(it->second, std::move(gate));
    }
    return it->second;
}

bool QueueScopes::isOpen(std::uint64_t scope, Nanos now) const {
    return waitOf(scope, now).count() == 0;
}

bool QueueScopes::anyOpen(Nanos now) const {
    return std::any_of(m_queued.begin(), m_queued.end(), [&](const auto& entry) {
        return entry.second > 0 && isOpen(entry.first, now);
    });
}

QueueScopes::Closed QueueScopes::closed(Nanos now) const {
    Closed out;
    for (const auto& [scope, count] : m_queued) {
        if (count <= 0) {
            continue;
        }
        const Nanos wait = waitOf(scope, now);
        if (wait.count() > 0) {
            out.waiting += count;
            out.firstOpensIn = std::min(out.firstOpensIn, wait);
        }
    }
    return out;
}

} // namespace sluice
