#pragma once

#include "core/engine/clock.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace sluice {

/// Queue settings. Priorities are small integers, 0 the most urgent.
struct QueueConfig {
    std::size_t capacity = 10000;
    /// Per priority: a request waiting this long goes ahead of every request that has not
    /// (oldest first), so no class starves. 0 = never ages. Index = priority; priorities past
    /// the end use the last entry.
    std::vector<Nanos> maxAge{Nanos{0}, std::chrono::seconds(30), std::chrono::seconds(30)};
    /// Weighted fairness across lanes (API keys, clients) inside one priority. Unlisted lanes
    /// weigh `defaultWeight`.
    std::map<std::string, double> laneWeights;
    double defaultWeight = 1.0;
};

/// One queued request as the queue sees it.
struct QueueEntry {
    std::uint64_t id = 0;
    int priority = 1;
    std::string lane;
    std::uint64_t scope = 0; ///< budget the request draws from; a closed scope is skipped
    Nanos enqueuedAt{0};
    Nanos deadline = Nanos::max(); ///< expires from the queue at this time
};

/// A bounded priority queue: strict priority between classes, weighted fair queuing across
/// lanes inside a class (FIFO inside a lane), aging so low classes are never starved past
/// their max age, per-request deadlines and cancellation. Dispatch order is a total order at
/// any moment, so every request's position is known. Plain C++, not thread-safe.
class RequestQueue {
public:
    explicit RequestQueue(QueueConfig config = {});

    enum class Push { Accepted, Full, Duplicate };
    struct PushResult {
        Push result = Push::Accepted;
        std::optional<QueueEntry> displaced; ///< a less urgent request pushed out to make room
    };
    /// Adds a request. When full, a more urgent request displaces the least urgent queued one
    /// (which the caller must then reject); otherwise the new one is refused.
    PushResult push(QueueEntry entry);
    /// Removes and returns the next request to dispatch whose scope is open at `now`.
    std::optional<QueueEntry> pop(Nanos now, const std::function<bool(std::uint64_t)>& scopeOpen);
    /// The request pop() would return, without removing it.
    std::optional<QueueEntry> peek(Nanos now,
                                   const std::function<bool(std::uint64_t)>& scopeOpen) const;
    bool remove(std::uint64_t id);
    /// Removes and returns every request whose deadline is at or before `now`.
    std::vector<QueueEntry> expire(Nanos now);
    /// The earliest deadline or aging moment after which the order or content changes.
    std::optional<Nanos> nextEvent(Nanos now) const;

    /// 0-based place in dispatch order at `now`, or -1 when not queued.
    std::int64_t position(std::uint64_t id, Nanos now) const;
    /// Every queued id in dispatch order at `now`.
    std::vector<std::uint64_t> order(Nanos now) const;

    std::size_t size() const { return m_entries.size(); }
    bool empty() const { return m_entries.empty(); }
    std::size_t sizeOfPriority(int priority) const;
    bool contains(std::uint64_t id) const { return m_entries.count(id) != 0; }
    const QueueEntry* find(std::uint64_t id) const;
    void setConfig(QueueConfig config);
    const QueueConfig& config() const { return m_config; }
    /// Promote aging requests this much before their max age (at most half of it): the owner
    /// sets it to the expected wait for a free slot, so a promoted request is sent by its max age
    /// rather than one dispatch after it.
    void setAgingLead(Nanos lead);
    Nanos agingLead() const { return m_agingLead; }

private:
    struct Item {
        QueueEntry entry;
        double finish = 0;
        std::uint64_t seq = 0;
    };
    using OrderKey = std::tuple<int, double, std::uint64_t>; // priority, finish tag, seq
    using AgeKey = std::pair<Nanos, std::uint64_t>;          // enqueued at, seq

    Nanos maxAgeOf(int priority) const;
    Nanos promoteAfter(int priority) const;
    bool aged(const Item& item, Nanos now) const;
    const Item* pick(Nanos now, const std::function<bool(std::uint64_t)>& scopeOpen) const;
    void erase(std::unordered_map<std::uint64_t, Item>::iterator it);
    double weightOf(const std::string& lane) const;

    QueueConfig m_config;
    std::unordered_map<std::uint64_t, Item> m_entries;
    std::map<OrderKey, std::uint64_t> m_order;
    // Per priority that ages: entries by enqueue time. Classes that never age are not indexed,
    // so a large backlog of them costs nothing when looking for aged requests.
    std::map<int, std::map<AgeKey, std::uint64_t>> m_byAge;
    /// The aged entries of every class, oldest first.
    std::vector<std::pair<AgeKey, std::uint64_t>> agedEntries(Nanos now) const;
    std::set<std::pair<Nanos, std::uint64_t>> m_deadlines;
    std::map<int, double> m_virtualTime;                             // per priority
    std::map<std::pair<int, std::string>, double> m_laneFinish;      // per priority and lane
    std::map<std::pair<int, std::string>, std::size_t> m_laneQueued; // entries per lane
    std::map<int, std::size_t> m_perPriority;
    std::uint64_t m_seq = 0;
    Nanos m_agingLead{0};
};

} // namespace sluice
