#include "core/server/mock/mockticker.h"

#include <QTest>

#include <memory>

using namespace sluice;
using namespace sluice::mock;
using namespace std::chrono_literals;

class TestMockTicker final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void runsStepsInDueOrder();
    void skipsStepsOfDeletedOwners();
    void stepScheduledFromAStepRunsLater();
    void neverRunsEarly();
};

void TestMockTicker::runsStepsInDueOrder() {
    MockTicker ticker;
    QObject owner;
    QList<int> order;
    const Nanos now = ticker.now();
    ticker.schedule(now + 30ms, &owner, [&] { order.append(3); });
    ticker.schedule(now + 10ms, &owner, [&] { order.append(1); });
    ticker.schedule(now + 20ms, &owner, [&] { order.append(2); });
    ticker.schedule(now + 20ms, &owner, [&] { order.append(22); }); // ties keep insertion order
    QTRY_COMPARE(order.size(), 4);
    QCOMPARE(order, (QList<int>{1, 2, 22, 3}));
    QCOMPARE(ticker.pending(), size_t(0));
}

void TestMockTicker::skipsStepsOfDeletedOwners() {
    MockTicker ticker;
    QObject keeper;
    auto doomed = std::make_unique<QObject>();
    bool ranDoomed = false;
    bool ranKept = false;
    ticker.schedule(ticker.now() + 5ms, doomed.get(), [&] { ranDoomed = true; });
    ticker.schedule(ticker.now() + 10ms, &keeper, [&] { ranKept = true; });
    doomed.reset();
    QTRY_VERIFY(ranKept);
    QVERIFY(!ranDoomed);
}

void TestMockTicker::stepScheduledFromAStepRunsLater() {
    MockTicker ticker;
    QObject owner;
    int runs = 0;
    std::function<void()> step = [&] {
        if (++runs < 5) {
            ticker.schedule(ticker.now() - 1ms, &owner, step); // already due: next pass
        }
    };
    ticker.schedule(ticker.now(), &owner, step);
    QCOMPARE(runs, 0); // scheduling never runs a step synchronously
    QTRY_COMPARE(runs, 5);
}

void TestMockTicker::neverRunsEarly() {
    MockTicker ticker;
    QObject owner;
    Nanos ranAt{0};
    const Nanos due = ticker.now() + 25ms;
    ticker.schedule(due, &owner, [&] { ranAt = ticker.now(); });
    QTRY_VERIFY(ranAt.count() != 0);
    QVERIFY2(ranAt >= due - 500us, qPrintable(QString::number((due - ranAt).count())));
}

QTEST_GUILESS_MAIN(TestMockTicker)
#include "tst_mockticker.moc"
