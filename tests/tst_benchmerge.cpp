// Distributed benchmarks without Redis: histogram slices taken from a running histogram, their
// wire form, the agents' shares of a scenario, and the merge of several agents' slices into one
// run whose percentiles are those of every sample pooled.
#include "core/bench/agentshare.h"
#include "core/bench/agentslice.h"
#include "core/bench/runmerge.h"
#include "core/metrics/latencyhistogram.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <vector>

using namespace sluice;

namespace {

// Seeded latency-like samples (ns): lognormal around `medianMs`, and a few over the top.
std::vector<std::int64_t> samples(int n, double medianMs, std::uint64_t seed,
                                  std::int64_t highest) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> d(std::log(medianMs * 1e6), 0.8);
    std::bernoulli_distribution over(0.002);
    std::vector<std::int64_t> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(over(rng) ? highest + 1000 : static_cast<std::int64_t>(d(rng)));
    }
    return out;
}

// Nearest-rank percentile of raw values, the definition the histogram approximates.
std::int64_t exactPercentile(std::vector<std::int64_t> v, double p) {
    std::sort(v.begin(), v.end());
    const auto rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::max<std::size_t>(rank, 1) - 1];
}

QJsonObject hello(int agent, int agents) {
    return {{QStringLiteral("agent"), agent},
            {QStringLiteral("agents"), agents},
            {QStringLiteral("started_ms"), 1000.0 * agent},
            {QStringLiteral("title"), QStringLiteral("constant 60 rps")},
            {QStringLiteral("share"), QStringLiteral("1/3")}};
}

} // namespace

class TestBenchMerge final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void slicesOfARunningHistogramMergeBackExactly();
    void differenceRefusesWhatIsNotAContinuation();
    void sliceSurvivesItsWireForm();
    void badSliceNamesTheField_data();
    void badSliceNamesTheField();
    void mergedPercentilesAreThoseOfPooledSamples();
    void mergeRefusesInconsistentAgents();
    void sharesAddUpToTheScenario();
    void sharesRefuseWhatCannotBeSplit();
};

// Slices cut at arbitrary moments, sent as text and merged, give back the whole histogram:
// every bucket, the count, the exact min and max and the overflow.
void TestBenchMerge::slicesOfARunningHistogramMergeBackExactly() {
    const std::int64_t highest = 10'000'000'000; // 10 s, so some samples overflow
    LatencyHistogram running(highest);
    LatencyHistogram previous(highest);
    LatencyHistogram merged(highest);
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int> cut(0, 400);
    const std::vector<std::int64_t> values = samples(20000, 30, 3, highest);
    int slices = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        running.record(values[i]);
        if (cut(rng) == 0 || i + 1 == values.size()) {
            const auto slice = LatencyHistogram::difference(running, previous);
            QVERIFY(slice);
            QCOMPARE(slice->count(), running.count() - previous.count());
            const auto wire = LatencyHistogram::deserialize(slice->serialize());
            QVERIFY2(wire, slice->serialize().substr(0, 80).c_str());
            QCOMPARE(*wire, *slice);
            QVERIFY(merged.merge(*wire));
            previous = running;
            ++slices;
        }
    }
    QVERIFY(slices > 20);
    QVERIFY(running.overflow() > 0);
    QCOMPARE(merged, running);
    for (const double p : {50.0, 90.0, 99.0, 99.9, 100.0}) {
        QCOMPARE(merged.percentile(p), running.percentile(p));
    }
}

void TestBenchMerge::differenceRefusesWhatIsNotAContinuation() {
    LatencyHistogram a;
    LatencyHistogram b;
    a.record(1000);
    b.record(2000);
    QVERIFY(!LatencyHistogram::difference(a, b)); // a bucket would go below zero
    QVERIFY(!LatencyHistogram::difference(a, LatencyHistogram(1'000'000)));
    const auto none = LatencyHistogram::difference(a, a);
    QVERIFY(none);
    QCOMPARE(none->count(), 0);
}

void TestBenchMerge::sliceSurvivesItsWireForm() {
    RunStats::Counts before;
    RunStats::Counts after;
    after.submitted = 12;
    after.done = 10;
    after.failed = 2;
    after.measured = 12;
    after.outputTokens = 400;
    std::map<QString, LatencyHistogram> h0;
    std::map<QString, LatencyHistogram> h1;
    h1[QStringLiteral("e2e")].record(25'000'000);
    h1[QStringLiteral("e2e")].record(31'000'000);
    h1[QStringLiteral("ttft")];
    auto slice = AgentSlice::between(before, h0, after, h1);
    QVERIFY(slice);
    slice.value().agent = 2;
    slice.value().seq = 5;
    slice.value().unixSecond = 1'800'000'000;
    const QByteArray wire = QJsonDocument(slice->toJson()).toJson(QJsonDocument::Compact);
    const auto back = AgentSlice::fromJson(QJsonDocument::fromJson(wire).object());
    QVERIFY2(back, qPrintable(back ? QString() : back.error().text()));
    QCOMPARE(back->agent, 2);
    QCOMPARE(back->seq, 5);
    QCOMPARE(back->unixSecond, 1'800'000'000);
    QCOMPARE(back->counts.submitted, 12);
    QCOMPARE(back->counts.failed, 2);
    QCOMPARE(back->counts.outputTokens, 400);
    QCOMPARE(back->histograms.size(), std::size_t(1)); // empty ones are not sent
    QCOMPARE(back->histograms.at(QStringLiteral("e2e")), h1.at(QStringLiteral("e2e")));

    RunStats::Counts down = after;
    down.done = 9;
    const auto wrong = AgentSlice::between(after, h1, down, h1);
    QVERIFY(!wrong);
    QVERIFY(wrong.error().text().contains(QLatin1String("done")));
}

void TestBenchMerge::badSliceNamesTheField_data() {
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("field");
    const QByteArray ok = R"("agent":1,"seq":1,"unix_s":100,"counts":{},"histograms":{})";
    QTest::newRow("no agent") << QByteArray(R"({"seq":1,"unix_s":1,"counts":{},"histograms":{}})")
                              << "slice: agent";
    QTest::newRow("seq 0") << QByteArray(R"({"agent":1,"seq":0,"unix_s":1,"counts":{},)"
                                         R"("histograms":{}})")
                           << "slice: seq";
    QTest::newRow("unknown counter")
        << QByteArray("{" + ok + R"(,"counts":{"bogus":1}})") << "slice: counts.bogus";
    QTest::newRow("negative counter")
        << QByteArray("{" + ok + R"(,"counts":{"done":-1}})") << "slice: counts.done";
    QTest::newRow("not a histogram")
        << QByteArray("{" + ok + R"(,"histograms":{"e2e":"LH1 nonsense"}})")
        << "slice: histograms.e2e";
    QTest::newRow("histogram not text")
        << QByteArray("{" + ok + R"(,"histograms":{"e2e":5}})") << "slice: histograms.e2e";
    QTest::newRow("counts not an object")
        << QByteArray("{" + ok + R"(,"counts":[]})") << "slice: counts";
}

void TestBenchMerge::badSliceNamesTheField() {
    QFETCH(QByteArray, json);
    QFETCH(QString, field);
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    QVERIFY2(doc.isObject(), json.constData());
    const auto slice = AgentSlice::fromJson(doc.object());
    QVERIFY(!slice);
    QCOMPARE(slice.error().field, field);
}

// Three agents with different latency (one slow): the merged p99 is the pooled samples' p99
// to the histogram's precision, and far from the average of the agents' p99s.
void TestBenchMerge::mergedPercentilesAreThoseOfPooledSamples() {
    RunMerge merge;
    std::vector<std::int64_t> pooled;
    LatencyHistogram pooledHist;
    const double medians[] = {20, 25, 120};
    double sumP99 = 0;
    for (int agent = 1; agent <= 3; ++agent) {
        QVERIFY(merge.addHello(hello(agent, 3)));
        const auto values =
            samples(3000, medians[agent - 1], 100 + agent, LatencyHistogram::kDefaultHighest);
        RunStats::Counts counts;
        RunStats::Counts sent;
        std::map<QString, LatencyHistogram> hist{{QStringLiteral("e2e"), LatencyHistogram()}};
        std::map<QString, LatencyHistogram> sentHist = hist;
        std::int64_t seq = 0;
        for (std::size_t i = 0; i < values.size(); ++i) {
            hist[QStringLiteral("e2e")].record(values[i]);
            ++counts.submitted;
            ++counts.done;
            ++counts.measured;
            if ((i + 1) % 250 == 0) { // a second's worth
                auto slice = AgentSlice::between(sent, sentHist, counts, hist);
                QVERIFY(slice);
                slice.value().agent = agent;
                slice.value().seq = ++seq;
                slice.value().unixSecond = 1000 + static_cast<std::int64_t>(i / 250);
                const auto wire = AgentSlice::fromJson(slice->toJson());
                QVERIFY(wire);
                QVERIFY(merge.addSlice(*wire));
                sent = counts;
                sentHist = hist;
            }
        }
        pooled.insert(pooled.end(), values.begin(), values.end());
        QVERIFY(pooledHist.merge(hist.at(QStringLiteral("e2e"))));
        sumP99 += static_cast<double>(hist.at(QStringLiteral("e2e")).percentile(99));
        QVERIFY(merge.addDone(
            QJsonObject{{QStringLiteral("agent"), agent},
                        {QStringLiteral("ended_ms"), 9000.0},
                        {QStringLiteral("summary"),
                         QJsonObject{{QStringLiteral("counts"), QJsonObject()},
                                     {QStringLiteral("throughput"),
                                      QJsonObject{{QStringLiteral("requests_per_s"), 250.0}}}}}}));
    }
    QVERIFY(merge.complete());
    QCOMPARE(merge.counts().done, 9000);
    const LatencyHistogram* merged = merge.histogram(QStringLiteral("e2e"));
    QVERIFY(merged);
    QCOMPARE(*merged, pooledHist);
    for (const double p : {50.0, 95.0, 99.0, 99.9}) {
        const double exact = static_cast<double>(exactPercentile(pooled, p));
        const double got = static_cast<double>(merged->percentile(p));
        QVERIFY2(
            std::abs(got - exact) <= exact * 1e-3,
            qPrintable(QStringLiteral("p%1: merged %2, pooled %3").arg(p).arg(got).arg(exact)));
    }
    // Averaging would have been far off: the slow agent dominates the tail.
    const double p99 = static_cast<double>(merged->percentile(99));
    QVERIFY(std::abs(sumP99 / 3 - p99) > p99 * 0.1);

    const QJsonObject summary = merge.summary(QStringLiteral("r1"));
    QCOMPARE(summary.value(QStringLiteral("run_id")).toString(), QStringLiteral("r1"));
    QCOMPARE(summary.value(QStringLiteral("title")).toString(),
             QStringLiteral("constant 60 rps (3 agents)"));
    QCOMPARE(summary.value(QStringLiteral("counts")).toObject().value(QStringLiteral("done")),
             9000);
    QCOMPARE(summary.value(QStringLiteral("throughput"))
                 .toObject()
                 .value(QStringLiteral("requests_per_s"))
                 .toDouble(),
             750.0);
    QCOMPARE(summary.value(QStringLiteral("latency_ms"))
                 .toObject()
                 .value(QStringLiteral("e2e"))
                 .toObject()
                 .value(QStringLiteral("p99"))
                 .toDouble(),
             std::round(p99 / 1e3) / 1e3);
    QCOMPARE(summary.value(QStringLiteral("agents")).toArray().size(), 3);
    const SeriesData series = merge.series();
    QCOMPARE(series.rows.size(), std::size_t(12)); // seconds 1000..1011
    const int sent = series.column(QStringLiteral("sent_rps"));
    QCOMPARE(series.rows.front()[static_cast<std::size_t>(sent)], 750.0);
}

void TestBenchMerge::mergeRefusesInconsistentAgents() {
    RunMerge merge;
    AgentSlice early;
    early.agent = 1;
    early.seq = 1;
    QVERIFY(!merge.addSlice(early)); // before its hello
    QVERIFY(merge.addHello(hello(1, 3)));
    const auto twice = merge.addHello(hello(1, 3));
    QVERIFY(!twice);
    QVERIFY(twice.error().message.contains(QLatin1String("--agent-index")));
    const auto otherCount = merge.addHello(hello(2, 4));
    QVERIFY(!otherCount);
    QCOMPARE(otherCount.error().field, QStringLiteral("hello: agents"));
    QVERIFY(!merge.addHello(hello(4, 3)));
    QVERIFY(merge.addSlice(early));
    QVERIFY(!merge.addSlice(early)); // the same seq again
    early.seq = 4;
    QVERIFY(merge.addSlice(early));
    QCOMPARE(merge.lostSlices(), 2);
    QVERIFY(!merge.complete());
    QVERIFY(!merge.addDone(QJsonObject{{QStringLiteral("agent"), 1}})); // no summary
}

void TestBenchMerge::sharesAddUpToTheScenario() {
    BenchScenario open;
    open.profile.kind = LoadProfile::Kind::Constant;
    open.profile.load = 60;
    open.profile.rampTo = 90;
    open.requests = 100;
    open.rpm = 1000;
    BenchScenario closed;
    closed.profile.kind = LoadProfile::Kind::Closed;
    closed.profile.load = 10;
    double rate = 0;
    double ramp = 0;
    std::int64_t requests = 0;
    std::int64_t rpm = 0;
    double workers = 0;
    std::set<std::uint64_t> seeds;
    for (int k = 1; k <= 3; ++k) {
        const auto o = agentShare(open, 3, k);
        QVERIFY(o);
        rate += o->profile.load;
        ramp += *o->profile.rampTo;
        requests += o->requests;
        rpm += o->rpm;
        seeds.insert(o->seed);
        const auto c = agentShare(closed, 3, k);
        QVERIFY(c);
        workers += c->profile.load;
        QCOMPARE(c->profile.load, k == 1 ? 4.0 : 3.0);
    }
    QCOMPARE(rate, 60.0);
    QCOMPARE(ramp, 90.0);
    QCOMPARE(requests, 100);
    QCOMPARE(rpm, 1000);
    QCOMPARE(workers, 10.0);
    QCOMPARE(seeds.size(), std::size_t(3));
}

void TestBenchMerge::sharesRefuseWhatCannotBeSplit() {
    BenchScenario s;
    s.profile.kind = LoadProfile::Kind::Closed;
    s.profile.load = 2;
    auto r = agentShare(s, 3, 1);
    QVERIFY(!r);
    QCOMPARE(r.error().field, QStringLiteral("--agents"));
    s.profile.load = 6;
    s.profile.stress = true;
    r = agentShare(s, 3, 1);
    QVERIFY(!r);
    QCOMPARE(r.error().field, QStringLiteral("--stress"));
    s.profile.stress = false;
    r = agentShare(s, 3, 4);
    QVERIFY(!r);
    QCOMPARE(r.error().field, QStringLiteral("--agent-index"));
}

QTEST_GUILESS_MAIN(TestBenchMerge)
#include "tst_benchmerge.moc"
