#include "core/engine/ratebudget.h"

#include <algorithm>

namespace sluice {

namespace {

constexpr Nanos kMinute = std::chrono::minutes(1);

int minuteLevel(const std::vector<RateLevel>& levels) {
    for (std::size_t i = 0; i < levels.size(); ++i) {
        if (levels[i].period == kMinute) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

// Applies a server-announced per-minute limit to a set of levels: tightens the minute level,
// or adds one when none is configured.
std::vector<RateLevel> tightened(std::vector<RateLevel> levels,
                                 std::optional<std::int64_t> server) {
    if (!server || *server <= 0) {
        return levels;
    }
    const int i = minuteLevel(levels);
    if (i < 0) {
        levels.push_back(RateLevel{*server, kMinute, 0});
    } else if (levels[i].limit <= 0 || *server < levels[i].limit) {
        levels[i].limit = *server;
    }
    return levels;
}

} // namespace

RateBudget::RateBudget(BudgetLimits limits)
    : m_limits(std::move(limits)) {
    rebuild(Nanos{0});
}

BudgetLimits RateBudget::effectiveLimits() const {
    return BudgetLimits{tightened(m_limits.requests, m_serverRequests),
                        tightened(m_limits.tokens, m_serverTokens)};
}

void RateBudget::rebuild(Nanos now) {
    const BudgetLimits effective = effectiveLimits();
    auto apply = [now](std::vector<GcraLimiter>& limiters, const std::vector<RateLevel>& levels) {
        // Levels keep their state by position, so a live change keeps the debt already run up.
        limiters.resize(levels.size());
        for (std::size_t i = 0; i < levels.size(); ++i) {
            limiters[i].setLevel(levels[i], now);
        }
    };
    apply(m_requests, effective.requests);
    apply(m_tokens, effective.tokens);
    m_minuteRequests = minuteLevel(effective.requests);
    m_minuteTokens = minuteLevel(effective.tokens);
}

void RateBudget::setLimits(BudgetLimits limits, Nanos now) {
    m_limits = std::move(limits);
    rebuild(now);
}

Nanos RateBudget::waitTime(Nanos now) const {
    Nanos wait = m_blockedUntil > now ? m_blockedUntil - now : Nanos{0};
    for (const auto& l : m_requests) {
        wait = std::max(wait, l.waitTime(now));
    }
    for (const auto& l : m_tokens) {
        wait = std::max(wait, l.waitTime(now));
    }
    return wait;
}

bool RateBudget::tooLarge(std::int64_t tokens) const {
    return std::any_of(m_tokens.begin(), m_tokens.end(),
                       [tokens](const GcraLimiter& l) { return l.tooLarge(tokens); });
}

std::uint64_t RateBudget::admit(std::int64_t tokens, Nanos now) {
    for (auto& l : m_requests) {
        l.charge(1, now);
    }
    for (auto& l : m_tokens) {
        l.charge(tokens, now);
    }
    m_reservedTokens += tokens;
    ++m_sequence;
    // The slot held the admission kRecent back, now out of reach: replace its cost.
    addRecent(m_sequence, tokens - m_recentCost[m_sequence % kRecent]);
    m_recentAt[m_sequence % kRecent] = now;
    return m_sequence;
}

void RateBudget::reconcile(std::uint64_t sequence, std::int64_t reserved, std::int64_t actual) {
    const std::int64_t delta = actual - reserved;
    for (auto& l : m_tokens) {
        l.adjust(delta);
    }
    m_reservedTokens += delta;
    if (sequence > 0 && sequence <= m_sequence && m_sequence - sequence < kRecent) {
        addRecent(sequence, delta);
    }
}

void RateBudget::addRecent(std::uint64_t sequence, std::int64_t delta) {
    const std::size_t slot = sequence % kRecent;
    m_recentCost[slot] += delta;
    for (std::size_t i = slot + 1; i <= kRecent; i += i & (~i + 1)) {
        m_recentTree[i] += delta;
    }
}

std::int64_t RateBudget::recentPrefix(std::size_t slots) const {
    std::int64_t sum = 0;
    for (std::size_t i = slots; i > 0; i -= i & (~i + 1)) {
        sum += m_recentTree[i];
    }
    return sum;
}

std::int64_t RateBudget::recentTokensAfter(std::uint64_t sequence) const {
    // Admissions sequence+1 .. m_sequence, at most kRecent - 1 of them, on the ring.
    const std::uint64_t count = m_sequence - sequence;
    if (count == 0) {
        return 0;
    }
    const std::size_t first = (sequence + 1) % kRecent;
    const std::size_t last = m_sequence % kRecent; // inclusive
    if (first <= last) {
        return recentPrefix(last + 1) - recentPrefix(first);
    }
    return recentPrefix(kRecent) - recentPrefix(first) + recentPrefix(last + 1);
}

void RateBudget::learn(const ServerLimitView& view, std::uint64_t sequence, Nanos now) {
    // A lower server limit is adopted at once; a higher one only after the lower has not been
    // reported for a whole minute, so answers that alternate (two models sharing a budget)
    // cannot loosen it back and forth.
    auto adopt = [now](std::optional<std::int64_t>& learned, Nanos& confirmedAt,
                       std::optional<std::int64_t> reported) {
        if (!reported || *reported <= 0) {
            return false;
        }
        if (!learned || *reported <= *learned) {
            const bool changed = learned != reported;
            learned = reported;
            confirmedAt = now;
            return changed;
        }
        if (now - confirmedAt >= kMinute) {
            learned = reported;
            confirmedAt = now;
            return true;
        }
        return false;
    };
    const bool requestsChanged = adopt(m_serverRequests, m_serverRequestsAt, view.limitRequests);
    const bool tokensChanged = adopt(m_serverTokens, m_serverTokensAt, view.limitTokens);
    if (requestsChanged || tokensChanged) {
        const bool hadRequests = m_minuteRequests >= 0;
        const bool hadTokens = m_minuteTokens >= 0;
        rebuild(now);
        // A fresh level would admit a whole minute on top of what went out before it was known.
        if (!hadRequests && m_minuteRequests >= 0) {
            replayRecent(m_requests[m_minuteRequests], false, now);
        }
        if (!hadTokens && m_minuteTokens >= 0) {
            replayRecent(m_tokens[m_minuteTokens], true, now);
        }
    }
    // The server counted everything up to this request when it arrived there; what we admitted
    // after it is not in its `remaining` yet, and its window has been draining since. So the
    // view is applied as of the request's admission, with the admissions since charged on top:
    // applied as of now, every answer to a long request would look tighter than the server
    // really is, and throughput would leak in proportion to the time requests take.
    const bool known = sequence > 0 && sequence <= m_sequence && m_sequence - sequence < kRecent;
    const Nanos at = known ? std::min(m_recentAt[sequence % kRecent], now) : now;
    const std::uint64_t since = m_sequence > sequence ? m_sequence - sequence : 0;
    if (view.remainingRequests && m_minuteRequests >= 0) {
        m_requests[m_minuteRequests].clampAvailable(
            *view.remainingRequests - static_cast<std::int64_t>(since), at);
    }
    if (view.remainingTokens && m_minuteTokens >= 0 && known) {
        // Admissions since count at what they were charged where the answer is in, and at
        // their reservation where it is not.
        m_tokens[m_minuteTokens].clampAvailable(*view.remainingTokens - recentTokensAfter(sequence),
                                                at);
    }
}

void RateBudget::replayRecent(GcraLimiter& level, bool tokens, Nanos now) {
    const std::uint64_t first = m_sequence >= kRecent ? m_sequence - kRecent + 1 : 1;
    for (std::uint64_t seq = first; seq <= m_sequence; ++seq) {
        const Nanos at = m_recentAt[seq % kRecent];
        if (at > now - kMinute) {
            level.charge(tokens ? m_recentCost[seq % kRecent] : 1, std::min(at, now));
        }
    }
}

void RateBudget::blockUntil(Nanos until) {
    m_blockedUntil = std::max(m_blockedUntil, until);
}

const BudgetRule* RateBudgets::match(const std::string& key, const std::string& model) const {
    const BudgetRule* best = nullptr;
    int bestScore = -1;
    for (const auto& rule : m_rules) {
        const bool keyExact = rule.key == key;
        const bool modelExact = rule.model == model;
        if ((!keyExact && rule.key != "*") || (!modelExact && rule.model != "*")) {
            continue;
        }
        const int score = (keyExact ? 2 : 0) + (modelExact ? 1 : 0);
        if (score > bestScore) {
            best = &rule;
            bestScore = score;
        }
    }
    return best;
}

RateBudget& RateBudgets::budgetFor(const std::string& key, const std::string& model) {
    const BudgetRule* rule = match(key, model);
    const std::string scopeModel = rule && rule->model != "*" ? model : std::string("*");
    auto& slot = m_budgets[{key, scopeModel}];
    if (!slot) {
        slot = std::make_unique<RateBudget>(rule ? rule->limits : BudgetLimits{});
        if (const auto block = m_keyBlocks.find(key); block != m_keyBlocks.end()) {
            slot->blockUntil(block->second);
        }
    }
    return *slot;
}

void RateBudgets::setRules(std::vector<BudgetRule> rules, Nanos now) {
    m_rules = std::move(rules);
    for (auto& [scope, budget] : m_budgets) {
        const BudgetRule* rule = match(scope.first, scope.second);
        budget->setLimits(rule ? rule->limits : BudgetLimits{}, now);
    }
}

void RateBudgets::blockKey(const std::string& key, Nanos until) {
    const auto [block, inserted] = m_keyBlocks.try_emplace(key, until);
    block->second = std::max(block->second, until);
    for (auto& [scope, budget] : m_budgets) {
        if (scope.first == key) {
            budget->blockUntil(until);
        }
    }
}

std::vector<BudgetRule> rateBudgets(std::int64_t rpm, std::int64_t tpm) {
    BudgetLimits limits;
    if (rpm > 0) {
        limits.requests.push_back(RateLevel{rpm, std::chrono::minutes(1), 0});
    }
    if (tpm > 0) {
        limits.tokens.push_back(RateLevel{tpm, std::chrono::minutes(1), 0});
    }
    return {BudgetRule{"*", "*", limits}};
}

} // namespace sluice
