#include "core/engine/dispatchpace.h"

#include <QTest>

using namespace sluice;
using namespace std::chrono_literals;

class TestDispatchPace final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void nothingKnownWhileNotSaturated();
    void leadCoversTheLongestGapTwiceAndThreeMeanGaps();
    void expectedWaitScalesWithPosition();
};

void TestDispatchPace::nothingKnownWhileNotSaturated() {
    DispatchPace pace;
    QVERIFY(!pace.onDispatch(1s, false));
    QVERIFY(!pace.onDispatch(2s, false));
    QCOMPARE(pace.expectedWait(3), Nanos{0});
}

void TestDispatchPace::leadCoversTheLongestGapTwiceAndThreeMeanGaps() {
    DispatchPace pace;
    QVERIFY(!pace.onDispatch(1ms, true));     // the first gap starts here
    auto lead = pace.onDispatch(101ms, true); // gap 100 ms: mean 100, longest 100
    QVERIFY(lead);
    QCOMPARE(*lead, Nanos{300ms});       // 3 mean gaps > 2 longest
    lead = pace.onDispatch(401ms, true); // gap 300 ms: mean 120, longest 300
    QVERIFY(lead);
    QCOMPARE(*lead, Nanos{600ms}); // 2 longest > 3 mean
    // The queue ran empty: the next gap is measured, then nothing until it fills again.
    QVERIFY(pace.onDispatch(501ms, false));
    QVERIFY(!pace.onDispatch(10s, false));
}

void TestDispatchPace::expectedWaitScalesWithPosition() {
    DispatchPace pace;
    pace.onDispatch(1ms, true);
    pace.onDispatch(51ms, true); // mean gap 50 ms
    QCOMPARE(pace.expectedWait(0), Nanos{50ms});
    QCOMPARE(pace.expectedWait(3), Nanos{200ms});
    QCOMPARE(pace.expectedWait(-1), Nanos{0});
}

QTEST_GUILESS_MAIN(TestDispatchPace)
#include "tst_dispatchpace.moc"
