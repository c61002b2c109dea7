#include "core/metrics/alerts.h"

namespace sluice {

std::vector<AlertRule> AlertRule::defaults() {
    using S = AlertRule::Severity;
    const Nanos w = std::chrono::seconds(5);
    return {
        {QStringLiteral("concurrency-warning"), QStringLiteral("concurrency_ratio"), 0.80, true, w,
         S::Warning, QStringLiteral("in flight above 80% of the concurrency limit")},
        {QStringLiteral("concurrency-critical"), QStringLiteral("concurrency_ratio"), 0.95, true, w,
         S::Critical, QStringLiteral("in flight above 95% of the concurrency limit")},
        {QStringLiteral("queue-critical"), QStringLiteral("queued"), 50, true, w, S::Critical,
         QStringLiteral("more than 50 requests queued")},
        {QStringLiteral("reject-critical"), QStringLiteral("reject_ratio"), 0.05, true, w,
         S::Critical, QStringLiteral("more than 5% of requests rejected")},
        {QStringLiteral("errors-critical"), QStringLiteral("error_ratio"), 0.05, true, w,
         S::Critical, QStringLiteral("more than 5% of requests failed")},
        {QStringLiteral("rate-limited-warning"), QStringLiteral("rate_limited_ratio"), 0.05, true,
         w, S::Warning, QStringLiteral("more than 5% of attempts answered 429")},
        // The breaker's state as it is, not a mean: raised the second it opens.
        {QStringLiteral("breaker-open"), QStringLiteral("breaker_open"), 0.5, true,
         std::chrono::seconds(1), S::Critical,
         QStringLiteral("circuit breaker open: requests fail at once")},
    };
}

const char* severityName(AlertRule::Severity severity) {
    return severity == AlertRule::Severity::Critical ? "critical" : "warning";
}

AlertMonitor::AlertMonitor(std::vector<AlertRule> rules)
    : m_rules(std::move(rules))
    , m_states(m_rules.size()) {}

std::vector<AlertEvent> AlertMonitor::evaluate(Nanos at, const std::map<QString, double>& values) {
    std::vector<AlertEvent> events;
    for (std::size_t i = 0; i < m_rules.size(); ++i) {
        const AlertRule& rule = m_rules[i];
        const auto value = values.find(rule.series);
        if (value == values.end()) {
            continue;
        }
        State& s = m_states[i];
        s.samples.emplace_back(at, value->second);
        s.sum += value->second;
        while (!s.samples.empty() && s.samples.front().first <= at - rule.window) {
            s.sum -= s.samples.front().second;
            s.samples.pop_front();
        }
        const double mean = s.sum / static_cast<double>(s.samples.size());
        const bool crossed = rule.above ? mean > rule.threshold : mean < rule.threshold;
        if (crossed != s.raised) {
            s.raised = crossed;
            events.push_back(AlertEvent{at, rule.name, rule.severity, crossed, mean, rule.text});
        }
    }
    return events;
}

bool AlertMonitor::active(const QString& rule) const {
    for (std::size_t i = 0; i < m_rules.size(); ++i) {
        if (m_rules[i].name == rule) {
            return m_states[i].raised;
        }
    }
    return false;
}

std::vector<QString> AlertMonitor::activeRules() const {
    std::vector<QString> out;
    for (std::size_t i = 0; i < m_rules.size(); ++i) {
        if (m_states[i].raised) {
            out.push_back(m_rules[i].name);
        }
    }
    return out;
}

} // namespace sluice
