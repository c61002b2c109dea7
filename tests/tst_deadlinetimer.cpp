#include "core/net/deadlinetimer.h"

#include <QSignalSpy>
#include <QTest>

#include <vector>

using namespace sluice;
using namespace std::chrono_literals;

class TestDeadlineTimer final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void firesInDeadlineOrderNeverEarly();
    void expiredMayAddMore();
};

void TestDeadlineTimer::firesInDeadlineOrderNeverEarly() {
    SteadyClock clock;
    struct Fired {
        std::uint64_t id;
        int attempt;
        Nanos late;
    };
    std::vector<Fired> fired;
    std::vector<Nanos> due(4);
    DeadlineTimer timer(clock, [&](std::uint64_t id, int attempt) {
        fired.push_back({id, attempt, clock.now() - due[id]});
    });
    const Nanos start = clock.now();
    const std::pair<std::uint64_t, Nanos> adds[] = {{1, 60ms}, {2, 20ms}, {3, 40ms}};
    for (const auto& [id, in] : adds) {
        due[id] = start + in;
        timer.add(due[id], id, 7);
    }
    QCOMPARE(timer.pending(), std::size_t{3});
    QTRY_COMPARE_WITH_TIMEOUT(fired.size(), std::size_t{3}, 5000);
    QCOMPARE(fired[0].id, std::uint64_t{2});
    QCOMPARE(fired[1].id, std::uint64_t{3});
    QCOMPARE(fired[2].id, std::uint64_t{1});
    for (const Fired& f : fired) {
        QCOMPARE(f.attempt, 7);
        QVERIFY(f.late >= Nanos{0});
    }
    QCOMPARE(timer.pending(), std::size_t{0});
}

void TestDeadlineTimer::expiredMayAddMore() {
    SteadyClock clock;
    std::vector<std::uint64_t> fired;
    DeadlineTimer* self = nullptr;
    DeadlineTimer timer(clock, [&](std::uint64_t id, int) {
        fired.push_back(id);
        if (id == 1) {
            self->add(clock.now() + 10ms, 2, 1); // as an abort whose completion resubmits
        }
    });
    self = &timer;
    timer.add(clock.now() + 10ms, 1, 1);
    QTRY_COMPARE_WITH_TIMEOUT(fired.size(), std::size_t{2}, 5000);
    QCOMPARE(fired[1], std::uint64_t{2});
}

QTEST_GUILESS_MAIN(TestDeadlineTimer)
#include "tst_deadlinetimer.moc"
