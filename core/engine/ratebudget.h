#pragma once

#include "core/engine/clock.h"
#include "core/engine/gcralimiter.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

/// Request and token limits of one budget, each possibly at several levels at once
/// (per minute + per hour + per day).
struct BudgetLimits {
    std::vector<RateLevel> requests;
    std::vector<RateLevel> tokens;
    friend bool operator==(const BudgetLimits&, const BudgetLimits&) = default;
};

/// What one response said about the server's view of our limits (OpenAI x-ratelimit-*,
/// Anthropic anthropic-ratelimit-*), with durations relative to when it was read.
struct ServerLimitView {
    std::optional<std::int64_t> limitRequests, remainingRequests, limitTokens, remainingTokens;
    std::optional<Nanos> resetRequests, resetTokens;
    std::optional<Nanos> retryAfter;
};

/// The rate budget of one API key (and model): every request and token level, the server's
/// view learned from responses, and a block after a rate 429. Plain data, not thread-safe:
/// the owner serialises access.
///
/// Tokens are reserved at admission (prompt estimate + max_tokens) and reconciled with the
/// usage the response reports, so concurrent requests cannot overrun a token limit the way
/// post-hoc counting does.
class RateBudget {
public:
    explicit RateBudget(BudgetLimits limits = {});

    /// Live change. Debt is kept, so a cut applies to the very next admission.
    void setLimits(BudgetLimits limits, Nanos now);
    const BudgetLimits& limits() const { return m_limits; }
    /// The limits in force: configured ones tightened by what the server announced.
    BudgetLimits effectiveLimits() const;

    /// Time until a request may be admitted (0 = now).
    Nanos waitTime(Nanos now) const;
    /// True when `tokens` exceeds a token limit outright: waiting can never help.
    bool tooLarge(std::int64_t tokens) const;
    /// Admits one request reserving `tokens`. Returns the admission sequence number, used to
    /// tell which admissions a later response's headers could not have counted yet.
    std::uint64_t admit(std::int64_t tokens, Nanos now);
    /// Reconciles the reservation of admission `sequence` with the tokens the server actually
    /// charged (0 when it refused the request or never saw it).
    void reconcile(std::uint64_t sequence, std::int64_t reserved, std::int64_t actual);

    /// Learns from a response to the request admitted as `sequence`: adopts a server limit
    /// tighter than ours and never lets our view of what remains exceed the server's.
    void learn(const ServerLimitView& view, std::uint64_t sequence, Nanos now);
    /// After a rate 429: nothing on this budget is sent before `until`.
    void blockUntil(Nanos until);
    Nanos blockedUntil() const { return m_blockedUntil; }

    std::uint64_t admissions() const { return m_sequence; }
    std::int64_t reservedTokens() const { return m_reservedTokens; }
    /// The per-minute request / token level (configured, tightened by what the server said), to
    /// show its headroom; null when there is none.
    const GcraLimiter* minuteRequests() const {
        return m_minuteRequests >= 0 ? &m_requests[static_cast<std::size_t>(m_minuteRequests)]
                                     : nullptr;
    }
    const GcraLimiter* minuteTokens() const {
        return m_minuteTokens >= 0 ? &m_tokens[static_cast<std::size_t>(m_minuteTokens)] : nullptr;
    }

private:
    void rebuild(Nanos now);

    BudgetLimits m_limits;
    std::optional<std::int64_t> m_serverRequests;
    std::optional<std::int64_t> m_serverTokens;
    Nanos m_serverRequestsAt{0}; // when the learned limit was last reported (or undercut)
    Nanos m_serverTokensAt{0};
    std::vector<GcraLimiter> m_requests;
    std::vector<GcraLimiter> m_tokens;
    int m_minuteRequests = -1; // index of the per-minute request level, where server limits land
    int m_minuteTokens = -1;
    Nanos m_blockedUntil{Nanos::min() / 2};
    std::uint64_t m_sequence = 0;
    std::int64_t m_reservedTokens = 0;
    // Tokens of the last kRecent admissions by admission number: the reservation until the
    // answer reconciles it, then what was charged. A Fenwick tree over a ring, so "tokens
    // admitted since admission n" is O(log) however many are in flight or already answered.
    static constexpr std::uint64_t kRecent = 4096;
    std::int64_t recentTokensAfter(std::uint64_t sequence) const;
    /// Charges `level` with the admissions of the last minute (one unit each, or their tokens):
    /// a minute level first learned from the server must count what was already sent.
    void replayRecent(GcraLimiter& level, bool tokens, Nanos now);
    void addRecent(std::uint64_t sequence, std::int64_t delta);
    std::int64_t recentPrefix(std::size_t slots) const; // sum of ring slots [0, slots)
    std::vector<std::int64_t> m_recentCost = std::vector<std::int64_t>(kRecent, 0);
    std::vector<std::int64_t> m_recentTree = std::vector<std::int64_t>(kRecent + 1, 0);
    std::vector<Nanos> m_recentAt = std::vector<Nanos>(kRecent, Nanos{0}); // admission times
};

/// Which limits apply to which (key, model): the most specific rule wins (exact key and model,
/// then exact key, then exact model, then "*"). A rule with key "*" gives every key its own
/// budget; a rule with model "*" makes all models of a key share one.
struct BudgetRule {
    std::string key = "*";
    std::string model = "*";
    BudgetLimits limits;
    friend bool operator==(const BudgetRule&, const BudgetRule&) = default;
};

/// Plain per-minute limits on requests and tokens (0 = off) as one rule for every key and model.
std::vector<BudgetRule> rateBudgets(std::int64_t rpm, std::int64_t tpm);

/// All budgets, created on first use and updated in place when rules change.
class RateBudgets {
public:
    void setRules(std::vector<BudgetRule> rules, Nanos now);
    const std::vector<BudgetRule>& rules() const { return m_rules; }
    /// The budget a request for `key` and `model` draws from. Stable address.
    RateBudget& budgetFor(const std::string& key, const std::string& model);
    /// Blocks every budget of `key` (a rate 429 is about the key, not one model).
    void blockKey(const std::string& key, Nanos until);
    template <typename F> void forEach(F&& f) {
        for (auto& [scope, budget] : m_budgets) {
            f(scope, *budget);
        }
    }

private:
    const BudgetRule* match(const std::string& key, const std::string& model) const;

    std::vector<BudgetRule> m_rules;
    std::map<std::pair<std::string, std::string>, std::unique_ptr<RateBudget>> m_budgets;
    // Blocks by key, so a budget first used after the block (a new model) waits too.
    std::map<std::string, Nanos> m_keyBlocks;
};

} // namespace sluice
