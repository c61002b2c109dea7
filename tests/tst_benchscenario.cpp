// A benchmark scenario's parts on their own, with no runner or server: arrival schedules
// (Poisson and constant), load shapes (ramps, spikes), SLO specs, and scenario files whose
// errors name the field.
#include "core/bench/benchrunner.h"
#include "core/bench/scenario.h"

#include <QJsonDocument>
#include <QTest>

#include <cmath>
#include <vector>

using namespace sluice;
using namespace std::chrono_literals;

class TestBenchScenario final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void poissonArrivalsAreDispersedLikePoisson();
    void constantArrivalsAndRateChanges();
    void rampAndSpikeShapes();
    void sloSpecs_data();
    void sloSpecs();
    void scenarioErrorsNameTheField_data();
    void scenarioErrorsNameTheField();
};

// Counts per second of a Poisson process have variance = mean (index of dispersion 1), and its
// gaps are exponential (coefficient of variation 1); constant gaps have neither.
void TestBenchScenario::poissonArrivalsAreDispersedLikePoisson() {
    for (const std::uint64_t seed : {1ULL, 2ULL, 3ULL}) {
        ArrivalSchedule schedule(true, seed);
        schedule.start(0s);
        const double rate = 50;
        std::vector<int> perSecond(2000, 0);
        double gapSum = 0;
        double gapSq = 0;
        int gaps = 0;
        Nanos last = schedule.next();
        while (schedule.next() < 2000s) {
            ++perSecond[static_cast<std::size_t>(schedule.next() / 1s)];
            schedule.advance(rate);
            const double g = toSeconds(schedule.next() - last);
            last = schedule.next();
            gapSum += g;
            gapSq += g * g;
            ++gaps;
        }
        double mean = 0;
        for (const int c : perSecond) {
            mean += c;
        }
        mean /= static_cast<double>(perSecond.size());
        double var = 0;
        for (const int c : perSecond) {
            var += (c - mean) * (c - mean);
        }
        var /= static_cast<double>(perSecond.size() - 1);
        const double gapMean = gapSum / gaps;
        const double cv = std::sqrt(gapSq / gaps - gapMean * gapMean) / gapMean;
        qInfo("seed %llu: mean %.2f/s, dispersion %.3f, gap CV %.3f", (unsigned long long)seed,
              mean, var / mean, cv);
        QVERIFY(std::abs(mean - rate) < 0.02 * rate);
        // For 2000 windows the index of dispersion has a standard error of about 0.03.
        QVERIFY2(var / mean > 0.88 && var / mean < 1.12, qPrintable(QString::number(var / mean)));
        QVERIFY(cv > 0.95 && cv < 1.05);
    }
    // The same seed gives the same arrivals.
    ArrivalSchedule a(true, 7), b(true, 7);
    a.start(0s);
    b.start(0s);
    for (int i = 0; i < 100; ++i) {
        a.advance(10);
        b.advance(10);
    }
    QCOMPARE(a.next(), b.next());
}

void TestBenchScenario::constantArrivalsAndRateChanges() {
    ArrivalSchedule s(false, 1);
    s.start(10s);
    QCOMPARE(s.next(), Nanos{10s});
    s.advance(10);
    QCOMPARE(s.next(), Nanos{10100ms});
    s.advance(10);
    QCOMPARE(s.next(), Nanos{10200ms});
    // 10 -> 50 rps at 10.25 s: the next is one new gap after the last (10.2 + 0.02 = 10.22 is
    // past), so at once; then every 20 ms.
    s.changeRate(50, 10250ms);
    QCOMPARE(s.next(), Nanos{10250ms});
    s.advance(50);
    QCOMPARE(s.next(), Nanos{10270ms});
    // Down to 1 rps: one second after the last sent.
    s.changeRate(1, 10280ms);
    QCOMPARE(s.next(), Nanos{11250ms});
    s.changeRate(0, 10290ms);
    QCOMPARE(s.next(), Nanos::max());
}

void TestBenchScenario::rampAndSpikeShapes() {
    LoadProfile p;
    p.kind = LoadProfile::Kind::Constant;
    p.load = 10;
    p.rampTo = 50;
    p.rampOver = 40s;
    QCOMPARE(p.loadAt(0s), 10.0);
    QCOMPARE(p.loadAt(20s), 30.0);
    QCOMPARE(p.loadAt(60s), 50.0);
    p.rampSteps = 5; // 10, 20, 30, 40, 50 for 8 s each
    QCOMPARE(p.loadAt(0s), 10.0);
    QCOMPARE(p.loadAt(7s), 10.0);
    QCOMPARE(p.loadAt(8s), 20.0);
    QCOMPARE(p.loadAt(39s), 50.0);
    QCOMPARE(p.loadAt(41s), 50.0);
    LoadProfile spike;
    spike.load = 5;
    spike.spikeLoad = 40;
    spike.spikeAt = 10s;
    spike.spikeFor = 2s;
    QCOMPARE(spike.loadAt(9s), 5.0);
    QCOMPARE(spike.loadAt(10s), 40.0);
    QCOMPARE(spike.loadAt(11999ms), 40.0);
    QCOMPARE(spike.loadAt(12s), 5.0);
}

void TestBenchScenario::sloSpecs_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("metric");
    QTest::addColumn<double>("percentile");
    QTest::addColumn<double>("threshold");
    QTest::addColumn<QString>("error"); // a fragment of the message, empty when valid
    QTest::newRow("ttft p95 ms") << "ttft:p95<500ms"
                                 << "ttft" << 95.0 << 500.0 << "";
    QTest::newRow("e2e s, default p99") << "e2e<2s"
                                        << "e2e" << 99.0 << 2000.0 << "";
    QTest::newRow("itl p99.9 us") << "itl:p99.9<800us"
                                  << "itl" << 99.9 << 0.8 << "";
    QTest::newRow("errors") << "errors<1%"
                            << "errors" << 99.0 << 0.01 << "";
    QTest::newRow("no unit") << "ttft<500"
                             << "" << 0.0 << 0.0 << "needs a unit";
    QTest::newRow("unknown metric") << "speed<5ms"
                                    << "" << 0.0 << 0.0 << "unknown metric 'speed'";
    QTest::newRow("garbage") << "ttft>5ms"
                             << "" << 0.0 << 0.0 << "expected METRIC";
    QTest::newRow("percentile 0") << "ttft:p0<5ms"
                                  << "" << 0.0 << 0.0 << "percentile";
    QTest::newRow("errors over 100%") << "errors<150%"
                                      << "" << 0.0 << 0.0 << "above 100%";
}

void TestBenchScenario::sloSpecs() {
    QFETCH(QString, text);
    QFETCH(QString, metric);
    QFETCH(double, percentile);
    QFETCH(double, threshold);
    QFETCH(QString, error);
    const auto spec = SloSpec::parse(text);
    if (!error.isEmpty()) {
        QVERIFY(!spec);
        const QString message = spec.error().message;
        QVERIFY2(message.contains(error) && message.contains(text), qPrintable(message));
        return;
    }
    QVERIFY2(spec, qPrintable(spec.ok() ? QString() : spec.error().text()));
    QCOMPARE(spec->metric, metric);
    QCOMPARE(spec->percentile, percentile);
    QVERIFY(std::abs(spec->threshold - threshold) < 1e-9);
}

void TestBenchScenario::scenarioErrorsNameTheField_data() {
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("field");
    QTest::newRow("negative rate")
        << QByteArray(R"({"profile": {"kind": "constant", "rate": -1}})") << "profile.rate";
    QTest::newRow("rpm not a number")
        << QByteArray(R"({"limits": {"rpm": "lots"}})") << "limits.rpm";
    QTest::newRow("unknown field") << QByteArray(R"({"duraton": "10s"})") << "duraton";
    QTest::newRow("bad duration") << QByteArray(R"({"duration": "ten seconds"})") << "duration";
    QTest::newRow("bad kind") << QByteArray(R"({"profile": {"kind": "wave"}})") << "profile.kind";
    QTest::newRow("bad slo") << QByteArray(R"({"slo": ["ttft:p95<500ms", "fast"]})") << "slo[1]";
    QTest::newRow("bad change") << QByteArray(R"({"changes": [{"at": "5s"}]})") << "changes[0]";
    QTest::newRow("bad mock field")
        << QByteArray(R"({"mock": {"capacity": -3}})") << "mock.capacity";
    QTest::newRow("missing prompts file")
        << QByteArray(R"({"prompts": {"file": "/nonexistent/prompts.jsonl"}})") << "prompts.file";
    QTest::newRow("ramp without over")
        << QByteArray(R"({"profile": {"ramp": {"to": 5}}})") << "profile.ramp";
}

void TestBenchScenario::scenarioErrorsNameTheField() {
    QFETCH(QByteArray, json);
    QFETCH(QString, field);
    BenchScenario s;
    s.duration = 5s;
    const BenchScenario before = s;
    const auto applied = s.apply(QJsonDocument::fromJson(json).object());
    QVERIFY(!applied);
    QCOMPARE(applied.error().kind, Error::Kind::Invalid);
    QVERIFY2(applied.error().field.startsWith(field), qPrintable(applied.error().text()));
    QCOMPARE(s.duration, before.duration); // nothing applied
    // And a good one applies.
    BenchScenario good;
    QVERIFY(good.apply(QJsonDocument::fromJson(
                           R"({"mock": true, "profile": {"kind": "poisson", "rate": 12},
                                "duration": "30s", "slo": ["e2e<2s"],
                                "changes": [{"at": "10s", "rate": 20}]})")
                           .object()));
    QVERIFY(good.useMock);
    QCOMPARE(good.profile.kind, LoadProfile::Kind::Poisson);
    QCOMPARE(good.profile.load, 12.0);
    QCOMPARE(good.duration, Nanos{30s});
    QCOMPARE(good.changes.size(), std::size_t(1));
    QVERIFY(good.validate());
}

QTEST_GUILESS_MAIN(TestBenchScenario)
#include "tst_benchscenario.moc"
