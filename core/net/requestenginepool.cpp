// The key pool's part of RequestEngine: where a pooled request queues, which key each attempt
// takes, what the pool learns when it ends, and the retry on another key. A request that is
// not pooled only passes through bindBudget() and budgetWait().

#include "core/net/enginecall.h"
#include "core/net/requestengine.h"

namespace sluice {

namespace {

constexpr Nanos kNoKey = std::chrono::hours(1); // "until the queue timeout", without overflow
/// The budget identity of pooled requests.
const std::string kPoolKeyId = "pool";

} // namespace

void RequestEngine::setKeyPool(std::vector<PoolKey> keys) {
    m_keyPool = keys.empty() ? nullptr : std::make_unique<KeyPool>(std::move(keys));
    schedulePump();
}

RateBudget& RequestEngine::pooledBudget(const QString& model) {
    return m_budgets.budgetFor(kPoolKeyId, model.toStdString());
}

QString RequestEngine::bindBudget(Call& c) {
    const std::string model = c.request.model.toStdString();
    if (!c.request.pooled || !m_keyPool) {
        c.budget = &m_budgets.budgetFor(c.keyId, model);
        c.scope = m_scopes.scopeOf(c.budget);
        return {};
    }
    // The pool's own budget (the gateway's limits over all its keys) and the keys' headroom.
    c.keyId = kPoolKeyId;
    c.breakerKey = "pool " + c.request.endpoint.toString(QUrl::RemoveQuery).toStdString();
    if (c.request.lane.isEmpty()) {
        c.lane = QStringLiteral("pool");
    }
    c.budget = &m_budgets.budgetFor(c.keyId, model);
    RateBudget* budget = c.budget;
    const KeyPool* pool = m_keyPool.get();
    const QString forModel = c.request.model;
    c.scope = m_scopes.scopeOf(budget, "pool " + model, [budget, pool, forModel](Nanos now) {
        return std::max(budget->waitTime(now), pool->waitTime(forModel, now).value_or(kNoKey));
    });
    if (m_keyPool->liveKeys(c.request.model) == 0) {
        return QStringLiteral("no upstream key serves model '%1' (every key is retired or "
                              "listed for other models)")
            .arg(c.request.model);
    }
    return {};
}

Nanos RequestEngine::budgetWait(const Call& c, Nanos now) const {
    Nanos wait = c.budget->waitTime(now);
    if (c.request.pooled && m_keyPool) {
        wait = std::max(wait, m_keyPool->waitTime(c.request.model, now).value_or(kNoKey));
    }
    return wait;
}

bool RequestEngine::takePoolKey(Call& c, Nanos now) {
    const auto key = m_keyPool->choose(c.request.model, now);
    if (!key) {
        return false;
    }
    c.poolKey = static_cast<int>(*key);
    c.poolAdmission = m_keyPool->admit(*key, c.reservedTokens, now);
    c.request.apiKey = m_keyPool->key(*key);
    c.record.upstreamKey = m_keyPool->masked(*key);
    return true;
}

void RequestEngine::returnPoolKey(Call& c, const Attempt& a, std::int64_t charged) {
    const auto key = static_cast<std::size_t>(c.poolKey);
    c.poolKey = -1;
    const KeyPool::Verdict verdict = m_keyPool->onAttemptEnd(key, c.poolAdmission, a.status, a.view,
                                                             c.reservedTokens, charged, a.now);
    c.poolVerdict = static_cast<std::uint8_t>(verdict);
    if (verdict == KeyPool::Verdict::Retired) {
        Q_EMIT keyRetired(m_keyPool->masked(key), m_keyPool->retiredReason(key));
    }
}

bool RequestEngine::retryOnAnotherKey(Call& c, const Attempt& a) {
    const auto verdict = static_cast<KeyPool::Verdict>(c.poolVerdict);
    c.poolVerdict = static_cast<std::uint8_t>(KeyPool::Verdict::Ok);
    if (verdict == KeyPool::Verdict::Ok || !m_keyPool || c.record.committed || c.cancelRequested ||
        m_keyPool->liveKeys(c.request.model) == 0) {
        return false;
    }
    // Bounded: the retries the policy allows, plus one try per key of the pool.
    const int bound = m_config.retry.maxAttempts + static_cast<int>(m_keyPool->size());
    if (c.record.attempts >= bound) {
        return false;
    }
    if (verdict == KeyPool::Verdict::Cooling && m_keyPool->liveKeys(c.request.model) < 2) {
        return false; // one key only: the retry policy's Retry-After wait applies
    }
    if (c.deadline != Nanos::max() && a.now >= c.deadline) {
        return false;
    }
    c.previousDelay = Nanos{0};
    retryLater(c, Nanos{0}); // the queue holds it until a key admits
    return true;
}

} // namespace sluice
