// The stress search on its own: no server, no timers. Each step is a simulated target that
// answers quickly up to a load and slowly (with some errors) above it, so the rows state where
// the knee must land and how the search gets there.
#include "core/bench/stresssearch.h"

#include <QTest>

#include <cmath>
#include <limits>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

BenchScenario stressScenario(bool openLoop, double start, double step, double max,
                             const QString& slo) {
    BenchScenario s;
    s.profile.kind = openLoop ? LoadProfile::Kind::Constant : LoadProfile::Kind::Closed;
    s.profile.load = start;
    s.profile.stress = true;
    s.profile.stressStep = step;
    s.profile.stressMax = max;
    s.profile.stressStepFor = 10s;
    if (!slo.isEmpty()) {
        const auto spec = SloSpec::parse(slo);
        if (!spec) {
            qFatal("bad SLO in test: %s", qPrintable(spec.error().text()));
        }
        s.slos.push_back(*spec);
    }
    return s;
}

RequestMetrics answered(Nanos latency) {
    RequestMetrics m;
    m.ok = true;
    m.e2e = latency;
    m.ttft = latency / 2;
    m.correctedLatency = latency;
    return m;
}

struct Ended {
    bool ok = true;
    Nanos latency{0};
};

// Sends `ended.size() + outstanding` requests in a step at `load` starting at `at`; ends the
// first ones as given and leaves the rest out.
void runStep(StressSearch& search, double load, Nanos at, const std::vector<Ended>& ended,
             int outstanding = 0) {
    search.beginStep(load, at);
    std::vector<std::pair<int, Nanos>> sent;
    const int total = static_cast<int>(ended.size()) + outstanding;
    for (int i = 0; i < total; ++i) {
        const Nanos intended = at + i * 1ms;
        sent.emplace_back(search.sent(intended), intended);
    }
    for (std::size_t i = 0; i < ended.size(); ++i) {
        const RequestMetrics m = answered(ended[i].latency);
        search.ended(sent[i].first, sent[i].second, ended[i].ok, !ended[i].ok, m);
    }
}

// A target fine up to `breakAbove`, overloaded past it: 10 ms answers below, 200 ms answers and
// one error in 20 above.
std::vector<Ended> target(double load, double breakAbove) {
    std::vector<Ended> out(20, Ended{true, 10ms});
    if (load > breakAbove) {
        for (Ended& e : out) {
            e.latency = 200ms;
        }
        out.front().ok = false;
    }
    return out;
}

} // namespace

class TestStressSearch : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void searchFindsTheKnee_data();
    void searchFindsTheKnee();
    void stepVerdict_data();
    void stepVerdict();
    void baselineRuleComesFromTheFirstStep();
};

void TestStressSearch::searchFindsTheKnee_data() {
    QTest::addColumn<bool>("openLoop");
    QTest::addColumn<double>("start");
    QTest::addColumn<double>("step");
    QTest::addColumn<double>("max");
    QTest::addColumn<QString>("slo");       // empty: the baseline rule
    QTest::addColumn<double>("breakAbove"); // the target is overloaded above this load
    QTest::addColumn<double>("knee");       // NaN: none
    QTest::addColumn<double>("tolerance");
    QTest::addColumn<bool>("reached"); // a step broke the SLOs

    QTest::newRow("breaks at 40 rps, step 8 up to 80: bisects to 40")
        << true << 8.0 << 8.0 << 80.0 << QString() << 40.0 << 40.0 << 2.0 << true;
    QTest::newRow("breaks at 40 rps under an e2e SLO")
        << true << 8.0 << 8.0 << 80.0 << QStringLiteral("e2e:p99<50ms") << 40.0 << 40.0 << 2.0
        << true;
    QTest::newRow("breaks between steps: the bisection finds it")
        << true << 8.0 << 8.0 << 80.0 << QString() << 37.0 << 37.0 << 2.0 << true;
    QTest::newRow("nothing passes: no knee")
        << true << 8.0 << 8.0 << 80.0 << QString() << 0.0 << kNone << 0.0 << true;
    QTest::newRow("everything passes: the maximum tried, not reached")
        << true << 10.0 << 10.0 << 50.0 << QString() << 1e9 << 50.0 << 0.0 << false;
    QTest::newRow("closed loop: whole concurrencies only")
        << false << 1.0 << 5.0 << 50.0 << QString() << 13.0 << 13.0 << 0.0 << true;
    QTest::newRow("closed loop: a step of 1 cannot be bisected")
        << false << 1.0 << 1.0 << 10.0 << QString() << 4.0 << 4.0 << 0.0 << true;
}

void TestStressSearch::searchFindsTheKnee() {
    QFETCH(bool, openLoop);
    QFETCH(double, start);
    QFETCH(double, step);
    QFETCH(double, max);
    QFETCH(QString, slo);
    QFETCH(double, breakAbove);
    QFETCH(double, knee);
    QFETCH(double, tolerance);
    QFETCH(bool, reached);

    StressSearch search(stressScenario(openLoop, start, step, max, slo));
    std::optional<double> load = start;
    Nanos now{0};
    for (int steps = 0; load; ++steps) {
        QVERIFY2(steps < 50, "the search does not end");
        QVERIFY2(openLoop || *load == std::round(*load),
                 qPrintable(QStringLiteral("closed loop tried %1").arg(*load)));
        QVERIFY(*load <= max + 1e-9);
        runStep(search, *load, now, target(*load, breakAbove));
        now += 10s;
        QVERIFY(search.evaluate(now, false));
        QVERIFY2(!search.evaluate(now, false), "a step is judged once");
        QCOMPARE(search.steps().back().met, *load <= breakAbove);
        load = search.advance();
    }

    QCOMPARE(search.kneeReached(), reached);
    if (std::isnan(knee)) {
        QVERIFY2(!search.knee(), qPrintable(QStringLiteral("knee %1").arg(*search.knee())));
        return;
    }
    QVERIFY(search.knee());
    QVERIFY2(std::abs(*search.knee() - knee) <= tolerance,
             qPrintable(QStringLiteral("knee %1, expected %2 +- %3")
                            .arg(*search.knee())
                            .arg(knee)
                            .arg(tolerance)));
    QVERIFY(*search.knee() <= breakAbove); // the knee is a load that passed
}

void TestStressSearch::stepVerdict_data() {
    QTest::addColumn<QString>("slo");
    QTest::addColumn<int>("ok");
    QTest::addColumn<int>("errors");
    QTest::addColumn<int>("outstanding");
    QTest::addColumn<int>("ageMs"); // of the outstanding ones, when judged
    QTest::addColumn<bool>("met");
    QTest::addColumn<QString>("detail");

    // Answers take 10 ms; what is still out when the step is forced counts at its age.
    QTest::newRow("outstanding counted at their age")
        << QStringLiteral("corrected:p99<500ms") << 10 << 0 << 1 << 2000 << false
        << QStringLiteral("corrected p99 2000.0 ms");
    QTest::newRow("outstanding but young: still met")
        << QStringLiteral("corrected:p99<500ms") << 10 << 0 << 1 << 100 << true
        << QStringLiteral("corrected p99 100.0 ms");
    QTest::newRow("outstanding only: judged on their age")
        << QStringLiteral("corrected:p50<500ms") << 0 << 0 << 3 << 600 << false
        << QStringLiteral("corrected p50 601.0 ms");
    QTest::newRow("error rate: outstanding count as errors, under")
        << QStringLiteral("errors<10%") << 19 << 1 << 1 << 100 << true
        << QStringLiteral("errors 9.5%");
    QTest::newRow("error rate: outstanding count as errors, over")
        << QStringLiteral("errors<10%") << 19 << 1 << 2 << 100 << false
        << QStringLiteral("errors 13.6%");
    QTest::newRow("no requests: broke") << QStringLiteral("errors<10%") << 0 << 0 << 0 << 0 << false
                                        << QStringLiteral("no requests");
}

void TestStressSearch::stepVerdict() {
    QFETCH(QString, slo);
    QFETCH(int, ok);
    QFETCH(int, errors);
    QFETCH(int, outstanding);
    QFETCH(int, ageMs);
    QFETCH(bool, met);
    QFETCH(QString, detail);

    BenchScenario s = stressScenario(true, 10, 10, 100, slo);
    s.defaultSlo = false; // judge by the row's SLO alone
    StressSearch search(s);
    std::vector<Ended> ended(static_cast<std::size_t>(ok), Ended{true, 10ms});
    ended.insert(ended.end(), static_cast<std::size_t>(errors), Ended{false, 10ms});
    const Nanos start = 100s;
    runStep(search, 10, start, ended, outstanding);

    // The last one was meant for (ok + errors + outstanding - 1) ms after the step's start.
    const Nanos lastIntended = start + (ok + errors + outstanding - 1) * 1ms;
    const Nanos now = lastIntended + ageMs * 1ms;
    if (outstanding > 0) {
        QVERIFY2(!search.evaluate(now, false), "waits for what is still out");
    }
    QVERIFY(search.evaluate(now, true));
    const StressStep& step = search.steps().back();
    QCOMPARE(step.met, met);
    QVERIFY2(step.detail.contains(detail), qPrintable(step.detail));
}

void TestStressSearch::baselineRuleComesFromTheFirstStep() {
    StressSearch search(stressScenario(true, 10, 10, 100, {}));
    QCOMPARE(search.slos().size(), std::size_t(1)); // errors<1% until a step sets the baseline
    runStep(search, 10, 0s, std::vector<Ended>(20, Ended{true, 12ms}));
    QVERIFY(search.evaluate(10s, false));
    QCOMPARE(search.baselineP50(), 12.0);
    const std::vector<SloSpec> slos = search.slos();
    QCOMPARE(slos.size(), std::size_t(2));
    QCOMPARE(slos[0].text, QStringLiteral("errors<1%"));
    QCOMPARE(slos[1].text, QStringLiteral("corrected:p99<36ms"));
    QVERIFY(search.steps().back().met);
}

QTEST_GUILESS_MAIN(TestStressSearch)
#include "tst_stresssearch.moc"
