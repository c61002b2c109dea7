#include "core/engine/requestqueue.h"

#include <algorithm>

namespace sluice {

RequestQueue::RequestQueue(QueueConfig config)
    : m_config(std::move(config)) {}

void RequestQueue::setConfig(QueueConfig config) {
    m_config = std::move(config);
    // Which classes age may have changed: rebuild the age index.
    m_byAge.clear();
    for (const auto& [id, item] : m_entries) {
        if (maxAgeOf(item.entry.priority).count() > 0) {
            m_byAge[item.entry.priority].emplace(AgeKey{item.entry.enqueuedAt, item.seq}, id);
        }
    }
}

Nanos RequestQueue::maxAgeOf(int priority) const {
    if (m_config.maxAge.empty()) {
        return Nanos{0};
    }
    const auto i = static_cast<std::size_t>(std::max(priority, 0));
    return m_config.maxAge[std::min(i, m_config.maxAge.size() - 1)];
}

Nanos RequestQueue::promoteAfter(int priority) const {
    const Nanos age = maxAgeOf(priority);
    if (age.count() <= 0) {
        return age;
    }
    return std::max(age - std::min(m_agingLead, age / 2), Nanos{1});
}

void RequestQueue::setAgingLead(Nanos lead) {
    m_agingLead = std::max(lead, Nanos{0});
}

bool RequestQueue::aged(const Item& item, Nanos now) const {
    const Nanos age = promoteAfter(item.entry.priority);
    return age.count() > 0 && now - item.entry.enqueuedAt >= age;
}

double RequestQueue::weightOf(const std::string& lane) const {
    const auto it = m_config.laneWeights.find(lane);
    const double w = it != m_config.laneWeights.end() ? it->second : m_config.defaultWeight;
    return w > 0 ? w : 1.0;
}

const QueueEntry* RequestQueue::find(std::uint64_t id) const {
    const auto it = m_entries.find(id);
    return it == m_entries.end() ? nullptr : &it->second.entry;
}

std::size_t RequestQueue::sizeOfPriority(int priority) const {
    const auto it = m_perPriority.find(priority);
    return it == m_perPriority.end() ? 0 : it->second;
}

RequestQueue::PushResult RequestQueue::push(QueueEntry entry) {
    PushResult result;
    if (m_entries.count(entry.id)) {
        result.result = Push::Duplicate;
        return result;
    }
    if (m_entries.size() >= m_config.capacity) {
        // The least urgent queued request is the last in order.
        if (m_order.empty() || std::get<0>(m_order.rbegin()->first) <= entry.priority) {
            result.result = Push::Full;
            return result;
        }
        auto victim = m_entries.find(m_order.rbegin()->second);
        result.displaced = victim->second.entry;
        erase(victim);
    }
    // Weighted fair queuing: a lane's next finish tag is 1/weight after its previous one, or
    // after the class's virtual time when the lane was idle.
    const int p = entry.priority;
    double& laneFinish = m_laneFinish[{p, entry.lane}];
    const double start = std::max(m_virtualTime[p], laneFinish);
    const double finish = start + 1.0 / weightOf(entry.lane);
    Item item{std::move(entry), finish, ++m_seq};
    laneFinish = item.finish;
    const std::uint64_t id = item.entry.id;
    m_order.emplace(OrderKey{p, item.finish, item.seq}, id);
    if (maxAgeOf(p).count() > 0) {
        m_byAge[p].emplace(AgeKey{item.entry.enqueuedAt, item.seq}, id);
    }
    if (item.entry.deadline != Nanos::max()) {
        m_deadlines.emplace(item.entry.deadline, id);
    }
    ++m_perPriority[p];
    ++m_laneQueued[{p, item.entry.lane}];
    m_entries.emplace(id, std::move(item));
    return result;
}

const RequestQueue::Item*
RequestQueue::pick(Nanos now, const std::function<bool(std::uint64_t)>& scopeOpen) const {
    // Aged requests first, oldest first: in each class that ages, the aged ones are a prefix of
    // its age index; take the oldest open one across classes.
    const Item* best = nullptr;
    for (const auto& [priority, ages] : m_byAge) {
        const Nanos age = promoteAfter(priority);
        const auto end = ages.upper_bound(AgeKey{now - age, ~std::uint64_t{0}});
        for (auto it = ages.begin(); it != end; ++it) {
            if (best && AgeKey{best->entry.enqueuedAt, best->seq} < it->first) {
                break;
            }
            const Item& item = m_entries.at(it->second);
            if (scopeOpen(item.entry.scope)) {
                best = &item;
                break;
            }
        }
    }
    if (best) {
        return best;
    }
    std::optional<std::uint64_t> closed; // remember the last closed scope: runs are common
    for (const auto& [key, id] : m_order) {
        const Item& item = m_entries.at(id);
        if (closed && *closed == item.entry.scope) {
            continue;
        }
        if (scopeOpen(item.entry.scope)) {
            return &item;
        }
        closed = item.entry.scope;
    }
    return nullptr;
}

std::optional<QueueEntry>
RequestQueue::peek(Nanos now, const std::function<bool(std::uint64_t)>& scopeOpen) const {
    const Item* item = pick(now, scopeOpen);
    if (!item) {
        return std::nullopt;
    }
    return item->entry;
}

std::optional<QueueEntry> RequestQueue::pop(Nanos now,
                                            const std::function<bool(std::uint64_t)>& scopeOpen) {
    const Item* item = pick(now, scopeOpen);
    if (!item) {
        return std::nullopt;
    }
    // The class's virtual time advances to the finish tag of what it serves.
    double& vt = m_virtualTime[item->entry.priority];
    vt = std::max(vt, item->finish - 1.0 / weightOf(item->entry.lane));
    QueueEntry entry = item->entry;
    erase(m_entries.find(entry.id));
    if (m_entries.empty()) {
        // Idle: forget lane history so the maps stay bounded.
        m_laneFinish.clear();
        m_virtualTime.clear();
    }
    return entry;
}

void RequestQueue::erase(std::unordered_map<std::uint64_t, Item>::iterator it) {
    const Item& item = it->second;
    m_order.erase(OrderKey{item.entry.priority, item.finish, item.seq});
    if (const auto ages = m_byAge.find(item.entry.priority); ages != m_byAge.end()) {
        ages->second.erase(AgeKey{item.entry.enqueuedAt, item.seq});
        if (ages->second.empty()) {
            m_byAge.erase(ages);
        }
    }
    if (item.entry.deadline != Nanos::max()) {
        m_deadlines.erase({item.entry.deadline, item.entry.id});
    }
    if (--m_perPriority[item.entry.priority] == 0) {
        m_perPriority.erase(item.entry.priority);
    }
    // A lane left with nothing queued (served, cancelled or expired) starts afresh at the
    // class's virtual time: cancelled requests leave no debt behind.
    const auto lane = m_laneQueued.find({item.entry.priority, item.entry.lane});
    if (lane != m_laneQueued.end() && --lane->second == 0) {
        m_laneFinish.erase(lane->first);
        m_laneQueued.erase(lane);
    }
    m_entries.erase(it);
}

bool RequestQueue::remove(std::uint64_t id) {
    const auto it = m_entries.find(id);
    if (it == m_entries.end()) {
        return false;
    }
    erase(it);
    return true;
}

std::vector<QueueEntry> RequestQueue::expire(Nanos now) {
    std::vector<QueueEntry> expired;
    while (!m_deadlines.empty() && m_deadlines.begin()->first <= now) {
        const auto it = m_entries.find(m_deadlines.begin()->second);
        expired.push_back(it->second.entry);
        erase(it);
    }
    return expired;
}

std::optional<Nanos> RequestQueue::nextEvent(Nanos now) const {
    std::optional<Nanos> next;
    if (!m_deadlines.empty()) {
        next = m_deadlines.begin()->first;
    }
    // The next request to age: in each class, the oldest one not aged yet.
    for (const auto& [priority, ages] : m_byAge) {
        const Nanos age = promoteAfter(priority);
        const auto it = ages.upper_bound(AgeKey{now - age, ~std::uint64_t{0}});
        if (it != ages.end()) {
            const Nanos at = it->first.first + age;
            next = next ? std::min(*next, at) : at;
        }
    }
    return next;
}

std::vector<std::pair<RequestQueue::AgeKey, std::uint64_t>>
RequestQueue::agedEntries(Nanos now) const {
    std::vector<std::pair<AgeKey, std::uint64_t>> aged;
    for (const auto& [priority, ages] : m_byAge) {
        const auto end = ages.upper_bound(AgeKey{now - promoteAfter(priority), ~std::uint64_t{0}});
        aged.insert(aged.end(), ages.begin(), end);
    }
    std::sort(aged.begin(), aged.end());
    return aged;
}

std::vector<std::uint64_t> RequestQueue::order(Nanos now) const {
    std::vector<std::uint64_t> ids;
    ids.reserve(m_entries.size());
    for (const auto& [key, id] : agedEntries(now)) {
        ids.push_back(id);
    }
    for (const auto& [key, id] : m_order) {
        if (!aged(m_entries.at(id), now)) {
            ids.push_back(id);
        }
    }
    return ids;
}

std::int64_t RequestQueue::position(std::uint64_t id, Nanos now) const {
    const auto it = m_entries.find(id);
    if (it == m_entries.end()) {
        return -1;
    }
    const auto agedList = agedEntries(now);
    std::int64_t pos = 0;
    for (const auto& [key, other] : agedList) {
        if (other == id) {
            return pos;
        }
        ++pos;
    }
    for (const auto& [key, other] : m_order) {
        if (other == id) {
            return pos;
        }
        pos += aged(m_entries.at(other), now) ? 0 : 1;
    }
    return pos;
}

} // namespace sluice
