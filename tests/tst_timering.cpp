// TimeRing: the bounded history behind every live chart, and its min/max decimation, checked
// against a brute-force reference on seeded random data.

#include "ui/charts/timering.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <random>
#include <utility>

using sluice::TimeRing;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Sample {
    double t;
    double v;
};

/// The reference: per bucket the first minimum and the first maximum, straight from the
/// definition in timering.h.
QList<QPointF> bruteForce(const std::deque<Sample>& samples, double from, double to, int buckets,
                          double xOffset, double* maxValue) {
    struct Bucket {
        int min = -1;
        int max = -1;
    };
    std::vector<Bucket> b(buckets);
    double seenMax = kNaN;
    const double scale = to > from ? buckets / (to - from) : 0.0;
    for (int i = 0; i < static_cast<int>(samples.size()); ++i) {
        const Sample& s = samples[i];
        if (s.t < from || s.t > to || std::isnan(s.v)) {
            continue;
        }
        const int k = std::min(static_cast<int>((s.t - from) * scale), buckets - 1);
        if (b[k].min < 0 || s.v < samples[b[k].min].v) {
            b[k].min = i;
        }
        if (b[k].max < 0 || s.v > samples[b[k].max].v) {
            b[k].max = i;
        }
        if (std::isnan(seenMax) || s.v > seenMax) {
            seenMax = s.v;
        }
    }
    QList<QPointF> out;
    for (const Bucket& k : b) {
        if (k.min < 0) {
            continue;
        }
        const int first = std::min(k.min, k.max);
        const int second = std::max(k.min, k.max);
        out.append(QPointF(samples[first].t + xOffset, samples[first].v));
        if (samples[k.min].v != samples[k.max].v) {
            out.append(QPointF(samples[second].t + xOffset, samples[second].v));
        }
    }
    *maxValue = seenMax;
    return out;
}

QString describe(const QList<QPointF>& points) {
    QString text;
    for (const QPointF& p : points.mid(0, 12)) {
        text += QStringLiteral("(%1,%2) ").arg(p.x()).arg(p.y());
    }
    return text;
}

} // namespace

class TestTimeRing final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void emptyRing();
    void appendAndLast();
    void wrapsKeepingNewest();
    void clampsEarlierTime();
    void decimateMatchesBruteForce_data();
    void decimateMatchesBruteForce();
    void decimateRespectsRangeAndOffset();
    void decimateGaps();
    void decimateOnePointForFlatBucket();
    void decimateDegenerateArguments();
};

void TestTimeRing::emptyRing() {
    TimeRing ring(10);
    QCOMPARE(ring.size(), std::size_t(0));
    QCOMPARE(ring.capacity(), std::size_t(10));
    QVERIFY(ring.isEmpty());
    QVERIFY(std::isnan(ring.lastTime()));
    QVERIFY(std::isnan(ring.lastValue()));
    QList<QPointF> out{QPointF(1, 1)};
    double max = 0.0;
    ring.decimate(0, 100, 10, 0, out, &max);
    QVERIFY(out.isEmpty());
    QVERIFY(std::isnan(max));
    QCOMPARE(TimeRing().capacity(), std::size_t(36000));
    QCOMPARE(TimeRing(0).capacity(), std::size_t(1));
}

void TestTimeRing::appendAndLast() {
    TimeRing ring(4);
    ring.append(1.0, 10.0);
    ring.append(2.0, 20.0);
    QCOMPARE(ring.size(), std::size_t(2));
    QCOMPARE(ring.lastTime(), 2.0);
    QCOMPARE(ring.lastValue(), 20.0);
    ring.append(3.0, kNaN);
    QCOMPARE(ring.lastTime(), 3.0);
    QVERIFY(std::isnan(ring.lastValue()));
    ring.clear();
    QCOMPARE(ring.size(), std::size_t(0));
    QVERIFY(std::isnan(ring.lastTime()));
}

void TestTimeRing::wrapsKeepingNewest() {
    TimeRing ring(5);
    for (int i = 0; i < 12; ++i) {
        ring.append(i, 100 + i);
    }
    QCOMPARE(ring.size(), std::size_t(5));
    QCOMPARE(ring.capacity(), std::size_t(5));
    for (std::size_t i = 0; i < 5; ++i) {
        QCOMPARE(ring.timeAt(i), double(7 + i));
        QCOMPARE(ring.valueAt(i), double(107 + i));
    }
    QCOMPARE(ring.lastTime(), 11.0);
    QCOMPARE(ring.lastValue(), 111.0);

    // Decimation sees only what is kept.
    QList<QPointF> out;
    double max = 0.0;
    ring.decimate(0, 20, 20, 0, out, &max);
    QCOMPARE(out.size(), 5);
    QCOMPARE(out.first(), QPointF(7, 107));
    QCOMPARE(out.last(), QPointF(11, 111));
    QCOMPARE(max, 111.0);
}

void TestTimeRing::clampsEarlierTime() {
    TimeRing ring(8);
    ring.append(5.0, 1.0);
    ring.append(4.0, 2.0); // out of order: kept, at the last time
    QCOMPARE(ring.size(), std::size_t(2));
    QCOMPARE(ring.timeAt(1), 5.0);
    ring.append(kNaN, 3.0);
    QCOMPARE(ring.timeAt(2), 5.0);
}

void TestTimeRing::decimateMatchesBruteForce_data() {
    QTest::addColumn<int>("seed");
    QTest::addColumn<int>("capacity");
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("buckets");
    QTest::addColumn<double>("fromFraction");
    QTest::addColumn<double>("toFraction");

    QTest::newRow("one bucket") << 1 << 5000 << 3000 << 1 << 0.0 << 1.0;
    QTest::newRow("7 buckets") << 2 << 5000 << 3000 << 7 << 0.1 << 0.9;
    QTest::newRow("100 buckets wrapped") << 3 << 2000 << 7000 << 100 << 0.0 << 1.0;
    QTest::newRow("640 buckets wrapped") << 4 << 3600 << 9000 << 640 << 0.5 << 0.95;
    QTest::newRow("more buckets than samples") << 5 << 1000 << 800 << 5000 << 0.0 << 1.0;
    QTest::newRow("window before data") << 6 << 1000 << 800 << 50 << -0.5 << 0.2;
    QTest::newRow("window past data") << 7 << 1000 << 800 << 50 << 0.8 << 1.5;
    QTest::newRow("1279 buckets, 1 h") << 8 << 36000 << 40000 << 1279 << 0.0 << 1.0;
}

void TestTimeRing::decimateMatchesBruteForce() {
    QFETCH(int, seed);
    QFETCH(int, capacity);
    QFETCH(int, count);
    QFETCH(int, buckets);
    QFETCH(double, fromFraction);
    QFETCH(double, toFraction);

    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> value(0.0, 100.0);
    std::uniform_int_distribution<int> step(0, 3); // 0: repeated timestamps
    std::uniform_int_distribution<int> percent(0, 99);

    TimeRing ring(capacity);
    std::deque<Sample> kept;
    double t = 1000.0;
    for (int i = 0; i < count; ++i) {
        t += 0.05 * step(rng);
        // Integers make exact ties (equal min and max candidates) common; some gaps.
        double v = percent(rng) < 30 ? std::round(value(rng) / 10) : value(rng);
        if (percent(rng) < 3) {
            v = kNaN;
        }
        ring.append(t, v);
        kept.push_back({t, v});
        if (static_cast<int>(kept.size()) > capacity) {
            kept.pop_front();
        }
    }
    QCOMPARE(ring.size(), kept.size());

    const double first = kept.front().t;
    const double span = kept.back().t - first;
    const double from = first + fromFraction * span;
    const double to = first + toFraction * span;
    const double offset = -to;

    QList<QPointF> out;
    double max = 0.0;
    ring.decimate(from, to, buckets, offset, out, &max);
    double expectedMax = 0.0;
    const QList<QPointF> expected = bruteForce(kept, from, to, buckets, offset, &expectedMax);

    QVERIFY2(out == expected, qPrintable(QStringLiteral("got %1 points: %2\nwant %3 points: %4")
                                             .arg(out.size())
                                             .arg(describe(out))
                                             .arg(expected.size())
                                             .arg(describe(expected))));
    if (std::isnan(expectedMax)) {
        QVERIFY(std::isnan(max));
    } else {
        QCOMPARE(max, expectedMax);
    }
    QVERIFY(out.size() <= 2 * buckets);
    for (int i = 1; i < out.size(); ++i) {
        QVERIFY2(out[i - 1].x() <= out[i].x(), "not time-ordered");
    }
    for (const QPointF& p : out) {
        QVERIFY(p.x() >= from + offset && p.x() <= to + offset);
        QVERIFY(!std::isnan(p.y()));
    }
}

void TestTimeRing::decimateRespectsRangeAndOffset() {
    TimeRing ring(100);
    for (int i = 0; i < 100; ++i) {
        ring.append(i, i % 2 == 0 ? 1000 + i : i); // the edges hold the extremes
    }
    QList<QPointF> out;
    double max = 0.0;
    ring.decimate(10, 20, 100, -20, out, &max); // more buckets than samples: every sample
    QCOMPARE(out.size(), 11);
    QCOMPARE(out.first(), QPointF(-10, 1010));
    QCOMPARE(out.last(), QPointF(0, 1020));
    QCOMPARE(max, 1020.0);

    // One bucket over [10, 20]: its min is t=11 (11), its max t=20 (1020), in time order.
    ring.decimate(10, 20, 1, 0, out, &max);
    QCOMPARE(out, (QList<QPointF>{QPointF(11, 11), QPointF(20, 1020)}));

    // Boundaries are inclusive on both ends, and nothing outside leaks in.
    ring.decimate(10.5, 11.5, 4, 0, out, &max);
    QCOMPARE(out, (QList<QPointF>{QPointF(11, 11)}));
    QCOMPARE(max, 11.0);
}

void TestTimeRing::decimateGaps() {
    TimeRing ring(1000);
    for (int i = 0; i < 100; ++i) {
        const bool gap = i >= 40 && i < 60;
        ring.append(i, gap ? kNaN : 5.0 + (i % 3));
    }
    ring.append(100, kNaN);
    QList<QPointF> out;
    double max = 0.0;
    ring.decimate(0, 100, 10, 0, out, &max); // buckets of 10 s; buckets 4 and 5 are all gap
    for (const QPointF& p : out) {
        QVERIFY(!std::isnan(p.y()));
        QVERIFY2(p.x() < 40 || p.x() >= 60, qPrintable(QString::number(p.x())));
    }
    QCOMPARE(out.size(), 8 * 2);
    QCOMPARE(max, 7.0);

    // A range of gaps only: no points, no maximum.
    ring.decimate(41, 58, 5, 0, out, &max);
    QVERIFY(out.isEmpty());
    QVERIFY(std::isnan(max));
}

void TestTimeRing::decimateOnePointForFlatBucket() {
    TimeRing ring(100);
    for (int i = 0; i < 50; ++i) {
        ring.append(i * 0.1, 3.0);
    }
    QList<QPointF> out;
    ring.decimate(0, 5, 5, 0, out);
    QCOMPARE(out.size(), 5);
    for (int k = 0; k < 5; ++k) {
        QCOMPARE(out[k], QPointF(ring.timeAt(k * 10), 3.0)); // the first sample of each bucket
    }
}

void TestTimeRing::decimateDegenerateArguments() {
    TimeRing ring(100);
    for (int i = 0; i < 10; ++i) {
        ring.append(i, i);
    }
    QList<QPointF> out;
    double max = 0.0;
    ring.decimate(5, 5, 10, 0, out, &max); // one instant: all in one bucket
    QCOMPARE(out, (QList<QPointF>{QPointF(5, 5)}));
    ring.decimate(6, 5, 10, 0, out, &max); // inverted
    QVERIFY(out.isEmpty());
    QVERIFY(std::isnan(max));
    ring.decimate(0, 9, 0, 0, out, &max); // no buckets
    QVERIFY(out.isEmpty());
    ring.decimate(0, 9, 1, 0, out); // maxValue optional
    QCOMPARE(out, (QList<QPointF>{QPointF(0, 0), QPointF(9, 9)}));
}

QTEST_APPLESS_MAIN(TestTimeRing)
#include "tst_timering.moc"
