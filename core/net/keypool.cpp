#include "core/net/keypool.h"

#include "core/net/llmformat.h"

#include <QFile>

#include <algorithm>

namespace sluice {

namespace {

constexpr Nanos kNoKeyWait = std::chrono::hours(1); // "never", without overflowing now + wait

Nanos left(Nanos at, Nanos now) {
    return at > now ? at - now : Nanos{0};
}

void addLevel(std::vector<RateLevel>& sum, const std::vector<RateLevel>& levels) {
    for (const RateLevel& level : levels) {
        if (level.limit <= 0) {
            continue;
        }
        const auto same = std::find_if(
            sum.begin(), sum.end(), [&](const RateLevel& s) { return s.period == level.period; });
        if (same == sum.end()) {
            sum.push_back(RateLevel{level.limit, level.period, 0});
        } else {
            same->limit += level.limit;
        }
    }
}

} // namespace

Result<std::vector<PoolKey>> parseKeyList(const QByteArray& text, const QString& name) {
    std::vector<PoolKey> keys;
    const QList<QByteArray> lines = text.split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        if (line.isEmpty() || line.startsWith('#')) {
            continue;
        }
        const QList<QByteArray> parts = line.simplified().split(' ');
        if (parts.size() > 2) {
            return Error::invalid(QStringLiteral("%1:%2").arg(name).arg(i + 1),
                                  QStringLiteral("expected KEY or KEY MODEL,MODEL (no spaces "
                                                 "between the models)"));
        }
        PoolKey key{parts[0], {}};
        if (parts.size() == 2) {
            for (const QByteArray& model : parts[1].split(',')) {
                if (!model.isEmpty()) {
                    key.models.append(QString::fromUtf8(model));
                }
            }
        }
        keys.push_back(std::move(key));
    }
    if (keys.empty()) {
        return Error::invalid(name, QStringLiteral("no keys in the file"));
    }
    return keys;
}

Result<std::vector<PoolKey>> readKeyFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error{Error::Kind::Io, path,
                     QStringLiteral("cannot read the file: %1").arg(file.errorString())};
    }
    return parseKeyList(file.readAll(), path);
}

KeyPool::KeyPool(std::vector<PoolKey> keys, BudgetLimits perKey) {
    m_keys.reserve(keys.size());
    for (PoolKey& k : keys) {
        m_keys.push_back(Entry{std::move(k), RateBudget(perKey)});
    }
}

QString KeyPool::masked(std::size_t index) const {
    return maskKey(m_keys[index].spec.key);
}

bool KeyPool::serves(const Entry& e, const QString& model) const {
    return !e.retired && (e.spec.models.isEmpty() || e.spec.models.contains(model));
}

int KeyPool::liveKeys(const QString& model) const {
    return static_cast<int>(std::count_if(m_keys.begin(), m_keys.end(),
                                          [&](const Entry& e) { return serves(e, model); }));
}

std::optional<Nanos> KeyPool::waitTime(const QString& model, Nanos now) const {
    std::optional<Nanos> best;
    for (const Entry& e : m_keys) {
        if (serves(e, model)) {
            const Nanos wait = std::min(e.budget.waitTime(now), kNoKeyWait);
            best = best ? std::min(*best, wait) : wait;
        }
    }
    return best;
}

double KeyPool::headroom(const Entry& e, Nanos now) const {
    if (!e.limitRequests || !e.remainingRequests || *e.limitRequests <= 0 ||
        now >= e.resetRequestsAt) {
        return 1.0;
    }
    return std::clamp(static_cast<double>(*e.remainingRequests) /
                          static_cast<double>(*e.limitRequests),
                      0.0, 1.0);
}

std::optional<std::size_t> KeyPool::choose(const QString& model, Nanos now) const {
    std::optional<std::size_t> best;
    Nanos bestWait{0};
    double bestRoom = 0;
    for (std::size_t i = 0; i < m_keys.size(); ++i) {
        const Entry& e = m_keys[i];
        if (!serves(e, model)) {
            continue;
        }
        const Nanos wait = e.budget.waitTime(now);
        const double room = headroom(e, now);
        bool better = !best;
        if (!better) {
            const Entry& b = m_keys[*best];
            if (wait != bestWait) {
                better = wait < bestWait;
            } else if (room != bestRoom) {
                better = room > bestRoom;
            } else if (e.inFlight != b.inFlight) {
                better = e.inFlight < b.inFlight;
            } else {
                better = e.lastUsed < b.lastUsed;
            }
        }
        if (better) {
            best = i;
            bestWait = wait;
            bestRoom = room;
        }
    }
    return best;
}

std::uint64_t KeyPool::admit(std::size_t index, std::int64_t tokens, Nanos now) {
    Entry& e = m_keys[index];
    ++e.inFlight;
    ++e.requests;
    e.lastUsed = now;
    if (e.remainingRequests && *e.remainingRequests > 0) {
        --*e.remainingRequests; // until the next answer says again
    }
    return e.budget.admit(tokens, now);
}

KeyPool::Verdict KeyPool::onAttemptEnd(std::size_t index, std::uint64_t admission, int status,
                                       const ServerLimitView& view, std::int64_t reserved,
                                       std::int64_t used, Nanos now) {
    Entry& e = m_keys[index];
    e.inFlight = std::max(0, e.inFlight - 1);
    e.budget.reconcile(admission, reserved, used);
    e.budget.learn(view, admission, now);
    // The mirror of what the provider said, for people.
    if (view.limitRequests) {
        e.limitRequests = view.limitRequests;
    }
    if (view.limitTokens) {
        e.limitTokens = view.limitTokens;
    }
    if (view.remainingRequests) {
        e.remainingRequests = view.remainingRequests;
        e.resetRequestsAt = now + view.resetRequests.value_or(Nanos{0});
    }
    if (view.remainingTokens) {
        e.remainingTokens = view.remainingTokens;
        e.resetTokensAt = now + view.resetTokens.value_or(Nanos{0});
    }
    if (status == 401 || status == 403) {
        ++e.authFailures;
        return retire(index,
                      QStringLiteral("HTTP %1 from the provider: the key was refused").arg(status))
                   ? Verdict::Retired
                   : Verdict::Ok;
    }
    if (status == 429) {
        ++e.rateLimited;
        // Until the reset it was told: Retry-After, else the reset of the exhausted window.
        Nanos wait = std::chrono::seconds(1);
        if (view.retryAfter) {
            wait = *view.retryAfter;
        } else if (view.remainingTokens == 0 && view.resetTokens) {
            wait = *view.resetTokens;
        } else if (view.resetRequests) {
            wait = *view.resetRequests;
        }
        e.coolingUntil = std::max(e.coolingUntil, now + wait);
        e.budget.blockUntil(e.coolingUntil);
        return Verdict::Cooling;
    }
    return Verdict::Ok;
}

bool KeyPool::retire(std::size_t index, QString reason) {
    Entry& e = m_keys[index];
    if (e.retired) {
        return false;
    }
    e.retired = true;
    e.retiredReason = std::move(reason);
    return true;
}

BudgetLimits KeyPool::summedLimits() const {
    BudgetLimits sum;
    for (const Entry& e : m_keys) {
        if (!e.retired) {
            const BudgetLimits limits = e.budget.effectiveLimits();
            addLevel(sum.requests, limits.requests);
            addLevel(sum.tokens, limits.tokens);
        }
    }
    return sum;
}

std::vector<KeyFigures> KeyPool::figures(Nanos now) const {
    std::vector<KeyFigures> out;
    out.reserve(m_keys.size());
    for (const Entry& e : m_keys) {
        KeyFigures f;
        f.masked = maskKey(e.spec.key);
        f.models = e.spec.models;
        f.inFlight = e.inFlight;
        f.requests = e.requests;
        f.rateLimited = e.rateLimited;
        f.authFailures = e.authFailures;
        f.limitRequests = e.limitRequests;
        f.limitTokens = e.limitTokens;
        f.remainingRequests = e.remainingRequests;
        f.remainingTokens = e.remainingTokens;
        f.resetRequestsIn = left(e.resetRequestsAt, now);
        f.resetTokensIn = left(e.resetTokensAt, now);
        f.coolingFor = left(e.coolingUntil, now);
        f.waitTime = e.retired ? Nanos{0} : e.budget.waitTime(now);
        f.retired = e.retired;
        f.retiredReason = e.retiredReason;
        out.push_back(std::move(f));
    }
    return out;
}

} // namespace sluice
