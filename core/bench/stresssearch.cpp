#include "core/bench/stresssearch.h"

#include "core/metrics/percentile.h"

#include <QStringList>

#include <algorithm>
#include <cmath>
#include <limits>

namespace sluice {

namespace {

SloSpec errorSlo() {
    SloSpec errors;
    errors.text = QStringLiteral("errors<1%");
    errors.metric = QStringLiteral("errors");
    errors.threshold = 0.01;
    return errors;
}

} // namespace

std::vector<SloSpec> effectiveSlos(const BenchScenario& scenario, double stressBaselineP50) {
    if (!scenario.slos.empty() || !scenario.profile.stress) {
        std::vector<SloSpec> slos = scenario.slos;
        const bool hasErrorSlo =
            std::any_of(slos.begin(), slos.end(), [](const SloSpec& s) { return s.isErrorRate(); });
        if (scenario.defaultSlo && !hasErrorSlo) {
            SloSpec errors = errorSlo();
            errors.isDefault = true;
            slos.push_back(errors);
        }
        return slos;
    }
    // Stress with no SLO given: under 1% errors, and corrected p99 within 3x the first step's p50.
    std::vector<SloSpec> slos{errorSlo()};
    if (stressBaselineP50 > 0) {
        SloSpec latency;
        latency.metric = QStringLiteral("corrected");
        latency.percentile = 99;
        latency.threshold = 3 * stressBaselineP50;
        latency.text = QStringLiteral("corrected:p99<%1ms").arg(std::round(latency.threshold));
        slos.push_back(latency);
    }
    return slos;
}

StressSearch::StressSearch(const BenchScenario& scenario)
    : m_scenario(scenario) {}

std::vector<SloSpec> StressSearch::slos() const {
    return effectiveSlos(m_scenario, m_baselineP50);
}

void StressSearch::beginStep(double load, Nanos now) {
    StressStep step;
    step.load = load;
    step.start = now;
    step.end = now + m_scenario.profile.stressStepFor;
    m_steps.push_back(std::move(step));
}

int StressSearch::sent(Nanos intendedAt) {
    if (m_steps.empty()) {
        return -1;
    }
    StressStep& step = m_steps.back();
    ++step.sent;
    step.outstanding.insert(intendedAt);
    return static_cast<int>(m_steps.size()) - 1;
}

void StressSearch::ended(int index, Nanos intendedAt, bool ok, bool error,
                         const RequestMetrics& m) {
    if (index < 0 || index >= static_cast<int>(m_steps.size())) {
        return;
    }
    StressStep& step = m_steps[static_cast<std::size_t>(index)];
    if (const auto it = step.outstanding.find(intendedAt); it != step.outstanding.end()) {
        step.outstanding.erase(it);
    }
    if (step.evaluated) {
        return;
    }
    step.ok += ok ? 1 : 0;
    step.errors += error ? 1 : 0;
    QStringList metrics{QStringLiteral("corrected")};
    for (const SloSpec& slo : m_scenario.slos) {
        metrics.append(slo.metric);
    }
    for (const QString& metric : metrics) {
        const double v = metricValue(m, metric);
        if (!std::isnan(v)) {
            step.values[metric].push_back(v);
        }
    }
}

bool StressSearch::evaluate(Nanos now, bool force) {
    if (m_steps.empty()) {
        return false;
    }
    StressStep& step = m_steps.back();
    if (step.evaluated || (!step.outstanding.empty() && !force)) {
        return false;
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (m_steps.size() == 1 && m_scenario.slos.empty()) {
        m_baselineP50 =
            percentile(std::vector<double>(step.values[QStringLiteral("corrected")]), 0.5, nan);
    }
    step.evaluated = true;
    step.met = true;
    QStringList detail;
    const double finished = static_cast<double>(step.ok + step.errors);
    const double outstanding = static_cast<double>(step.outstanding.size());
    for (const SloSpec& slo : slos()) {
        double observed = 0;
        if (slo.isErrorRate()) {
            const double total = finished + outstanding;
            observed = total > 0 ? (static_cast<double>(step.errors) + outstanding) / total : 0;
            detail.append(QStringLiteral("errors %1%").arg(observed * 100, 0, 'f', 1));
        } else {
            std::vector<double> values = step.values[slo.metric];
            for (const Nanos intended : step.outstanding) {
                values.push_back(toMillis(now - intended)); // still out: at least this old
            }
            observed = percentile(values, slo.percentile / 100.0, nan);
            detail.append(QStringLiteral("%1 p%2 %3 ms")
                              .arg(slo.metric)
                              .arg(slo.percentile)
                              .arg(observed, 0, 'f', 1));
        }
        if (std::isnan(observed) || observed >= slo.threshold) {
            step.met = false;
        }
    }
    if (finished + outstanding == 0) {
        step.met = false;
        detail.append(QStringLiteral("no requests"));
    }
    step.detail = detail.join(QStringLiteral("; "));
    return true;
}

std::optional<double> StressSearch::advance() {
    const LoadProfile& profile = m_scenario.profile;
    const StressStep& last = m_steps.back();
    if (last.met) {
        m_pass = std::max(m_pass.value_or(0), last.load);
    } else {
        m_fail = std::min(m_fail.value_or(last.load), last.load);
    }
    std::optional<double> next;
    if (!m_fail) {
        const double up = last.load + profile.stressStep;
        if (up <= profile.stressMax + 1e-9) {
            next = up;
        }
    } else if (m_pass && *m_fail - *m_pass > profile.stressStep / 4 + 1e-9) {
        next = (*m_pass + *m_fail) / 2; // bisect between the last pass and the first failure
        if (!profile.openLoop()) {
            next = std::round(*next);
            if (*next <= *m_pass || *next >= *m_fail) {
                next.reset();
            }
        }
    }
    if (!next) {
        m_knee = m_pass;
    }
    return next;
}

} // namespace sluice
