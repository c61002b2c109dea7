// BenchRunner, continued: the live knobs. Each applies at once, while the run goes on, and is
// recorded as an event, so the report marks when the load or a limit changed.
#include "core/bench/benchrunner.h"

#include <algorithm>
#include <cmath>

namespace sluice {

void BenchRunner::setLoad(double load) {
    if (m_state != State::Running || !(load > 0)) {
        return;
    }
    m_loadOverridden = true;
    applyLoad(load, true,
              m_scenario.profile.openLoop() ? QStringLiteral("rate")
                                            : QStringLiteral("concurrency"));
}

void BenchRunner::applyLoad(double load, bool record, const QString& kind) {
    const double before = m_load;
    m_load = load;
    const Nanos now = m_clock.now();
    if (m_scenario.profile.openLoop()) {
        if (m_state == State::Running && !m_stressIdle) {
            m_schedule.changeRate(load, now);
            armArrival();
        }
    } else {
        m_workers = static_cast<int>(std::lround(load));
        while (m_state == State::Running && !m_stressIdle && !m_paused && m_running < m_workers) {
            ++m_running;
            submitOne(now);
            if (m_state != State::Running) {
                break;
            }
        }
    }
    if (record) {
        const QString unit =
            m_scenario.profile.openLoop() ? QStringLiteral(" rps") : QStringLiteral(" concurrent");
        addEvent(kind, before > 0 ? QStringLiteral("%1 -> %2%3").arg(before).arg(load).arg(unit)
                                  : QStringLiteral("%1%2").arg(load).arg(unit));
    }
}

void BenchRunner::setRateLimits(std::int64_t rpm, std::int64_t tpm) {
    m_scenario.rpm = rpm;
    m_scenario.tpm = tpm;
    m_engine->setBudgets(rateBudgets(rpm, tpm));
    addEvent(QStringLiteral("limits"),
             QStringLiteral("rpm %1, tpm %2")
                 .arg(rpm > 0 ? QString::number(rpm) : QStringLiteral("off"),
                      tpm > 0 ? QString::number(tpm) : QStringLiteral("off")));
}

void BenchRunner::setMaxConcurrency(int limit) {
    ConcurrencyConfig c = m_engine->config().concurrency;
    c.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    c.initial = c.max = limit > 0 ? limit : 100000;
    c.min = std::min(c.min, c.initial);
    m_scenario.maxConcurrency = limit;
    m_scenario.adaptive = false;
    m_engine->setConcurrency(c);
    addEvent(QStringLiteral("limits"), limit > 0 ? QStringLiteral("max concurrency %1").arg(limit)
                                                 : QStringLiteral("max concurrency off"));
}

void BenchRunner::applyLimits(const TrafficLimits& limits) {
    const TrafficLimits before = m_scenario.limits.value_or(TrafficLimits{});
    const QStringList changes = limits.changesFrom(before);
    m_scenario.limits = limits;
    m_scenario.rpm = limits.rpm;
    m_scenario.tpm = limits.tpm;
    m_scenario.maxConcurrency = limits.maxConcurrency;
    m_scenario.adaptive = limits.adaptive();
    m_scenario.retries = limits.retries;
    m_scenario.timeout = limits.requestTimeout;
    m_scenario.followServerLimits = limits.followServerLimits;
    const EngineConfig& now = m_engine->config();
    if (before.concurrency().algorithm != limits.concurrency().algorithm ||
        before.maxConcurrency != limits.maxConcurrency ||
        before.adaptiveMin != limits.adaptiveMin || !before.adaptive() != !limits.adaptive()) {
        ConcurrencyConfig c = limits.concurrency();
        if (limits.adaptive() && before.adaptive() == limits.adaptive()) {
            // Bounds changed on a running adaptive limit: carry on from where it is.
            c.initial = std::clamp(m_engine->limit(), c.min, c.max);
            c.slowStart = false;
        }
        m_engine->setConcurrency(c);
    }
    m_engine->setBudgets(limits.budgets());
    m_engine->setFollowServerLimits(limits.followServerLimits);
    m_engine->setRetry(limits.retry());
    m_engine->setBreaker(limits.breaker());
    QueueConfig q = limits.queue();
    q.maxAge = now.queue.maxAge;
    q.laneWeights = now.queue.laneWeights;
    m_engine->setQueue(q);
    if (!changes.isEmpty()) {
        addEvent(QStringLiteral("limits"), changes.join(QStringLiteral(", ")));
    }
}

void BenchRunner::setPaused(bool paused) {
    if (paused == m_paused || m_state != State::Running) {
        return;
    }
    m_paused = paused;
    addEvent(QStringLiteral("pause"),
             paused ? QStringLiteral("paused") : QStringLiteral("resumed"));
    if (paused) {
        stopArrivals();
        return;
    }
    if (m_scenario.profile.openLoop()) {
        // Resume at the current rate from now: no burst catching up on the paused time.
        m_schedule.start(m_clock.now());
        armArrival();
    } else {
        applyLoad(m_load, false, {});
    }
}

} // namespace sluice
