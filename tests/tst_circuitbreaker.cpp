#include "core/engine/circuitbreaker.h"

#include <QTest>

using namespace sluice;
using namespace std::chrono_literals;

namespace {
using State = CircuitBreaker::State;

// Drives one call through the breaker: acquire, then report.
bool call(CircuitBreaker& breaker, bool fail) {
    if (!breaker.tryAcquire()) {
        return false;
    }
    if (fail) {
        breaker.onFailure();
    } else {
        breaker.onSuccess();
    }
    return true;
}

// Opens a default breaker (count window 20, minimum 10, rate 0.5) with ten failures.
void openWithFailures(CircuitBreaker& breaker) {
    for (int i = 0; i < 10; ++i) {
        call(breaker, true);
    }
}
} // namespace

class TestCircuitBreaker final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void staysClosedBelowMinimumCalls_data();
    void staysClosedBelowMinimumCalls();
    void opensAtThreshold_data();
    void opensAtThreshold();
    void timeWindowForgetsOldOutcomes();
    void openRejectsUntilHalfOpen();
    void allProbesSucceedCloses();
    void probeFailureReopens();
    void onIgnoredReturnsProbePermit();
    void ignoredOutcomesAreNotCounted();
    void lateOutcomesWhileOpenAreIgnored();
    void disabledAlwaysAdmits();
    void setConfigAppliesLive();
    void resetCloses();
    void stateNames();
};

void TestCircuitBreaker::staysClosedBelowMinimumCalls_data() {
    QTest::addColumn<int>("window");
    QTest::newRow("count") << static_cast<int>(BreakerConfig::Window::Count);
    QTest::newRow("time") << static_cast<int>(BreakerConfig::Window::Time);
}

void TestCircuitBreaker::staysClosedBelowMinimumCalls() {
    QFETCH(int, window);
    ManualClock clock;
    BreakerConfig config;
    config.window = static_cast<BreakerConfig::Window>(window);
    CircuitBreaker breaker(config, clock);
    for (int i = 0; i < 9; ++i) {
        QVERIFY(call(breaker, true));
        clock.advance(10ms);
    }
    QCOMPARE(breaker.state(), State::Closed);
    QCOMPARE(breaker.timesOpened(), 0);
    QVERIFY(call(breaker, true));
    QCOMPARE(breaker.state(), State::Open);
    QCOMPARE(breaker.timesOpened(), 1);
}

// outcomes: 'f' failure, 's' success, one call every gapMs. openAt: index of the call after
// which the breaker must be open (-1: never), and closed before it.
void TestCircuitBreaker::opensAtThreshold_data() {
    QTest::addColumn<int>("window");
    QTest::addColumn<int>("windowCalls");
    QTest::addColumn<qint64>("windowMs");
    QTest::addColumn<int>("minimumCalls");
    QTest::addColumn<double>("rate");
    QTest::addColumn<qint64>("gapMs");
    QTest::addColumn<QString>("outcomes");
    QTest::addColumn<int>("openAt");
    const int count = static_cast<int>(BreakerConfig::Window::Count);
    const int time = static_cast<int>(BreakerConfig::Window::Time);

    QTest::newRow("count: half of ten, failures first")
        << count << 20 << qint64(0) << 10 << 0.5 << qint64(1) << QStringLiteral("fffffsssss") << 9;
    QTest::newRow("count: half of ten, failures last")
        << count << 20 << qint64(0) << 10 << 0.5 << qint64(1) << QStringLiteral("sssssfffff") << 9;
    QTest::newRow("count: just under the rate never opens")
        << count << 20 << qint64(0) << 10 << 0.5 << qint64(1)
        << QStringLiteral("ffffssssssfsfsfsfsfsfsfs") << -1;
    QTest::newRow("count: 0.3 is exact, 3 of 10 opens")
        << count << 10 << qint64(0) << 10 << 0.3 << qint64(1) << QStringLiteral("fffsssssss") << 9;
    QTest::newRow("count: only the last N count")
        << count << 4 << qint64(0) << 4 << 0.75 << qint64(1) << QStringLiteral("fsssfsff") << 7;
    QTest::newRow("count: minimum above window size is capped")
        << count << 5 << qint64(0) << 10 << 0.5 << qint64(1) << QStringLiteral("fffff") << 4;
    QTest::newRow("count: all successes never open")
        << count << 20 << qint64(0) << 10 << 0.5 << qint64(1)
        << QStringLiteral("ssssssssssssssssssssssssssssss") << -1;
    QTest::newRow("count: window 6 sees 3 of 5")
        << count << 6 << qint64(0) << 4 << 0.6 << qint64(300) << QStringLiteral("ffssff") << 4;
    QTest::newRow("time: half of ten") << time << 0 << qint64(10000) << 10 << 0.5 << qint64(100)
                                       << QStringLiteral("fffffsssss") << 9;
    QTest::newRow("time: same calls as count row, old failures already gone")
        << time << 0 << qint64(1000) << 4 << 0.6 << qint64(300) << QStringLiteral("ffssff") << -1;
    QTest::newRow("time: a burst inside the window opens")
        << time << 0 << qint64(1000) << 4 << 0.6 << qint64(300) << QStringLiteral("ssssssssffff")
        << 10;
}

void TestCircuitBreaker::opensAtThreshold() {
    QFETCH(int, window);
    QFETCH(int, windowCalls);
    QFETCH(qint64, windowMs);
    QFETCH(int, minimumCalls);
    QFETCH(double, rate);
    QFETCH(qint64, gapMs);
    QFETCH(QString, outcomes);
    QFETCH(int, openAt);
    ManualClock clock;
    BreakerConfig config;
    config.window = static_cast<BreakerConfig::Window>(window);
    config.windowCalls = windowCalls;
    config.windowDuration = std::chrono::milliseconds(windowMs);
    config.minimumCalls = minimumCalls;
    config.failureRate = rate;
    CircuitBreaker breaker(config, clock);
    for (int i = 0; i < outcomes.size(); ++i) {
        QVERIFY2(call(breaker, outcomes[i] == QLatin1Char('f')),
                 qPrintable(QStringLiteral("call %1 rejected").arg(i)));
        const bool expectOpen = openAt >= 0 && i >= openAt;
        if ((breaker.state() == State::Open) != expectOpen) {
            QFAIL(
                qPrintable(QStringLiteral("after call %1: expected %2, got %3")
                               .arg(i)
                               .arg(expectOpen ? QStringLiteral("open") : QStringLiteral("closed"))
                               .arg(QLatin1String(breakerStateName(breaker.state())))));
        }
        if (expectOpen) {
            break;
        }
        clock.advance(std::chrono::milliseconds(gapMs));
    }
}

// Buckets are windowDuration / 20 = 500 ms wide; an outcome counts until a full window has
// passed since the end of its bucket, never less than windowDuration.
void TestCircuitBreaker::timeWindowForgetsOldOutcomes() {
    BreakerConfig config;
    config.window = BreakerConfig::Window::Time;
    config.windowDuration = 10s;
    config.minimumCalls = 10;

    for (const bool justInTime : {true, false}) {
        ManualClock clock;
        CircuitBreaker breaker(config, clock);
        for (int i = 0; i < 9; ++i) {
            call(breaker, true);
        }
        clock.set(justInTime ? 10500ms - 1ns : Nanos{10500ms});
        call(breaker, true);
        QCOMPARE(breaker.state(), justInTime ? State::Open : State::Closed);
    }

    // A long-past incident is forgotten entirely: new failures start a new count.
    ManualClock clock;
    CircuitBreaker breaker(config, clock);
    for (int i = 0; i < 9; ++i) {
        call(breaker, true);
    }
    clock.advance(1h);
    for (int i = 0; i < 9; ++i) {
        call(breaker, true);
        QCOMPARE(breaker.state(), State::Closed);
    }
    call(breaker, true);
    QCOMPARE(breaker.state(), State::Open);
}

void TestCircuitBreaker::openRejectsUntilHalfOpen() {
    ManualClock clock(100s);
    CircuitBreaker breaker(BreakerConfig{}, clock);
    openWithFailures(breaker);
    QCOMPARE(breaker.state(), State::Open);
    QCOMPARE(breaker.untilHalfOpen(), Nanos{5s});
    QVERIFY(!breaker.tryAcquire());
    clock.advance(5s - 1ns);
    QVERIFY(!breaker.tryAcquire());
    QCOMPARE(breaker.state(), State::Open);
    QCOMPARE(breaker.untilHalfOpen(), Nanos{1ns});
    clock.advance(1ns);
    QCOMPARE(breaker.state(), State::HalfOpen);
    QCOMPARE(breaker.untilHalfOpen(), Nanos{0});
    QVERIFY(breaker.tryAcquire());
    QVERIFY(breaker.tryAcquire());
    QVERIFY(breaker.tryAcquire());
    QVERIFY(!breaker.tryAcquire());
    clock.advance(1h);
    QVERIFY(!breaker.tryAcquire()); // no more permits however long the probes take
    QCOMPARE(breaker.state(), State::HalfOpen);
}

void TestCircuitBreaker::allProbesSucceedCloses() {
    ManualClock clock;
    CircuitBreaker breaker(BreakerConfig{}, clock);
    openWithFailures(breaker);
    clock.advance(5s);
    for (int i = 0; i < 3; ++i) {
        QVERIFY(breaker.tryAcquire());
    }
    breaker.onSuccess();
    breaker.onSuccess();
    QCOMPARE(breaker.state(), State::HalfOpen);
    QVERIFY(!breaker.tryAcquire());
    breaker.onSuccess();
    QCOMPARE(breaker.state(), State::Closed);
    QCOMPARE(breaker.untilHalfOpen(), Nanos{0});
    // A fresh window: nine failures are below the minimum again.
    for (int i = 0; i < 9; ++i) {
        QVERIFY(call(breaker, true));
    }
    QCOMPARE(breaker.state(), State::Closed);
    QVERIFY(call(breaker, true));
    QCOMPARE(breaker.state(), State::Open);
    QCOMPARE(breaker.timesOpened(), 2);
}

void TestCircuitBreaker::probeFailureReopens() {
    ManualClock clock;
    CircuitBreaker breaker(BreakerConfig{}, clock);
    openWithFailures(breaker);
    clock.advance(7s);
    for (int i = 0; i < 3; ++i) {
        QVERIFY(breaker.tryAcquire());
    }
    breaker.onSuccess();
    clock.advance(250ms);
    breaker.onFailure();
    QCOMPARE(breaker.state(), State::Open);
    QCOMPARE(breaker.timesOpened(), 2);
    // A full openDuration from the probe failure, not from the first opening.
    QCOMPARE(breaker.untilHalfOpen(), Nanos{5s});
    breaker.onSuccess(); // the third probe finishing late changes nothing
    QCOMPARE(breaker.state(), State::Open);
    clock.advance(5s - 1ns);
    QVERIFY(!breaker.tryAcquire());
    clock.advance(1ns);
    QVERIFY(breaker.tryAcquire());
    QCOMPARE(breaker.state(), State::HalfOpen);
}

void TestCircuitBreaker::onIgnoredReturnsProbePermit() {
    ManualClock clock;
    CircuitBreaker breaker(BreakerConfig{}, clock);
    openWithFailures(breaker);
    clock.advance(5s);
    for (int i = 0; i < 3; ++i) {
        QVERIFY(breaker.tryAcquire());
    }
    QVERIFY(!breaker.tryAcquire());
    breaker.onIgnored();
    QCOMPARE(breaker.state(), State::HalfOpen);
    QVERIFY(breaker.tryAcquire());
    QVERIFY(!breaker.tryAcquire());
    // Three probes out; the ignored one did not count as a success.
    breaker.onSuccess();
    breaker.onSuccess();
    QCOMPARE(breaker.state(), State::HalfOpen);
    breaker.onSuccess();
    QCOMPARE(breaker.state(), State::Closed);
    // More ignores than permits cannot mint extra probes.
    openWithFailures(breaker);
    clock.advance(5s);
    QCOMPARE(breaker.state(), State::HalfOpen);
    for (int i = 0; i < 10; ++i) {
        breaker.onIgnored();
    }
    for (int i = 0; i < 3; ++i) {
        QVERIFY(breaker.tryAcquire());
    }
    QVERIFY(!breaker.tryAcquire());
}

void TestCircuitBreaker::ignoredOutcomesAreNotCounted() {
    ManualClock clock;
    BreakerConfig config;
    config.windowCalls = 10;
    CircuitBreaker breaker(config, clock);
    for (int i = 0; i < 5; ++i) {
        call(breaker, true);
    }
    // Were ignores counted as calls, they would push the failures out of the count window.
    for (int i = 0; i < 100; ++i) {
        QVERIFY(breaker.tryAcquire());
        breaker.onIgnored();
    }
    for (int i = 0; i < 4; ++i) {
        call(breaker, false);
    }
    QCOMPARE(breaker.state(), State::Closed);
    call(breaker, false); // 5 of 10
    QCOMPARE(breaker.state(), State::Open);
}

void TestCircuitBreaker::lateOutcomesWhileOpenAreIgnored() {
    ManualClock clock;
    CircuitBreaker breaker(BreakerConfig{}, clock);
    openWithFailures(breaker);
    clock.advance(2s);
    for (int i = 0; i < 20; ++i) {
        breaker.onFailure();
        breaker.onSuccess();
        breaker.onIgnored();
    }
    QCOMPARE(breaker.state(), State::Open);
    QCOMPARE(breaker.timesOpened(), 1);
    QCOMPARE(breaker.untilHalfOpen(), Nanos{3s});
    // And outcomes with no probe outstanding do not decide a half-open breaker either.
    clock.advance(3s);
    QCOMPARE(breaker.state(), State::HalfOpen);
    breaker.onFailure();
    for (int i = 0; i < 5; ++i) {
        breaker.onSuccess();
    }
    QCOMPARE(breaker.state(), State::HalfOpen);
}

void TestCircuitBreaker::disabledAlwaysAdmits() {
    ManualClock clock;
    BreakerConfig config;
    config.enabled = false;
    CircuitBreaker breaker(config, clock);
    for (int i = 0; i < 1000; ++i) {
        QVERIFY(call(breaker, true));
    }
    QCOMPARE(breaker.state(), State::Closed);
    QCOMPARE(breaker.timesOpened(), 0);

    // Disabling an open breaker lets traffic through at once; enabling starts clean.
    config.enabled = true;
    breaker.setConfig(config);
    openWithFailures(breaker);
    QVERIFY(!breaker.tryAcquire());
    config.enabled = false;
    breaker.setConfig(config);
    QVERIFY(breaker.tryAcquire());
    QCOMPARE(breaker.state(), State::Closed);
    config.enabled = true;
    breaker.setConfig(config);
    QCOMPARE(breaker.state(), State::Closed);
    QVERIFY(breaker.tryAcquire());
}

void TestCircuitBreaker::setConfigAppliesLive() {
    ManualClock clock;
    BreakerConfig config;
    config.windowCalls = 20;
    config.minimumCalls = 6;
    CircuitBreaker breaker(config, clock);
    // f f s s s s: 2 of 6, below 0.5.
    for (const bool fail : {true, true, false, false, false, false}) {
        call(breaker, fail);
    }
    QCOMPARE(breaker.state(), State::Closed);
    // Shrinking the window keeps the newest four, all successes: one more failure is 1 of 4.
    // Had the old failures been kept, 3 of 7 would open at 0.4.
    config.windowCalls = 4;
    config.failureRate = 0.4;
    breaker.setConfig(config);
    call(breaker, true);
    QCOMPARE(breaker.state(), State::Closed);
    // A lower rate applies from the next outcome: s s f s is 1 of 4.
    config.failureRate = 0.25;
    breaker.setConfig(config);
    QCOMPARE(breaker.state(), State::Closed);
    call(breaker, false);
    QCOMPARE(breaker.state(), State::Open);
    // A shorter openDuration applies to a breaker already open.
    config.openDuration = 1s;
    breaker.setConfig(config);
    QCOMPARE(breaker.untilHalfOpen(), Nanos{1s});
    clock.advance(1s);
    QCOMPARE(breaker.state(), State::HalfOpen);
    // Fewer probes while half-open: the ones already succeeded may be enough.
    QVERIFY(breaker.tryAcquire());
    QVERIFY(breaker.tryAcquire());
    breaker.onSuccess();
    config.halfOpenProbes = 1;
    breaker.setConfig(config);
    QCOMPARE(breaker.state(), State::Closed);
    QCOMPARE(breaker.config().halfOpenProbes, 1);
}

void TestCircuitBreaker::resetCloses() {
    ManualClock clock;
    CircuitBreaker breaker(BreakerConfig{}, clock);
    openWithFailures(breaker);
    QCOMPARE(breaker.state(), State::Open);
    breaker.reset();
    QCOMPARE(breaker.state(), State::Closed);
    QVERIFY(breaker.tryAcquire());
    QCOMPARE(breaker.timesOpened(), 1);
    for (int i = 0; i < 9; ++i) {
        call(breaker, true);
    }
    QCOMPARE(breaker.state(), State::Closed);
}

void TestCircuitBreaker::stateNames() {
    QCOMPARE(QLatin1String(breakerStateName(State::Closed)), QLatin1String("closed"));
    QCOMPARE(QLatin1String(breakerStateName(State::Open)), QLatin1String("open"));
    QCOMPARE(QLatin1String(breakerStateName(State::HalfOpen)), QLatin1String("half_open"));
}

QTEST_GUILESS_MAIN(TestCircuitBreaker)
#include "tst_circuitbreaker.moc"
