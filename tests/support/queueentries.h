#pragma once
// Small helpers for RequestQueue tests: entries built in one line, ids as text (QCOMPARE
// prints both sides when they differ), a queue drained in order.

#include "core/engine/clock.h"
#include "core/engine/requestqueue.h"

#include <QString>
#include <QStringList>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sluice::test {

using Ids = std::vector<std::uint64_t>;
using ScopeOpen = std::function<bool(std::uint64_t)>;

inline const ScopeOpen allOpen = [](std::uint64_t) { return true; };

inline QueueEntry entry(std::uint64_t id, int priority, Nanos at = Nanos{0}, std::string lane = "a",
                        std::uint64_t scope = 0, Nanos deadline = Nanos::max()) {
    QueueEntry e;
    e.id = id;
    e.priority = priority;
    e.lane = std::move(lane);
    e.scope = scope;
    e.enqueuedAt = at;
    e.deadline = deadline;
    return e;
}

inline QueueConfig noAging(std::size_t capacity = 10000) {
    QueueConfig c;
    c.capacity = capacity;
    c.maxAge = {Nanos{0}};
    return c;
}

// Ids as "1,2,3": QCOMPARE on these prints both sides when they differ.
inline QString text(const Ids& ids) {
    QStringList parts;
    for (const std::uint64_t id : ids) {
        parts << QString::number(id);
    }
    return parts.join(QLatin1Char(','));
}

inline QString text(const std::vector<QueueEntry>& entries) {
    Ids ids;
    for (const QueueEntry& e : entries) {
        ids.push_back(e.id);
    }
    std::sort(ids.begin(), ids.end());
    return text(ids);
}

inline Ids drain(RequestQueue& queue, Nanos now, const ScopeOpen& open = allOpen) {
    Ids ids;
    while (auto e = queue.pop(now, open)) {
        ids.push_back(e->id);
    }
    return ids;
}

inline QString ms(Nanos d) {
    return QString::number(static_cast<double>(d.count()) / 1e6, 'f', 1);
}

} // namespace sluice::test
