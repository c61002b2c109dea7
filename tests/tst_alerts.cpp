// Alert rules: a threshold held over a window raises once, and clears once when the windowed
// mean is back on the safe side.
#include "core/bench/runstats.h"
#include "core/metrics/alerts.h"

#include <QTest>

using namespace sluice;
using namespace std::chrono_literals;

class TestAlerts final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void raisesAndClearsOverTheWindow();
    void defaultsAreTheSeeds();
    void missingSeriesIsNotEvaluated();
    void gatewayRejectionsAreNotFailures();
};

void TestAlerts::raisesAndClearsOverTheWindow() {
    AlertRule rule;
    rule.name = QStringLiteral("queue");
    rule.series = QStringLiteral("queued");
    rule.threshold = 50;
    rule.window = 3s;
    rule.severity = AlertRule::Severity::Critical;
    AlertMonitor fresh({rule});
    QVERIFY(fresh.evaluate(0s, {{QStringLiteral("queued"), 10}}).empty());
    const auto raised = fresh.evaluate(1s, {{QStringLiteral("queued"), 100}});
    QCOMPARE(raised.size(), std::size_t(1));
    QVERIFY(raised[0].raised);
    QCOMPARE(raised[0].value, 55.0);
    QCOMPARE(raised[0].severity, AlertRule::Severity::Critical);
    // Staying over raises nothing new.
    QVERIFY(fresh.evaluate(2s, {{QStringLiteral("queued"), 60}}).empty());
    // The window (3 s) forgets old samples: 100 and 60 leave, the mean of 0, 0, 0 clears it.
    QVERIFY(fresh.evaluate(3s, {{QStringLiteral("queued"), 0}}).empty());     // mean (100+60+0)/3
    QVERIFY(fresh.evaluate(4s, {{QStringLiteral("queued"), 0}}).size() == 1); // (60+0+0)/3 = 20
    QVERIFY(!fresh.active(QStringLiteral("queue")));
    QVERIFY(fresh.activeRules().empty());
}

void TestAlerts::defaultsAreTheSeeds() {
    AlertMonitor monitor;
    // In flight at 90% of the limit: warning only; at 97%: critical too.
    std::vector<AlertEvent> events;
    for (int s = 0; s < 6; ++s) {
        auto e = monitor.evaluate(Nanos{std::chrono::seconds(s)},
                                  {{QStringLiteral("concurrency_ratio"), 0.9},
                                   {QStringLiteral("queued"), 10},
                                   {QStringLiteral("reject_ratio"), 0.0}});
        events.insert(events.end(), e.begin(), e.end());
    }
    QCOMPARE(events.size(), std::size_t(1));
    QCOMPARE(events[0].rule, QStringLiteral("concurrency-warning"));
    QCOMPARE(events[0].severity, AlertRule::Severity::Warning);
    events.clear();
    for (int s = 6; s < 20; ++s) {
        auto e = monitor.evaluate(Nanos{std::chrono::seconds(s)},
                                  {{QStringLiteral("concurrency_ratio"), 0.97},
                                   {QStringLiteral("queued"), 80},
                                   {QStringLiteral("reject_ratio"), 0.06}});
        events.insert(events.end(), e.begin(), e.end());
    }
    QStringList raised;
    for (const AlertEvent& e : events) {
        QVERIFY(e.raised);
        raised.append(e.rule);
    }
    raised.sort();
    QCOMPARE(raised,
             (QStringList{QStringLiteral("concurrency-critical"), QStringLiteral("queue-critical"),
                          QStringLiteral("reject-critical")}));
}

void TestAlerts::missingSeriesIsNotEvaluated() {
    AlertMonitor monitor;
    for (int s = 0; s < 10; ++s) {
        QVERIFY(monitor.evaluate(Nanos{std::chrono::seconds(s)}, {{QStringLiteral("queued"), 1}})
                    .empty());
    }
    QVERIFY(monitor.activeRules().empty());
}

// A gateway turning half its callers away (queue full, queue timeout) while every admitted
// request succeeds: the rejected alert rises, the failed one does not.
void TestAlerts::gatewayRejectionsAreNotFailures() {
    AlertMonitor monitor;
    EngineSnapshot before;
    QStringList raised;
    for (int s = 1; s <= 8; ++s) {
        EngineSnapshot after = before;
        after.at = Nanos{std::chrono::seconds(s)};
        after.submitted += 100;
        after.done += 50;
        after.rejected += 30;
        after.timedOut += 20;
        after.attempts += 50;
        const SecondTotals second = SecondTotals::between(before, after);
        QCOMPARE(second.rejected, std::int64_t(50));
        QCOMPARE(second.errors, std::int64_t(0));
        for (const AlertEvent& e : monitor.evaluate(after.at, alertValues(after, second))) {
            raised.append(e.rule);
        }
        before = after;
    }
    QCOMPARE(raised, QStringList{QStringLiteral("reject-critical")});
    // One admitted request in ten failing raises the failed alert.
    EngineSnapshot after = before;
    after.at = before.at + std::chrono::seconds(1);
    after.submitted += 100;
    after.done += 90;
    after.failed += 10;
    QCOMPARE(SecondTotals::between(before, after).errors, std::int64_t(10));
}

QTEST_GUILESS_MAIN(TestAlerts)
#include "tst_alerts.moc"
