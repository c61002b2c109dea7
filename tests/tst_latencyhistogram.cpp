#include "core/metrics/latencyhistogram.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <vector>

using namespace sluice;

namespace {

constexpr double kPercentiles[] = {0, 1, 10, 50, 90, 99, 99.9, 99.99, 100};

/// Seeded samples in nanoseconds; the shapes latency really has, plus the edge cases of the
/// layout (tiny exact values, the first bucket's edge, one repeated value).
std::vector<std::int64_t> makeSamples(const QByteArray& kind, int n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::int64_t> out;
    out.reserve(static_cast<size_t>(n));
    std::uniform_int_distribution<std::int64_t> uniform(1, 10'000'000);
    std::uniform_int_distribution<std::int64_t> tiny(1, 10);
    std::uniform_int_distribution<std::int64_t> edge(1'500, 5'000);
    std::lognormal_distribution<double> lognormal(std::log(20e6), 1.0); // median 20 ms
    std::normal_distribution<double> fast(2e6, 2e5);                    // 2 ms
    std::normal_distribution<double> slow(800e6, 50e6);                 // 800 ms
    std::bernoulli_distribution slowOne(0.1);
    for (int i = 0; i < n; ++i) {
        std::int64_t v = 0;
        if (kind == "uniform") {
            v = uniform(rng);
        } else if (kind == "lognormal") {
            v = static_cast<std::int64_t>(lognormal(rng));
        } else if (kind == "bimodal") {
            v = static_cast<std::int64_t>(slowOne(rng) ? slow(rng) : fast(rng));
        } else if (kind == "constant") {
            v = 12'345'678;
        } else if (kind == "tiny") {
            v = tiny(rng);
        } else if (kind == "firstBucketEdge") {
            v = edge(rng);
        } else {
            qFatal("unknown distribution");
        }
        out.push_back(std::max<std::int64_t>(1, v));
    }
    return out;
}

/// The exact nearest-rank percentile of sorted samples: the rank-th smallest, rank = ceil(p/100*n).
std::int64_t exactPercentile(const std::vector<std::int64_t>& sorted, double p) {
    const auto n = static_cast<std::int64_t>(sorted.size());
    const auto rank = std::clamp<std::int64_t>(
        static_cast<std::int64_t>(std::ceil(p / 100.0 * static_cast<double>(n))), 1, n);
    return sorted[static_cast<size_t>(rank - 1)];
}

LatencyHistogram histogramOf(const std::vector<std::int64_t>& samples,
                             std::int64_t highest = LatencyHistogram::kDefaultHighest,
                             int digits = 3) {
    LatencyHistogram h(highest, digits);
    for (const auto v : samples) {
        h.record(v);
    }
    return h;
}

/// Checks every percentile in kPercentiles against the exact one; returns the worst relative
/// error. Also checks the promise that at least p% of the values are <= the answer.
double checkPercentiles(const LatencyHistogram& h, std::vector<std::int64_t> samples,
                        double bound) {
    std::sort(samples.begin(), samples.end());
    double worst = 0.0;
    for (const double p : kPercentiles) {
        const auto exact = exactPercentile(samples, p);
        const auto got = h.percentile(p);
        const double error =
            std::abs(double(got - exact)) / double(std::max<std::int64_t>(1, exact));
        if (got < exact || error > bound) {
            qWarning("p%g: got %lld, exact %lld, relative error %g", p, static_cast<long long>(got),
                     static_cast<long long>(exact), error);
            return INFINITY;
        }
        worst = std::max(worst, error);
    }
    return worst;
}

} // namespace

class TestLatencyHistogram final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void percentilesMatchExactNearestRank_data();
    void percentilesMatchExactNearestRank();
    void precisionHoldsForEveryDigitCount_data();
    void precisionHoldsForEveryDigitCount();
    void percentileEdgeCases();
    void meanIsWithinPrecision();
    void overflowIsClampedAndCounted();
    void negativeValuesAndEmptyCounts();
    void mergeEqualsRecordingBoth();
    void mergeRefusesOtherLayouts();
    void memoryDoesNotGrowWithCount();
    void resetEmpties();
    void serializeRoundTrips_data();
    void serializeRoundTrips();
    void deserializeRejectsMalformed_data();
    void deserializeRejectsMalformed();
    void deserializeAcceptsSharedBucketExtremes();

    void slicedWindowEqualsFreshHistogram_data();
    void slicedWindowEqualsFreshHistogram();
    void slicedTotalKeepsSecondsThatLeftTheRing();
    void slicedLateSampleDoesNotOverwriteNewerSecond();
    void slicedStaleSlotsLeaveTheWindow();
    void slicedHugeCountsAreNotTruncated();
    void slicedWindowNeverAveragesPercentiles();
    void slicedMemoryStaysSparse();
    void slicedReset();
};

void TestLatencyHistogram::percentilesMatchExactNearestRank_data() {
    QTest::addColumn<QByteArray>("kind");
    for (const char* kind :
         {"uniform", "lognormal", "bimodal", "constant", "tiny", "firstBucketEdge"}) {
        QTest::newRow(kind) << QByteArray(kind);
    }
}

void TestLatencyHistogram::percentilesMatchExactNearestRank() {
    QFETCH(QByteArray, kind);
    const auto samples = makeSamples(kind, 200'000, 42);
    const auto h = histogramOf(samples);
    QCOMPARE(h.count(), std::int64_t(samples.size()));
    QCOMPARE(h.min(), *std::min_element(samples.begin(), samples.end()));
    QCOMPARE(h.max(), *std::max_element(samples.begin(), samples.end()));
    const double worst = checkPercentiles(h, samples, 1e-3);
    QVERIFY2(worst <= 1e-3, qPrintable(QStringLiteral("worst relative error %1").arg(worst)));
    if (kind == "tiny" || kind == "constant") {
        QCOMPARE(worst, 0.0); // below 2048 every value has its own bucket; one value is exact
    }
}

void TestLatencyHistogram::precisionHoldsForEveryDigitCount_data() {
    QTest::addColumn<int>("digits");
    for (int d = 1; d <= 5; ++d) {
        QTest::addRow("%d digits", d) << d;
    }
}

void TestLatencyHistogram::precisionHoldsForEveryDigitCount() {
    QFETCH(int, digits);
    // Log-uniform over nine decades, so every bucket magnitude is exercised.
    std::mt19937_64 rng(7 + static_cast<unsigned>(digits));
    std::uniform_real_distribution<double> exponent(0.0, 9.0);
    std::vector<std::int64_t> samples(100'000);
    for (auto& v : samples) {
        v = static_cast<std::int64_t>(std::pow(10.0, exponent(rng)));
    }
    const auto h = histogramOf(samples, 1'000'000'000, digits);
    QCOMPARE(h.significantDigits(), digits);
    const double worst = checkPercentiles(h, samples, std::pow(10.0, -digits));
    QVERIFY2(worst <= std::pow(10.0, -digits),
             qPrintable(QStringLiteral("worst relative error %1").arg(worst)));
}

void TestLatencyHistogram::percentileEdgeCases() {
    LatencyHistogram empty;
    QCOMPARE(empty.count(), 0);
    QCOMPARE(empty.min(), 0);
    QCOMPARE(empty.max(), 0);
    QCOMPARE(empty.mean(), 0.0);
    QCOMPARE(empty.percentile(50), 0);

    // One value: every percentile is that value, not its bucket's top.
    LatencyHistogram one;
    one.record(123'456'789);
    for (const double p : kPercentiles) {
        QCOMPARE(one.percentile(p), 123'456'789);
    }

    LatencyHistogram h;
    h.record(1'000);
    h.record(50'000'000);
    QCOMPARE(h.percentile(-5), 1'000);
    QCOMPARE(h.percentile(std::nan("")), 1'000);
    QCOMPARE(h.percentile(150), 50'000'000);
    QCOMPARE(h.percentile(50), 1'000);          // rank 1 of 2
    QCOMPARE(h.percentile(50.001), 50'000'000); // rank 2 of 2
}

void TestLatencyHistogram::meanIsWithinPrecision() {
    const auto samples = makeSamples("lognormal", 100'000, 3);
    const auto h = histogramOf(samples);
    double exact = 0.0;
    for (const auto v : samples) {
        exact += double(v);
    }
    exact /= double(samples.size());
    QVERIFY(std::abs(h.mean() - exact) / exact <= 1e-3);
    QCOMPARE(histogramOf({7, 7, 7}).mean(), 7.0);
}

void TestLatencyHistogram::overflowIsClampedAndCounted() {
    LatencyHistogram h(1'000'000);
    h.record(500);
    h.record(5'000'000, 3);
    h.record(INT64_MAX);
    QCOMPARE(h.count(), 5);
    QCOMPARE(h.overflow(), 4);
    QCOMPARE(h.max(), 1'000'000);
    QCOMPARE(h.percentile(100), 1'000'000);
    QCOMPARE(h.percentile(20), 500);
    QCOMPARE(h.percentile(50), 1'000'000);
}

void TestLatencyHistogram::negativeValuesAndEmptyCounts() {
    LatencyHistogram h;
    h.record(-5); // a clock glitch: still one request
    h.record(10, 0);
    h.record(10, -3);
    QCOMPARE(h.count(), 1);
    QCOMPARE(h.min(), 0);
    QCOMPARE(h.max(), 0);
    QCOMPARE(h.overflow(), 0);
}

void TestLatencyHistogram::mergeEqualsRecordingBoth() {
    const auto a = makeSamples("lognormal", 100'000, 11);
    const auto b = makeSamples("bimodal", 100'000, 12);
    auto merged = histogramOf(a);
    QVERIFY(merged.merge(histogramOf(b)));
    auto both = histogramOf(a);
    for (const auto v : b) {
        both.record(v);
    }
    QCOMPARE(merged.count(), both.count());
    QCOMPARE(merged.min(), both.min());
    QCOMPARE(merged.max(), both.max());
    for (const double p : kPercentiles) {
        QCOMPARE(merged.percentile(p), both.percentile(p));
    }
    QVERIFY(merged == both);

    // Merging an empty histogram changes nothing, in either direction.
    LatencyHistogram empty;
    QVERIFY(merged.merge(empty));
    QVERIFY(merged == both);
    QVERIFY(empty.merge(both));
    QVERIFY(empty == both);
}

void TestLatencyHistogram::mergeRefusesOtherLayouts() {
    auto h = histogramOf({1, 2, 3});
    const auto before = h;
    QVERIFY(!h.merge(histogramOf({4}, LatencyHistogram::kDefaultHighest, 2)));
    QVERIFY(!h.merge(histogramOf({4}, 1'000'000, 3)));
    QVERIFY(h == before);
}

void TestLatencyHistogram::memoryDoesNotGrowWithCount() {
    LatencyHistogram h;
    const auto initial = h.memoryBytes();
    QVERIFY2(initial < 300'000, qPrintable(QString::number(initial))); // 1 h in ns, 3 digits
    std::mt19937_64 rng(5);
    std::uniform_int_distribution<std::int64_t> any(0, 2 * LatencyHistogram::kDefaultHighest);
    for (int i = 0; i < 100'000; ++i) {
        h.record(any(rng), 1'000'000);
    }
    QCOMPARE(h.count(), std::int64_t(100'000) * 1'000'000);
    QCOMPARE(h.memoryBytes(), initial);
    QVERIFY(LatencyHistogram(1'000'000, 2).memoryBytes() < initial); // it is the layout that counts
}

void TestLatencyHistogram::resetEmpties() {
    auto h = histogramOf(makeSamples("uniform", 1'000, 1));
    h.record(INT64_MAX);
    h.reset();
    QVERIFY(h == LatencyHistogram());
    QCOMPARE(h.overflow(), 0);
}

void TestLatencyHistogram::serializeRoundTrips_data() {
    QTest::addColumn<std::int64_t>("highest");
    QTest::addColumn<int>("digits");
    QTest::addColumn<QByteArray>("kind");
    QTest::addColumn<int>("samples");
    QTest::newRow("empty") << LatencyHistogram::kDefaultHighest << 3 << QByteArray("tiny") << 0;
    QTest::newRow("one") << LatencyHistogram::kDefaultHighest << 3 << QByteArray("constant") << 1;
    QTest::newRow("lognormal") << LatencyHistogram::kDefaultHighest << 3 << QByteArray("lognormal")
                               << 100'000;
    QTest::newRow("overflowing") << std::int64_t(5'000'000) << 3 << QByteArray("uniform") << 1'000;
    QTest::newRow("1 digit") << std::int64_t(1'000'000'000) << 1 << QByteArray("bimodal") << 1'000;
    QTest::newRow("5 digits") << std::int64_t(1'000'000) << 5 << QByteArray("firstBucketEdge")
                              << 1'000;
    QTest::newRow("highest 1") << std::int64_t(1) << 3 << QByteArray("tiny") << 100;
}

void TestLatencyHistogram::serializeRoundTrips() {
    QFETCH(std::int64_t, highest);
    QFETCH(int, digits);
    QFETCH(QByteArray, kind);
    QFETCH(int, samples);
    const auto h = histogramOf(makeSamples(kind, samples, 9), highest, digits);
    const auto text = h.serialize();
    const auto back = LatencyHistogram::deserialize(text);
    QVERIFY2(back.has_value(), text.substr(0, 200).c_str());
    QVERIFY(*back == h);
    QCOMPARE(back->overflow(), h.overflow());
    QCOMPARE(back->serialize(), text);
}

void TestLatencyHistogram::deserializeRejectsMalformed_data() {
    QTest::addColumn<QByteArray>("text");
    const auto row = [](const char* name, QByteArray text) { QTest::newRow(name) << text; };
    row("empty", "");
    row("magic only", "LH1");
    row("wrong magic", "LH2 1000 3 0 0 0");
    row("lower-case magic", "lh1 1000 3 0 0 0");
    row("missing field", "LH1 1000 3 0 0");
    row("digits 0", "LH1 1000 0 0 0 0");
    row("digits 6", "LH1 1000 6 0 0 0");
    row("highest 0", "LH1 0 3 0 0 0");
    row("highest too large", "LH1 4611686018427387904 3 0 0 0");
    row("not a number", "LH1 1000 three 0 0 0");
    row("number out of range", "LH1 99999999999999999999 3 0 0 0");
    row("leading space", " LH1 1000 3 0 0 0");
    row("double space", "LH1  1000 3 0 0 0");
    row("trailing space", "LH1 1000 3 5 5 0 6:1 ");
    row("trailing newline", "LH1 1000 3 5 5 0 6:1\n");
    row("embedded NUL", QByteArray("LH1 1000\0 3 0 0 0", 18));
    row("no colon", "LH1 1000 3 5 5 0 6");
    row("two colons", "LH1 1000 3 5 5 0 6:1:2");
    row("plus sign", "LH1 1000 3 5 5 0 +6:1");
    row("junk after count", "LH1 1000 3 5 5 0 6:1x");
    row("zero gap", "LH1 1000 3 0 0 0 1:1 0:1");
    row("negative gap", "LH1 1000 3 5 5 0 6:1 -1:1");
    row("zero count", "LH1 1000 3 5 5 0 6:0");
    row("negative count", "LH1 1000 3 5 5 0 6:-1");
    row("index past the end", "LH1 1000 3 5 5 0 99999999:1");
    row("huge gap", "LH1 1000 3 5 5 0 6:1 9223372036854775807:1");
    row("count sum overflows", "LH1 1000 3 5 6 0 6:9223372036854775807 1:1");
    row("empty with min", "LH1 1000 3 5 5 0");
    row("empty with overflow", "LH1 1000 3 0 0 1");
    row("min in wrong bucket", "LH1 1000 3 4 5 0 6:2");
    row("max in wrong bucket", "LH1 1000 3 5 7 0 6:2");
    row("min above max", "LH1 1000 3 6 5 0 6:1 1:1");
    row("negative min", "LH1 1000 3 -1 5 0 6:1");
    row("max above highest", "LH1 1000 3 5 1001 0 6:1 996:1");
    row("one value, two extremes", "LH1 1000000 3 3000 3001 0 2525:1");
    row("overflow below highest", "LH1 1000 3 5 5 1 6:1");
    row("overflow above its bucket", "LH1 1000 3 1000 1000 2 1001:1");
    row("negative overflow", "LH1 1000 3 5 5 -1 6:1");
}

void TestLatencyHistogram::deserializeRejectsMalformed() {
    QFETCH(QByteArray, text);
    QVERIFY(!LatencyHistogram::deserialize(std::string_view(text.constData(), size_t(text.size())))
                 .has_value());
}

void TestLatencyHistogram::deserializeAcceptsSharedBucketExtremes() {
    // 3000 and 3001 share a bucket; with two values both can be the exact extremes.
    const auto h = LatencyHistogram::deserialize("LH1 1000000 3 3000 3001 0 2525:2");
    QVERIFY(h.has_value());
    QCOMPARE(h->min(), 3000);
    QCOMPARE(h->max(), 3001);
    QCOMPARE(h->percentile(50), 3001); // the bucket's top, capped at max
    LatencyHistogram direct(1'000'000);
    direct.record(3000);
    direct.record(3001);
    QVERIFY(*h == direct);
}

namespace {

/// 30 seconds (100..129) of traffic whose latency grows with the second, fed to a 10-second ring
/// in shuffled order: late and out-of-order samples included. The ring ends up holding 120..129.
struct SlicedFixture {
    static constexpr std::int64_t kFirst = 100;
    static constexpr std::int64_t kLast = 129;
    static constexpr int kRing = 10;

    SlicedHistogram sliced{kRing};
    std::map<std::int64_t, std::vector<std::int64_t>> bySecond;

    SlicedFixture() {
        std::mt19937_64 rng(2024);
        std::vector<std::pair<std::int64_t, std::int64_t>> events;
        for (std::int64_t s = kFirst; s <= kLast; ++s) {
            std::lognormal_distribution<double> latency(std::log(1e6 * double(s - 95)), 0.7);
            for (int i = 0; i < 1'000; ++i) {
                events.emplace_back(s, static_cast<std::int64_t>(latency(rng)));
            }
        }
        std::shuffle(events.begin(), events.end(), rng);
        for (const auto& [second, value] : events) {
            sliced.record(second, value);
            bySecond[second].push_back(value);
        }
    }

    LatencyHistogram fresh(std::int64_t from, std::int64_t to) const {
        LatencyHistogram h;
        for (const auto& [second, values] : bySecond) {
            if (second >= from && second <= to) {
                for (const auto v : values) {
                    h.record(v);
                }
            }
        }
        return h;
    }
};

} // namespace

void TestLatencyHistogram::slicedWindowEqualsFreshHistogram_data() {
    QTest::addColumn<std::int64_t>("from");
    QTest::addColumn<std::int64_t>("to");
    QTest::addColumn<std::int64_t>("freshFrom"); // what of the window is still in the ring
    QTest::addColumn<std::int64_t>("freshTo");
    QTest::newRow("whole ring") << std::int64_t(120) << std::int64_t(129) << std::int64_t(120)
                                << std::int64_t(129);
    QTest::newRow("one second") << std::int64_t(125) << std::int64_t(125) << std::int64_t(125)
                                << std::int64_t(125);
    QTest::newRow("middle") << std::int64_t(122) << std::int64_t(126) << std::int64_t(122)
                            << std::int64_t(126);
    QTest::newRow("starts before the ring")
        << std::int64_t(110) << std::int64_t(123) << std::int64_t(120) << std::int64_t(123);
    QTest::newRow("runs past the newest")
        << std::int64_t(127) << std::int64_t(1'000) << std::int64_t(127) << std::int64_t(129);
    QTest::newRow("everything") << std::int64_t(INT64_MIN) << std::int64_t(INT64_MAX)
                                << std::int64_t(120) << std::int64_t(129);
    QTest::newRow("left the ring")
        << std::int64_t(100) << std::int64_t(119) << std::int64_t(1) << std::int64_t(0);
    QTest::newRow("reversed") << std::int64_t(126) << std::int64_t(122) << std::int64_t(1)
                              << std::int64_t(0);
}

void TestLatencyHistogram::slicedWindowEqualsFreshHistogram() {
    QFETCH(std::int64_t, from);
    QFETCH(std::int64_t, to);
    QFETCH(std::int64_t, freshFrom);
    QFETCH(std::int64_t, freshTo);
    const SlicedFixture f;
    const auto window = f.sliced.window(from, to);
    const auto expected = f.fresh(freshFrom, freshTo);
    QCOMPARE(window.count(), expected.count());
    for (const double p : kPercentiles) {
        QCOMPARE(window.percentile(p), expected.percentile(p));
    }
    QVERIFY(window == expected);
}

void TestLatencyHistogram::slicedTotalKeepsSecondsThatLeftTheRing() {
    const SlicedFixture f;
    QCOMPARE(f.sliced.newestSecond(), std::optional<std::int64_t>(SlicedFixture::kLast));
    QCOMPARE(f.sliced.window(SlicedFixture::kFirst, SlicedFixture::kLast).count(), 10 * 1'000);
    QCOMPARE(f.sliced.total().count(), 30 * 1'000);
    QVERIFY(f.sliced.total() == f.fresh(INT64_MIN, INT64_MAX));
}

void TestLatencyHistogram::slicedLateSampleDoesNotOverwriteNewerSecond() {
    SlicedHistogram s(3);
    s.record(10, 1'000);
    s.record(13, 2'000); // same slot as 10, which has now left the ring
    QCOMPARE(s.window(10, 10).count(), 0);
    s.record(10, 3'000); // late: only total() may see it
    s.record(12, 4'000); // late but still in the ring
    const auto w = s.window(0, 100);
    QCOMPARE(w.count(), 2);
    QCOMPARE(w.min(), 2'000);
    QCOMPARE(w.max(), 4'000);
    QCOMPARE(s.total().count(), 4);
    QCOMPARE(s.total().min(), 1'000);
}

void TestLatencyHistogram::slicedStaleSlotsLeaveTheWindow() {
    // A slot nobody has reused still holds its old second; it must age out all the same, or what
    // a window contains would depend on which slots happened to be overwritten.
    SlicedHistogram s(3);
    s.record(10, 1'000); // slot 1
    s.record(20, 2'000); // slot 2; the ring now covers 18..20 though slot 1 still holds 10
    QCOMPARE(s.window(0, 100).count(), 1);
    QCOMPARE(s.window(10, 10).count(), 0);
    QCOMPARE(s.total().count(), 2);
}

void TestLatencyHistogram::slicedHugeCountsAreNotTruncated() {
    // Per-slice entries hold 32-bit counts; larger weights must spill, not wrap.
    SlicedHistogram s(4);
    LatencyHistogram expected;
    for (const auto& [value, count] : {std::pair<std::int64_t, std::int64_t>{5'000, 10'000'000'000},
                                       {5'000, 4'294'967'295},
                                       {5'001, 3},
                                       {7, 1},
                                       {5'000, 1}}) {
        s.record(42, value, count);
        expected.record(value, count);
    }
    QVERIFY(s.window(42, 42) == expected);
    QVERIFY(s.total() == expected);
}

void TestLatencyHistogram::slicedWindowNeverAveragesPercentiles() {
    // 99 fast requests in one second, 1 slow one in the next: p99 over both seconds is fast,
    // while the average of the two per-second p99s would be about half a second.
    SlicedHistogram s(60);
    s.record(1, 1'000'000, 99);
    s.record(2, 1'000'000'000);
    const auto p99 = s.window(1, 2).percentile(99);
    QVERIFY2(std::abs(double(p99) - 1e6) <= 1e3, qPrintable(QString::number(p99)));
    QCOMPARE(s.window(1, 2).percentile(100), 1'000'000'000);
}

void TestLatencyHistogram::slicedMemoryStaysSparse() {
    // Ten minutes at 1,000 requests/s, log-normal around 20 ms, into a 300 s ring: sparse slices
    // hold at most 1,000 buckets (8 bytes each), far below 300 dense histograms (300 x 264 KiB).
    SlicedHistogram s(300);
    std::mt19937_64 rng(99);
    std::lognormal_distribution<double> latency(std::log(20e6), 1.0);
    for (std::int64_t second = 0; second < 600; ++second) {
        for (int i = 0; i < 1'000; ++i) {
            s.record(second, static_cast<std::int64_t>(latency(rng)));
        }
    }
    const auto bytes = s.memoryBytes();
    QVERIFY2(bytes < 300 * LatencyHistogram().memoryBytes() / 10,
             qPrintable(QString::number(bytes)));
    QCOMPARE(s.window(300, 599).count(), 300 * 1'000);
    QCOMPARE(s.total().count(), 600 * 1'000);
}

void TestLatencyHistogram::slicedReset() {
    SlicedHistogram s(5);
    s.record(1, 10);
    s.record(2, 20);
    s.reset();
    QCOMPARE(s.total().count(), 0);
    QCOMPARE(s.window(INT64_MIN, INT64_MAX).count(), 0);
    QVERIFY(!s.newestSecond().has_value());
    s.record(100, 30);
    QCOMPARE(s.window(100, 100).count(), 1);
}

QTEST_APPLESS_MAIN(TestLatencyHistogram)
#include "tst_latencyhistogram.moc"
