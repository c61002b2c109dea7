#pragma once

#include "core/engine/clock.h"

#include <QString>

#include <deque>
#include <map>
#include <vector>

namespace sluice {

/// A threshold on one series, held over a window: the rule raises when the series' mean over
/// the last `window` crosses `threshold`, and clears when it is back on the safe side.
struct AlertRule {
    enum class Severity { Warning, Critical };
    QString name;   ///< unique, e.g. "concurrency-warning"
    QString series; ///< e.g. "concurrency_ratio", "queued", "reject_ratio"
    double threshold = 0;
    bool above = true; ///< raise when the mean is above (else below) the threshold
    Nanos window = std::chrono::seconds(5);
    Severity severity = Severity::Warning;
    QString text; ///< what it means, for people

    /// The seed's defaults: in flight > 80% of the limit warning, > 95% critical, queue > 50
    /// critical, rejected > 5% of submitted critical (each over 5 s); and on failure: more than
    /// 5% of ended requests failed (critical), more than 5% of attempts answered 429 (warning),
    /// both over 5 s, and the circuit breaker open (critical, at once).
    static std::vector<AlertRule> defaults();
};

const char* severityName(AlertRule::Severity severity);

/// A rule raised or cleared.
struct AlertEvent {
    Nanos at{0};
    QString rule;
    AlertRule::Severity severity = AlertRule::Severity::Warning;
    bool raised = true;
    double value = 0; ///< the windowed mean that crossed
    QString text;
};

/// Evaluates rules against samples of named series. Plain C++, no clock of its own: the caller
/// passes the sample time (1 s rows in a benchmark, snapshots in the console).
class AlertMonitor {
public:
    explicit AlertMonitor(std::vector<AlertRule> rules = AlertRule::defaults());

    /// Adds one sample per series present in `values` at `at`; returns rules that changed.
    std::vector<AlertEvent> evaluate(Nanos at, const std::map<QString, double>& values);
    const std::vector<AlertRule>& rules() const { return m_rules; }
    bool active(const QString& rule) const;
    std::vector<QString> activeRules() const;

private:
    struct State {
        std::deque<std::pair<Nanos, double>> samples;
        double sum = 0;
        bool raised = false;
    };
    std::vector<AlertRule> m_rules;
    std::vector<State> m_states;
};

} // namespace sluice
