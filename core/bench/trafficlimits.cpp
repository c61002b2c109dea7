#include "core/bench/trafficlimits.h"

#include "core/jsonfields.h"

namespace sluice {

namespace {

QString onOff(std::int64_t v) {
    return v > 0 ? QString::number(v) : QStringLiteral("off");
}

QString seconds(Nanos d) {
    return d.count() > 0 ? QString::number(toSeconds(d), 'g', 4) + QStringLiteral(" s")
                         : QStringLiteral("off");
}

} // namespace

QString TrafficLimits::algorithmName(ConcurrencyConfig::Algorithm algorithm) {
    switch (algorithm) {
    case ConcurrencyConfig::Algorithm::Fixed:
        return QStringLiteral("fixed");
    case ConcurrencyConfig::Algorithm::Aimd:
        return QStringLiteral("aimd");
    case ConcurrencyConfig::Algorithm::Gradient:
        return QStringLiteral("gradient");
    case ConcurrencyConfig::Algorithm::Combined:
        return QStringLiteral("combined");
    }
    return {};
}

std::optional<ConcurrencyConfig::Algorithm> TrafficLimits::algorithmFromName(const QString& name) {
    for (auto a :
         {ConcurrencyConfig::Algorithm::Fixed, ConcurrencyConfig::Algorithm::Aimd,
          ConcurrencyConfig::Algorithm::Gradient, ConcurrencyConfig::Algorithm::Combined}) {
        if (algorithmName(a) == name) {
            return a;
        }
    }
    return std::nullopt;
}

ConcurrencyConfig TrafficLimits::concurrency() const {
    ConcurrencyConfig c;
    c.algorithm = algorithm;
    const int cap = maxConcurrency > 0 ? maxConcurrency : 100000;
    if (adaptive()) {
        c.max = cap;
        c.min = std::min(adaptiveMin, cap);
        c.initial = std::clamp(adaptiveInitial, c.min, c.max);
        if (algorithm == ConcurrencyConfig::Algorithm::Aimd) {
            // Loss-driven: raise while nothing is refused, cut by 10% on a 429/503/timeout.
            c.raiseAtSuccess = 1.0;
            c.cutBelowSuccess = 1.0;
        }
    } else {
        c.initial = c.max = cap;
        c.min = 1;
    }
    return c;
}

std::vector<BudgetRule> TrafficLimits::budgets() const {
    if (rpm <= 0 && tpm <= 0) {
        return {};
    }
    return rateBudgets(rpm, tpm);
}

RetryConfig TrafficLimits::retry() const {
    RetryConfig r;
    r.maxAttempts = 1 + retries;
    r.baseDelay = retryBaseDelay;
    return r;
}

BreakerConfig TrafficLimits::breaker() const {
    BreakerConfig b;
    b.enabled = breakerEnabled;
    b.failureRate = breakerFailureRate;
    b.minimumCalls = breakerMinimumCalls;
    b.windowCalls = std::max(b.windowCalls, breakerMinimumCalls);
    b.openDuration = breakerOpenDuration;
    return b;
}

QueueConfig TrafficLimits::queue() const {
    QueueConfig q;
    q.capacity = static_cast<std::size_t>(std::max(1, queueCapacity));
    return q;
}

void TrafficLimits::applyTo(EngineConfig& config) const {
    config.concurrency = concurrency();
    config.budgets = budgets();
    config.retry = retry();
    config.breaker = breaker();
    const auto maxAge = config.queue.maxAge;
    config.queue = queue();
    config.queue.maxAge = maxAge;
    config.followServerLimits = followServerLimits;
}

QJsonObject TrafficLimits::toJson() const {
    return {
        {QStringLiteral("rpm"), static_cast<double>(rpm)},
        {QStringLiteral("tpm"), static_cast<double>(tpm)},
        {QStringLiteral("algorithm"), algorithmName(algorithm)},
        {QStringLiteral("max_concurrency"), maxConcurrency},
        {QStringLiteral("adaptive_min"), adaptiveMin},
        {QStringLiteral("adaptive_initial"), adaptiveInitial},
        {QStringLiteral("queue_capacity"), queueCapacity},
        {QStringLiteral("timeout"), toSeconds(requestTimeout)},
        {QStringLiteral("retries"), retries},
        {QStringLiteral("retry_base_delay"), toSeconds(retryBaseDelay)},
        {QStringLiteral("breaker"), breakerEnabled},
        {QStringLiteral("breaker_failure_rate"), breakerFailureRate},
        {QStringLiteral("breaker_minimum_calls"), breakerMinimumCalls},
        {QStringLiteral("breaker_open"), toSeconds(breakerOpenDuration)},
        {QStringLiteral("follow_server"), followServerLimits},
    };
}

Result<void> TrafficLimits::apply(const QJsonObject& json) {
    TrafficLimits t = *this;
    Error error;
    Fields f(json, QStringLiteral("limits"), &error);
    f.only({QStringLiteral("rpm"), QStringLiteral("tpm"), QStringLiteral("algorithm"),
            QStringLiteral("max_concurrency"), QStringLiteral("adaptive_min"),
            QStringLiteral("adaptive_initial"), QStringLiteral("queue_capacity"),
            QStringLiteral("timeout"), QStringLiteral("retries"),
            QStringLiteral("retry_base_delay"), QStringLiteral("breaker"),
            QStringLiteral("breaker_failure_rate"), QStringLiteral("breaker_minimum_calls"),
            QStringLiteral("breaker_open"), QStringLiteral("follow_server")});
    f.integer(QStringLiteral("rpm"), &t.rpm, 0, 1e9);
    f.integer(QStringLiteral("tpm"), &t.tpm, 0, 1e12);
    QString algorithm = algorithmName(t.algorithm);
    if (f.string(QStringLiteral("algorithm"), &algorithm)) {
        if (const auto a = algorithmFromName(algorithm)) {
            t.algorithm = *a;
        } else {
            f.fail(QStringLiteral("algorithm"),
                   QStringLiteral("must be fixed, aimd, gradient or combined"));
        }
    }
    f.integer(QStringLiteral("max_concurrency"), &t.maxConcurrency, 0, 100000);
    f.integer(QStringLiteral("adaptive_min"), &t.adaptiveMin, 1, 100000);
    f.integer(QStringLiteral("adaptive_initial"), &t.adaptiveInitial, 1, 100000);
    f.integer(QStringLiteral("queue_capacity"), &t.queueCapacity, 1, 1000000);
    f.duration(QStringLiteral("timeout"), &t.requestTimeout, std::chrono::hours(24), true);
    f.integer(QStringLiteral("retries"), &t.retries, 0, 10);
    f.duration(QStringLiteral("retry_base_delay"), &t.retryBaseDelay, std::chrono::minutes(5),
               true);
    f.boolean(QStringLiteral("breaker"), &t.breakerEnabled);
    f.number(QStringLiteral("breaker_failure_rate"), &t.breakerFailureRate, 0.01, 1);
    f.integer(QStringLiteral("breaker_minimum_calls"), &t.breakerMinimumCalls, 1, 10000);
    f.duration(QStringLiteral("breaker_open"), &t.breakerOpenDuration, std::chrono::hours(1), true);
    f.boolean(QStringLiteral("follow_server"), &t.followServerLimits);
    if (!error.message.isEmpty()) {
        return error;
    }
    if (auto valid = t.validate(); !valid) {
        return valid;
    }
    *this = t;
    return {};
}

Result<void> TrafficLimits::validate() const {
    if (adaptive() && maxConcurrency > 0 && adaptiveMin > maxConcurrency) {
        return Error::invalid(
            QStringLiteral("limits.adaptive_min"),
            QStringLiteral("must not exceed max_concurrency (%1)").arg(maxConcurrency));
    }
    return {};
}

QStringList TrafficLimits::changesFrom(const TrafficLimits& b) const {
    QStringList out;
    auto change = [&out](const QString& name, const QString& from, const QString& to) {
        if (from != to) {
            out << QStringLiteral("%1 %2 -> %3").arg(name, from, to);
        }
    };
    change(QStringLiteral("rpm"), onOff(b.rpm), onOff(rpm));
    change(QStringLiteral("tpm"), onOff(b.tpm), onOff(tpm));
    change(QStringLiteral("concurrency"), algorithmName(b.algorithm), algorithmName(algorithm));
    change(QStringLiteral("max concurrency"), onOff(b.maxConcurrency), onOff(maxConcurrency));
    if (adaptive()) {
        change(QStringLiteral("adaptive min"), QString::number(b.adaptiveMin),
               QString::number(adaptiveMin));
    }
    change(QStringLiteral("queue"), QString::number(b.queueCapacity),
           QString::number(queueCapacity));
    change(QStringLiteral("timeout"), seconds(b.requestTimeout), seconds(requestTimeout));
    change(QStringLiteral("retries"), QString::number(b.retries), QString::number(retries));
    change(QStringLiteral("retry delay"), seconds(b.retryBaseDelay), seconds(retryBaseDelay));
    change(QStringLiteral("breaker"),
           b.breakerEnabled ? QStringLiteral("on") : QStringLiteral("off"),
           breakerEnabled ? QStringLiteral("on") : QStringLiteral("off"));
    change(QStringLiteral("breaker rate"), QString::number(b.breakerFailureRate),
           QString::number(breakerFailureRate));
    change(QStringLiteral("breaker min calls"), QString::number(b.breakerMinimumCalls),
           QString::number(breakerMinimumCalls));
    change(QStringLiteral("breaker open"), seconds(b.breakerOpenDuration),
           seconds(breakerOpenDuration));
    change(QStringLiteral("follow server"),
           b.followServerLimits ? QStringLiteral("on") : QStringLiteral("off"),
           followServerLimits ? QStringLiteral("on") : QStringLiteral("off"));
    return out;
}

} // namespace sluice
