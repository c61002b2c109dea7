#pragma once

#include "core/bench/scenario.h"
#include "core/engine/clock.h"
#include "core/metrics/requestmetrics.h"

#include <QString>

#include <map>
#include <optional>
#include <set>
#include <vector>

namespace sluice {

/// One load level of a stress search and what was measured at it.
struct StressStep {
    double load = 0;
    Nanos start{0}, end{0};
    std::int64_t sent = 0, ok = 0, errors = 0;
    std::multiset<Nanos> outstanding;              ///< intended times of requests not yet ended
    std::map<QString, std::vector<double>> values; ///< per SLO metric, ms
    bool evaluated = false;
    bool met = false;
    QString detail; ///< what was observed, for people ("errors 0.0%; corrected p99 12.3 ms")
};

/// The SLOs a run is judged by: the scenario's, plus errors<1% unless it has an error SLO (or
/// turned the default off). A stress run with no SLOs uses the baseline rule instead: under 1%
/// errors, and corrected p99 within 3x the first step's p50 (`stressBaselineP50`, ms; the
/// latency rule is left out until the first step has set it).
std::vector<SloSpec> effectiveSlos(const BenchScenario& scenario, double stressBaselineP50);

/// The stress search, without timers or a server: the caller offers each step's load for the
/// step's length, reports what was sent and what ended, asks for a verdict once the step's
/// requests are in, then asks "next load or knee".
///
/// Raises the load by the profile's step until the first step that breaks the SLOs (or up to
/// its maximum), then bisects between the last pass and the first failure until they are within
/// a quarter step (a closed loop tries whole concurrencies only). The knee is the highest load
/// that passed.
class StressSearch final {
public:
    explicit StressSearch(const BenchScenario& scenario);

    /// Begins a step at `load` (the first at the profile's load) at clock time `now`.
    void beginStep(double load, Nanos now);
    /// A request of the current step was sent, meant for `intendedAt`; returns the step's index.
    int sent(Nanos intendedAt);
    /// A request of step `index` ended. Counted towards the step only until it is judged.
    void ended(int index, Nanos intendedAt, bool ok, bool error, const RequestMetrics& m);
    /// Judges the current step at `now`. While its requests are still out it waits (returns
    /// false) unless `force`: then those count at their age, a lower bound that already tells an
    /// overloaded target, and as errors.
    bool evaluate(Nanos now, bool force);
    /// After a verdict: the next load to try, or nothing when the search is over (see knee()).
    std::optional<double> advance();

    /// The SLOs each step is judged by (see effectiveSlos()).
    std::vector<SloSpec> slos() const;
    const std::vector<StressStep>& steps() const { return m_steps; }
    /// The highest load that met the SLOs, once the search is over; nothing if none did.
    std::optional<double> knee() const { return m_knee; }
    /// A step broke the SLOs; without that, the knee is only the maximum tried.
    bool kneeReached() const { return m_fail.has_value(); }
    double baselineP50() const { return m_baselineP50; }

private:
    BenchScenario m_scenario;
    std::vector<StressStep> m_steps;
    std::optional<double> m_pass, m_fail, m_knee;
    double m_baselineP50 = 0;
};

} // namespace sluice
