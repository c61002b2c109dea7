// PreciseWake: a timerfd-backed wake-up at a steady-clock instant. Each test waits on signals
// (QSignalSpy::wait), with a second wake-up as the sentinel where it shows that one did not fire.
#include "core/net/precisewake.h"

#include <QSignalSpy>
#include <QTest>

using namespace sluice;
using namespace std::chrono_literals;

class TestPreciseWake final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void firesOnceAtItsTimeNeverEarly();
    void aTimeThatHasPassedFiresAtOnce();
    void stopMeansNoTimeout();
    void armingAgainReplacesTheTime();

private:
    SteadyClock m_clock;
};

void TestPreciseWake::init() {
    PreciseWake wake;
    if (!wake.available()) {
        QSKIP("no timerfd on this system: the owners keep their own timers");
    }
}

void TestPreciseWake::firesOnceAtItsTimeNeverEarly() {
    PreciseWake wake;
    QSignalSpy fired(&wake, &PreciseWake::timeout);
    Nanos firedAt{0};
    connect(&wake, &PreciseWake::timeout, this, [&] { firedAt = m_clock.now(); });
    const Nanos due = m_clock.now() + 30ms;
    wake.startAt(due);
    QVERIFY(wake.isActive());
    QVERIFY(fired.wait(5000));
    QCOMPARE(fired.count(), 1);
    QVERIFY2(firedAt >= due,
             qPrintable(QStringLiteral("%1 ns early").arg((due - firedAt).count())));
    QVERIFY(!wake.isActive());
    // Once: a sentinel 50 ms later comes and goes with no second timeout.
    PreciseWake sentinel;
    QSignalSpy sentinelFired(&sentinel, &PreciseWake::timeout);
    sentinel.startAt(m_clock.now() + 50ms);
    QVERIFY(sentinelFired.wait(5000));
    QCOMPARE(fired.count(), 1);
}

void TestPreciseWake::aTimeThatHasPassedFiresAtOnce() {
    PreciseWake wake;
    QSignalSpy fired(&wake, &PreciseWake::timeout);
    wake.startAt(Nanos{0}); // the clock's origin, long past
    QVERIFY(fired.wait(5000));
    wake.startAt(m_clock.now() - 1s);
    QVERIFY(fired.wait(5000));
    QCOMPARE(fired.count(), 2);
}

void TestPreciseWake::stopMeansNoTimeout() {
    PreciseWake wake;
    QSignalSpy fired(&wake, &PreciseWake::timeout);
    wake.startAt(m_clock.now() + 10ms);
    wake.stop();
    QVERIFY(!wake.isActive());
    // Stopped after its time came but before the loop read it: still no timeout.
    PreciseWake passed;
    QSignalSpy passedFired(&passed, &PreciseWake::timeout);
    passed.startAt(Nanos{0});
    passed.stop();
    PreciseWake sentinel;
    QSignalSpy sentinelFired(&sentinel, &PreciseWake::timeout);
    sentinel.startAt(m_clock.now() + 60ms);
    QVERIFY(sentinelFired.wait(5000));
    QCOMPARE(fired.count(), 0);
    QCOMPARE(passedFired.count(), 0);
}

void TestPreciseWake::armingAgainReplacesTheTime() {
    PreciseWake later;
    QSignalSpy laterFired(&later, &PreciseWake::timeout);
    Nanos firedAt{0};
    connect(&later, &PreciseWake::timeout, this, [&] { firedAt = m_clock.now(); });
    later.startAt(m_clock.now() + 10ms);
    const Nanos due = m_clock.now() + 80ms;
    later.startAt(due); // replaces the 10 ms
    PreciseWake sentinel;
    QSignalSpy sentinelFired(&sentinel, &PreciseWake::timeout);
    sentinel.startAt(m_clock.now() + 40ms);
    QVERIFY(sentinelFired.wait(5000));
    QCOMPARE(laterFired.count(), 0);
    QVERIFY(laterFired.wait(5000));
    QVERIFY(firedAt >= due);

    PreciseWake sooner; // and the other way: a far time replaced by a near one
    QSignalSpy soonerFired(&sooner, &PreciseWake::timeout);
    sooner.startAt(m_clock.now() + 3600s);
    sooner.startAt(m_clock.now() + 10ms);
    QVERIFY(soonerFired.wait(5000));
}

QTEST_GUILESS_MAIN(TestPreciseWake)
#include "tst_precisewake.moc"
