// Live limits: RequestEngine's setters. Each takes effect at once; waiting requests are
// re-evaluated in a queued pass, so none runs a completion or sends inside the call.

#include "core/net/requestengine.h"

namespace sluice {

void RequestEngine::applyLimit(int limit) {
    if (limit == m_admission.limit()) {
        return;
    }
    m_admission.setLimit(limit);
    Q_EMIT limitChanged(limit);
    schedulePump();
}

void RequestEngine::setConcurrency(ConcurrencyConfig config) {
    m_config.concurrency = config;
    m_concurrency.setConfig(config);
    applyLimit(m_concurrency.limit());
    reaskGate();
}

void RequestEngine::setBudgets(std::vector<BudgetRule> rules) {
    m_config.budgets = rules;
    m_budgets.setRules(std::move(rules), m_clock.now());
    reaskGate();
    schedulePump(); // waiting callers are re-evaluated at once
}

void RequestEngine::setRetry(RetryConfig config) {
    m_config.retry = config;
    m_retry.setConfig(config);
}

void RequestEngine::setBreaker(BreakerConfig config) {
    m_config.breaker = config;
    for (auto& [key, breaker] : m_breakers) {
        breaker->setConfig(config);
    }
    schedulePump();
}

void RequestEngine::setQueue(QueueConfig config) {
    m_config.queue = config;
    m_admission.setQueueConfig(std::move(config));
    schedulePump();
}

} // namespace sluice
