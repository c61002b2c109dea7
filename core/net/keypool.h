#pragma once

#include "core/engine/clock.h"
#include "core/engine/ratebudget.h"
#include "core/result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

/// One upstream key of a pool, and the models it may serve (empty: every model).
struct PoolKey {
    QByteArray key;
    QStringList models;
};

/// Reads a key list, one key a line, optionally followed by the models it may serve:
/// `sk-abc` or `sk-abc gpt-4o,gpt-4o-mini`. Blank lines and lines starting with '#' are
/// skipped. An Invalid error names the line (never the key); `name` is the file's, for it.
Result<std::vector<PoolKey>> parseKeyList(const QByteArray& text, const QString& name);
/// parseKeyList() of a file's contents.
Result<std::vector<PoolKey>> readKeyFile(const QString& path);

/// What one key of the pool looks like now, for /admin/stats and /metrics (the key masked).
struct KeyFigures {
    QString masked; ///< `sk-...abcd`, never the key
    QStringList models;
    int inFlight = 0;
    std::int64_t requests = 0;    ///< attempts sent with it
    std::int64_t rateLimited = 0; ///< 429s it got
    std::int64_t authFailures = 0;
    /// The provider's last word on its headroom (x-ratelimit-*), empty until it said.
    std::optional<std::int64_t> limitRequests, remainingRequests, limitTokens, remainingTokens;
    Nanos resetRequestsIn{0}, resetTokensIn{0}; ///< until those windows are full again
    Nanos coolingFor{0};                        ///< > 0: held back after a 429, this long yet
    Nanos waitTime{0};                          ///< until it can admit a request (0 = now)
    bool retired = false;
    QString retiredReason;
};

/// Several upstream keys used as one: each key's headroom is mirrored from the provider's
/// rate-limit headers (a RateBudget per key), a request goes to the key that can admit it
/// soonest, a 429 cools only that key until the reset it was told, and a 401/403 retires the
/// key for good (the caller raises the alarm). The pool's limits are the sum of its keys'.
///
/// Plain logic on an injected time (every call takes `now`), not thread-safe: the engine's
/// thread only. The engine consults it when an attempt is dispatched (choose(), admit()) and
/// when it ends (onAttemptEnd()).
class KeyPool {
public:
    /// `perKey`: limits every key starts with before the provider says more (usually none).
    explicit KeyPool(std::vector<PoolKey> keys, BudgetLimits perKey = {});

    std::size_t size() const { return m_keys.size(); }
    const QByteArray& key(std::size_t index) const { return m_keys[index].spec.key; }
    QString masked(std::size_t index) const;
    bool retired(std::size_t index) const { return m_keys[index].retired; }
    const QString& retiredReason(std::size_t index) const { return m_keys[index].retiredReason; }
    /// Keys not retired that may serve `model`.
    int liveKeys(const QString& model) const;

    /// Time until some live key for `model` can admit a request (0 = now); nullopt when no
    /// live key serves the model at all.
    std::optional<Nanos> waitTime(const QString& model, Nanos now) const;
    /// The key that can admit a request for `model` soonest; among those free now, the one
    /// with the most headroom left (by share of its request window), then the fewest in
    /// flight, then the one used longest ago. Nullopt when no live key serves the model.
    std::optional<std::size_t> choose(const QString& model, Nanos now) const;
    /// Charges an attempt reserving `tokens` to the key; returns its admission number (for
    /// onAttemptEnd()).
    std::uint64_t admit(std::size_t index, std::int64_t tokens, Nanos now);

    /// What the pool did about an attempt's end.
    enum class Verdict : std::uint8_t {
        Ok,      ///< nothing special (also: any other error)
        Cooling, ///< a 429: the key is held back until the reset it was told
        Retired, ///< a 401/403: the key is out for good (newly; raise the alarm)
    };
    /// An attempt on the key ended with HTTP `status` (0: no answer) and the server's
    /// `view` of its limits; `reserved` tokens were charged at admission, `used` were spent
    /// (0 when refused). Learns the headroom, cools or retires the key.
    Verdict onAttemptEnd(std::size_t index, std::uint64_t admission, int status,
                         const ServerLimitView& view, std::int64_t reserved, std::int64_t used,
                         Nanos now);
    /// Retires a key (also the way onAttemptEnd() does it on 401/403). False if it already was.
    bool retire(std::size_t index, QString reason);

    /// The sum of the live keys' limits as the provider announced them (or as configured).
    BudgetLimits summedLimits() const;
    std::vector<KeyFigures> figures(Nanos now) const;

private:
    struct Entry {
        PoolKey spec;
        RateBudget budget;
        int inFlight = 0;
        std::int64_t requests = 0, rateLimited = 0, authFailures = 0;
        std::optional<std::int64_t> limitRequests, remainingRequests, limitTokens, remainingTokens;
        Nanos resetRequestsAt{0}, resetTokensAt{0};
        Nanos coolingUntil{0};
        Nanos lastUsed = Nanos::min();
        bool retired = false;
        QString retiredReason;
    };
    bool serves(const Entry& e, const QString& model) const;
    /// Share of the request window left, in [0, 1] (1 when nothing is known).
    double headroom(const Entry& e, Nanos now) const;

    std::vector<Entry> m_keys;
};

} // namespace sluice
