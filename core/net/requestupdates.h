#pragma once

#include "core/net/enginetypes.h"

#include <QList>

#include <cstdint>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

namespace sluice {

/// The request updates the engine publishes at its snapshot cadence (never one signal per
/// request): which live requests changed since the last batch, and copies of those that
/// ended, taken when they ended because their calls are gone by the time the batch goes out.
///
/// Plain C++, owned by the engine and used in its thread only.
class RequestUpdates {
public:
    /// A live request changed.
    void touch(std::uint64_t id) { m_dirty.insert(id); }
    /// A request ended: its final update.
    void ended(RequestUpdate final);

    /// The batch, emptied: live requests first, then the ended ones in the order they ended.
    /// `current(id)` gives a live request's update now (std::nullopt once it is gone);
    /// `order()` the queue's dispatch order, walked once, only when a queued request is in
    /// the batch (positions come from one walk, not a search per request).
    template <class Current, class Order> QList<RequestUpdate> take(Current current, Order order);

private:
    std::set<std::uint64_t> m_dirty;
    std::vector<RequestUpdate> m_final;
};

template <class Current, class Order>
QList<RequestUpdate> RequestUpdates::take(Current current, Order order) {
    QList<RequestUpdate> updates;
    updates.reserve(static_cast<qsizetype>(m_dirty.size() + m_final.size()));
    std::unordered_map<std::uint64_t, std::int64_t> positions;
    bool haveOrder = false;
    for (std::uint64_t id : m_dirty) {
        std::optional<RequestUpdate> u = current(id);
        if (!u) {
            continue;
        }
        if (u->state == RequestState::Queued || u->state == RequestState::WaitingBudget) {
            if (!haveOrder) {
                const std::vector<std::uint64_t> ids = order();
                positions.reserve(ids.size());
                for (std::size_t i = 0; i < ids.size(); ++i) {
                    positions.emplace(ids[i], static_cast<std::int64_t>(i));
                }
                haveOrder = true;
            }
            // Not in the local queue: the position current() gave (at the shared gate), if any.
            const auto it = positions.find(id);
            if (it != positions.end()) {
                u->position = it->second;
            }
        }
        updates.push_back(*u);
    }
    m_dirty.clear();
    for (RequestUpdate& u : m_final) {
        updates.push_back(u);
    }
    m_final.clear();
    return updates;
}

} // namespace sluice
