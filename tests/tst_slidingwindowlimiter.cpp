#include "core/engine/slidingwindowlimiter.h"

#include <QTest>

#include <random>
#include <vector>

using namespace sluice;
using namespace std::chrono_literals;

class TestSlidingWindowLimiter final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sequence_data();
    void sequence();
    void neverMoreThanLimitInAnyWindow_data();
    void neverMoreThanLimitInAnyWindow();
    void retryAfterIsExact();
    void resetAfterCoversNewestEntry();
    void limitChangesApplyAtOnce();
    void costLargerThanLimitIsTooLarge();
    void unlimitedAdmitsEverything();
    void peekDoesNotAdmit();
};

// Steps: "advance_ms:cost:expected" separated by spaces, e.g. "0:1:y 59999:1:n 1:1:y".
void TestSlidingWindowLimiter::sequence_data() {
    QTest::addColumn<qint64>("limit");
    QTest::addColumn<qint64>("windowMs");
    QTest::addColumn<QString>("steps");
    QTest::newRow("fills then refuses")
        << qint64(3) << qint64(60000) << QStringLiteral("0:1:y 0:1:y 0:1:y 0:1:n");
    QTest::newRow("no double burst at the window edge")
        << qint64(2) << qint64(60000)
        << QStringLiteral("59000:1:y 500:1:y 500:1:n 58999:1:n 1:1:y 500:1:y 0:1:n");
    QTest::newRow("frees exactly one window later")
        << qint64(1) << qint64(1000) << QStringLiteral("0:1:y 999:1:n 1:1:y");
    QTest::newRow("weighted costs")
        << qint64(100) << qint64(60000)
        << QStringLiteral("0:60:y 10:50:n 0:40:y 0:1:n 59990:1:y 10:60:y");
    QTest::newRow("zero cost always passes")
        << qint64(1) << qint64(1000) << QStringLiteral("0:1:y 0:0:y 0:1:n");
}

void TestSlidingWindowLimiter::sequence() {
    QFETCH(qint64, limit);
    QFETCH(qint64, windowMs);
    QFETCH(QString, steps);
    SlidingWindowLimiter limiter(limit, std::chrono::milliseconds(windowMs));
    Nanos now{0};
    int index = 0;
    for (const QString& step : steps.split(QLatin1Char(' '))) {
        const QStringList parts = step.split(QLatin1Char(':'));
        QCOMPARE(parts.size(), 3);
        now += std::chrono::milliseconds(parts[0].toLongLong());
        const bool expected = parts[2] == QLatin1String("y");
        const auto d = limiter.tryAcquire(parts[1].toLongLong(), now);
        if (d.allowed != expected) {
            QFAIL(qPrintable(
                QStringLiteral("step %1 (%2): expected %3").arg(index).arg(step).arg(expected)));
        }
        ++index;
    }
}

void TestSlidingWindowLimiter::neverMoreThanLimitInAnyWindow_data() {
    QTest::addColumn<qint64>("limit");
    QTest::addColumn<double>("meanGapMs");
    QTest::addColumn<quint64>("seed");
    QTest::newRow("600/min, heavy overload") << qint64(600) << 10.0 << quint64(1);
    QTest::newRow("600/min, near the limit") << qint64(600) << 95.0 << quint64(2);
    QTest::newRow("5/min, sub-millisecond bursts") << qint64(5) << 0.3 << quint64(3);
    QTest::newRow("100000/min, fast") << qint64(100000) << 0.2 << quint64(4);
}

// Simulated 10 minutes of Poisson arrivals at sub-millisecond timestamps; every pair of admitted
// requests is checked against the exact window definition by brute force.
void TestSlidingWindowLimiter::neverMoreThanLimitInAnyWindow() {
    QFETCH(qint64, limit);
    QFETCH(double, meanGapMs);
    QFETCH(quint64, seed);
    const Nanos window = 60s;
    SlidingWindowLimiter limiter(limit, window);
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> gap(1.0 / (meanGapMs * 1e6));
    std::vector<Nanos> admitted;
    Nanos now{0};
    std::int64_t offered = 0;
    while (now < 10min) {
        now += Nanos{static_cast<std::int64_t>(gap(rng)) + 1};
        ++offered;
        if (limiter.tryAcquire(1, now).allowed) {
            admitted.push_back(now);
        }
    }
    size_t start = 0;
    for (size_t end = 0; end < admitted.size(); ++end) {
        while (admitted[end] - admitted[start] >= window) {
            ++start;
        }
        QVERIFY2(static_cast<std::int64_t>(end - start + 1) <= limit,
                 qPrintable(QStringLiteral("%1 admitted within one window").arg(end - start + 1)));
    }
    // Not overly strict either: under overload it admits (almost) the full limit per window.
    const std::int64_t expected = std::min<std::int64_t>(offered, limit * 10);
    QVERIFY2(
        static_cast<std::int64_t>(admitted.size()) >= expected * 95 / 100,
        qPrintable(
            QStringLiteral("admitted %1 of an expected %2").arg(admitted.size()).arg(expected)));
}

void TestSlidingWindowLimiter::retryAfterIsExact() {
    SlidingWindowLimiter limiter(3, 60s);
    const Nanos t0 = 1000s + 250us;
    QVERIFY(limiter.tryAcquire(1, t0).allowed);
    QVERIFY(limiter.tryAcquire(1, t0 + 10s).allowed);
    QVERIFY(limiter.tryAcquire(1, t0 + 20s).allowed);
    const auto refused = limiter.tryAcquire(1, t0 + 30s);
    QVERIFY(!refused.allowed);
    QCOMPARE(refused.remaining, 0);
    // The first admission leaves the window 60 s after it (rounded up to the millisecond).
    QVERIFY(refused.retryAfter >= 30s);
    QVERIFY(refused.retryAfter <= 30s + 1ms);
    const Nanos retryAt = t0 + 30s + refused.retryAfter;
    QVERIFY(!limiter.peek(1, retryAt - 1ms).allowed);
    QVERIFY(limiter.tryAcquire(1, retryAt).allowed);
}

void TestSlidingWindowLimiter::resetAfterCoversNewestEntry() {
    SlidingWindowLimiter limiter(10, 60s);
    limiter.tryAcquire(1, 0s);
    const auto d = limiter.tryAcquire(1, 15s);
    QCOMPARE(d.remaining, 8);
    QCOMPARE(d.used, 2);
    QCOMPARE(d.resetAfter, Nanos{60s});
    QCOMPARE(limiter.peek(1, 30s).resetAfter, Nanos{45s});
    QCOMPARE(limiter.used(61s), 1);
    QCOMPARE(limiter.used(75s), 0);
}

void TestSlidingWindowLimiter::limitChangesApplyAtOnce() {
    SlidingWindowLimiter limiter(5, 60s);
    for (int i = 0; i < 4; ++i) {
        QVERIFY(limiter.tryAcquire(1, Nanos{i}).allowed);
    }
    limiter.setLimit(4);
    QVERIFY(!limiter.tryAcquire(1, 1s).allowed);
    limiter.setLimit(6);
    QVERIFY(limiter.tryAcquire(1, 1s).allowed);
    QVERIFY(limiter.tryAcquire(1, 1s).allowed);
    QVERIFY(!limiter.tryAcquire(1, 1s).allowed);
}

void TestSlidingWindowLimiter::costLargerThanLimitIsTooLarge() {
    SlidingWindowLimiter limiter(100, 60s);
    const auto d = limiter.tryAcquire(101, 0s);
    QVERIFY(!d.allowed);
    QVERIFY(d.tooLarge);
    QCOMPARE(limiter.used(0s), 0);
    QVERIFY(limiter.tryAcquire(100, 0s).allowed);
}

void TestSlidingWindowLimiter::unlimitedAdmitsEverything() {
    SlidingWindowLimiter limiter(0, 60s);
    for (int i = 0; i < 10000; ++i) {
        QVERIFY(limiter.tryAcquire(1000, Nanos{i}).allowed);
    }
    QVERIFY(limiter.unlimited());
}

void TestSlidingWindowLimiter::peekDoesNotAdmit() {
    SlidingWindowLimiter limiter(1, 60s);
    QVERIFY(limiter.peek(1, 0s).allowed);
    QVERIFY(limiter.peek(1, 0s).allowed);
    QVERIFY(limiter.tryAcquire(1, 0s).allowed);
    QVERIFY(!limiter.peek(1, 0s).allowed);
}

QTEST_APPLESS_MAIN(TestSlidingWindowLimiter)
#include "tst_slidingwindowlimiter.moc"
