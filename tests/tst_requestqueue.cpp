// Unit tests for RequestQueue's rules: order inside and between priorities, lanes by weight,
// aging, expiry, displacement when full, closed scopes. Entries carry their own timestamps, so
// every expectation is exact. Randomized runs are in tst_queuerandom, the overload simulation
// in tst_queueoverload.
#include "core/engine/requestqueue.h"
#include "tests/support/queueentries.h"

#include <QTest>

#include <algorithm>
#include <vector>

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

class TestRequestQueue final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void cancelledRequestsLeaveNoLaneDebt();
    void fifoInsideAPriority();
    void strictPriorityBetweenClasses();
    void weightedFairShareAcrossLanes_data();
    void weightedFairShareAcrossLanes();
    void idleLaneGetsNoBurst_data();
    void idleLaneGetsNoBurst();
    void agedRequestsGoFirstOldestFirst();
    void expireReturnsExactlyTheExpired();
    void nextEventIsTheEarliestDeadlineOrAging();
    void removeCancels();
    void fullQueueDisplacesTheLastInOrder();
    void displacementPicksLastInOrderNotLastPushed();
    void duplicateIdIsRefused();
    void closedScopesAreSkippedAndKeepTheirPlace();
    void closedScopeSkipsAgedEntriesToo();
};

void TestRequestQueue::fifoInsideAPriority() {
    RequestQueue queue(noAging());
    std::uint64_t id = 0;
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(queue.push(entry(++id, 1, Nanos{i})).result, RequestQueue::Push::Accepted);
    }
    QCOMPARE(queue.pop(0s, allOpen)->id, 1u);
    QCOMPARE(queue.pop(0s, allOpen)->id, 2u);
    // Later arrivals join behind, whatever happened in between.
    for (int i = 0; i < 3; ++i) {
        queue.push(entry(++id, 1, 1s));
    }
    QCOMPARE(text(drain(queue, 1s)), QStringLiteral("3,4,5,6,7,8"));
    QVERIFY(queue.empty());
}

void TestRequestQueue::strictPriorityBetweenClasses() {
    RequestQueue queue(noAging());
    const std::vector<std::pair<std::uint64_t, int>> pushes{{1, 2}, {2, 1}, {3, 0}, {4, 2},
                                                            {5, 0}, {6, 1}, {7, 3}};
    for (const auto& [id, priority] : pushes) {
        queue.push(entry(id, priority));
    }
    QCOMPARE(text(queue.order(0s)), QStringLiteral("3,5,2,6,1,4,7"));
    QCOMPARE(queue.pop(0s, allOpen)->id, 3u);
    // A late urgent request still goes ahead of every less urgent one, behind its own class.
    queue.push(entry(8, 0, 1s));
    queue.push(entry(9, 1, 1s));
    QCOMPARE(text(drain(queue, 1s)), QStringLiteral("5,8,2,6,9,1,4,7"));
}

void TestRequestQueue::weightedFairShareAcrossLanes_data() {
    QTest::addColumn<double>("weightA");
    QTest::addColumn<double>("weightB");
    QTest::newRow("2:1") << 2.0 << 1.0;
    QTest::newRow("1:1") << 1.0 << 1.0;
    QTest::newRow("3:1") << 3.0 << 1.0;
    QTest::newRow("1:4") << 1.0 << 4.0;
    QTest::newRow("0.5:1.5") << 0.5 << 1.5;
}

// Both lanes stay backlogged (each pop is replaced by a new request in the same lane), so the
// dispatch ratio must follow the weights: within one request at every prefix of 300 pops.
void TestRequestQueue::weightedFairShareAcrossLanes() {
    QFETCH(double, weightA);
    QFETCH(double, weightB);
    QueueConfig config = noAging();
    config.laneWeights = {{"a", weightA}, {"b", weightB}};
    RequestQueue queue(config);
    std::uint64_t id = 0;
    std::map<std::uint64_t, std::string> laneOf;
    const auto add = [&](const std::string& lane) {
        ++id;
        laneOf[id] = lane;
        queue.push(entry(id, 1, Nanos{static_cast<std::int64_t>(id)}, lane));
    };
    for (int i = 0; i < 5; ++i) {
        add("a");
        add("b");
    }
    const double shareA = weightA / (weightA + weightB);
    int popsA = 0;
    std::map<std::string, std::uint64_t> lastIdOf;
    for (int k = 1; k <= 300; ++k) {
        const auto e = queue.pop(Nanos{1000000}, allOpen);
        QVERIFY(e);
        // FIFO inside a lane.
        QVERIFY(e->id > lastIdOf[e->lane]);
        lastIdOf[e->lane] = e->id;
        popsA += e->lane == "a" ? 1 : 0;
        QVERIFY2(std::abs(popsA - shareA * k) <= 1.0 + 1e-9,
                 qPrintable(QStringLiteral("after %1 pops lane a had %2, expected %3")
                                .arg(k)
                                .arg(popsA)
                                .arg(shareA * k)));
        add(e->lane);
    }
}

void TestRequestQueue::idleLaneGetsNoBurst_data() {
    QTest::addColumn<bool>("wasActiveBefore");
    QTest::newRow("lane returning after idling") << true;
    QTest::newRow("brand-new lane") << false;
}

// Lane a is served alone for 50 requests while b is idle. When b becomes active it must get its
// fair half from then on: not a burst of credit for the idle time, and no penalty either.
void TestRequestQueue::idleLaneGetsNoBurst() {
    QFETCH(bool, wasActiveBefore);
    RequestQueue queue(noAging());
    if (wasActiveBefore) {
        queue.push(entry(1000, 1, 0s, "b"));
    }
    for (std::uint64_t id = 1; id <= 100; ++id) {
        queue.push(entry(id, 1, 0s, "a"));
    }
    for (int i = 0; i < (wasActiveBefore ? 51 : 50); ++i) {
        QVERIFY(queue.pop(1s, allOpen));
    }
    QCOMPARE(queue.sizeOfPriority(1), 50u);
    for (std::uint64_t id = 1001; id <= 1050; ++id) {
        queue.push(entry(id, 1, 2s, "b"));
    }
    Ids next;
    int fromB = 0;
    for (int i = 0; i < 20; ++i) {
        const auto e = queue.pop(3s, allOpen);
        next.push_back(e->id);
        fromB += e->lane == "b" ? 1 : 0;
    }
    QVERIFY2(fromB >= 9 && fromB <= 11,
             qPrintable(QStringLiteral("lane b got %1 of 20: %2").arg(fromB).arg(text(next))));
    QVERIFY2(next[0] == 1001 || next[1] == 1001, qPrintable(text(next)));
}

// maxAge {0, 10 s, 5 s}: a low request older than 5 s goes ahead of everything that has not aged,
// including priority 0; aged requests go oldest first whatever their class (same age: in arrival
// order); priority 0 never ages.
void TestRequestQueue::agedRequestsGoFirstOldestFirst() {
    QueueConfig config = noAging();
    config.maxAge = {Nanos{0}, 10s, 5s};
    RequestQueue queue(config);
    queue.push(entry(1, 2, 0s));    // low, ages at 5 s
    queue.push(entry(2, 1, 500ms)); // normal, ages at 10.5 s
    queue.push(entry(3, 0, 1s));    // high, never ages
    queue.push(entry(4, 1, 1s));    // normal, ages at 11 s
    queue.push(entry(5, 2, 1s));    // low, ages at 6 s

    const std::vector<std::pair<Nanos, QString>> expected{
        {2s, QStringLiteral("3,2,4,1,5")},  {5s - 1ns, QStringLiteral("3,2,4,1,5")},
        {5s, QStringLiteral("1,3,2,4,5")},  {5500ms, QStringLiteral("1,3,2,4,5")},
        {6s, QStringLiteral("1,5,3,2,4")},  {10500ms, QStringLiteral("1,2,5,3,4")},
        {11s, QStringLiteral("1,2,4,5,3")}, {1h, QStringLiteral("1,2,4,5,3")},
    };
    for (const auto& [now, order] : expected) {
        QCOMPARE(text(queue.order(now)), order);
        const Ids ids = queue.order(now);
        for (std::size_t i = 0; i < ids.size(); ++i) {
            QCOMPARE(queue.position(ids[i], now), static_cast<std::int64_t>(i));
        }
        QCOMPARE(queue.peek(now, allOpen)->id, ids.front());
    }
    // pop follows the same order.
    QCOMPARE(queue.pop(6s, allOpen)->id, 1u);
    QCOMPARE(queue.pop(6s, allOpen)->id, 5u);
    QCOMPARE(queue.pop(6s, allOpen)->id, 3u);
    QCOMPARE(text(drain(queue, 11s)), QStringLiteral("2,4"));
}

void TestRequestQueue::expireReturnsExactlyTheExpired() {
    RequestQueue queue(noAging());
    queue.push(entry(1, 1, 0s, "a", 0, 3s));
    queue.push(entry(2, 0, 0s));
    queue.push(entry(3, 2, 0s, "b", 0, 1s));
    queue.push(entry(4, 0, 0s, "b", 0, 3s));
    queue.push(entry(5, 2, 0s, "a", 0, 5s));
    QCOMPARE(text(queue.expire(500ms)), QString());
    QCOMPARE(text(queue.expire(1s)), QStringLiteral("3")); // at the deadline counts
    QCOMPARE(text(queue.expire(3s - 1ns)), QString());
    QCOMPARE(text(queue.expire(3s)), QStringLiteral("1,4"));
    QCOMPARE(queue.size(), 2u);
    QCOMPARE(text(queue.expire(1h)), QStringLiteral("5"));
    QCOMPARE(text(queue.order(1h)), QStringLiteral("2"));
    QCOMPARE(queue.sizeOfPriority(0), 1u);
    QCOMPARE(queue.sizeOfPriority(1), 0u);
    QCOMPARE(queue.sizeOfPriority(2), 0u);
    QVERIFY(!queue.contains(5));
    QCOMPARE(text(queue.expire(2h)), QString());
}

void TestRequestQueue::nextEventIsTheEarliestDeadlineOrAging() {
    QueueConfig config = noAging();
    config.maxAge = {Nanos{0}, 10s, 5s};
    RequestQueue queue(config);
    QVERIFY(!queue.nextEvent(0s));
    queue.push(entry(1, 0, 0s)); // priority 0 never ages, no deadline: no event
    QVERIFY(!queue.nextEvent(0s));
    queue.push(entry(2, 1, 0s)); // ages at 10 s
    QCOMPARE(queue.nextEvent(0s), std::optional<Nanos>(10s));
    // Younger, but its class ages faster: it is the next to age.
    queue.push(entry(3, 2, 1s)); // ages at 6 s
    QCOMPARE(queue.nextEvent(1s), std::optional<Nanos>(6s));
    queue.push(entry(4, 0, 1s, "a", 0, 4s));
    QCOMPARE(queue.nextEvent(1s), std::optional<Nanos>(4s));
    QCOMPARE(text(queue.expire(4s)), QStringLiteral("4"));
    QCOMPARE(queue.nextEvent(4s), std::optional<Nanos>(6s));
    QCOMPARE(queue.nextEvent(6s), std::optional<Nanos>(10s)); // 3 has aged
    QVERIFY(!queue.nextEvent(10s));                           // everything that can age has
    queue.remove(3);
    queue.push(entry(5, 1, 12s, "b", 0, 30s)); // ages at 22 s
    QCOMPARE(queue.nextEvent(12s), std::optional<Nanos>(22s));
    queue.push(entry(6, 2, 13s, "b", 0, 15s)); // ages at 18 s, expires at 15 s
    QCOMPARE(queue.nextEvent(13s), std::optional<Nanos>(15s));
    queue.expire(15s);
    QCOMPARE(queue.nextEvent(15s), std::optional<Nanos>(22s));
}

void TestRequestQueue::removeCancels() {
    RequestQueue queue(noAging());
    for (std::uint64_t id = 1; id <= 5; ++id) {
        queue.push(entry(id, static_cast<int>(id % 2), 0s));
    }
    queue.push(entry(6, 1, 0s, "a", 0, 1s));
    QCOMPARE(text(queue.order(0s)), QStringLiteral("2,4,1,3,5,6"));
    QVERIFY(queue.remove(3));
    QVERIFY(!queue.remove(3));
    QVERIFY(!queue.remove(99));
    QVERIFY(queue.remove(6));
    QCOMPARE(queue.position(3, 0s), std::int64_t(-1));
    QVERIFY(!queue.find(3));
    QCOMPARE(queue.size(), 4u);
    QCOMPARE(queue.sizeOfPriority(1), 2u);
    QCOMPARE(text(queue.order(0s)), QStringLiteral("2,4,1,5"));
    // A removed request's deadline is gone too.
    QVERIFY(!queue.nextEvent(0s));
    QCOMPARE(text(queue.expire(1h)), QString());
    QCOMPARE(text(drain(queue, 0s)), QStringLiteral("2,4,1,5"));
}

void TestRequestQueue::fullQueueDisplacesTheLastInOrder() {
    RequestQueue queue(noAging(4));
    queue.push(entry(1, 1));
    queue.push(entry(2, 2));
    queue.push(entry(3, 2));
    queue.push(entry(4, 1));
    QCOMPARE(text(queue.order(0s)), QStringLiteral("1,4,2,3"));

    // Each step: id, priority, expected result, expected displaced id (0 = none).
    struct Step {
        std::uint64_t id;
        int priority;
        RequestQueue::Push result;
        std::uint64_t displaced;
    };
    using P = RequestQueue::Push;
    const std::vector<Step> steps{
        {5, 0, P::Accepted, 3}, // more urgent: the last low one goes
        {6, 2, P::Full, 0},     // as urgent as the least urgent queued: refused
        {7, 3, P::Full, 0},     // less urgent: refused
        {8, 1, P::Accepted, 2}, // more urgent than the remaining low one
        {9, 1, P::Full, 0},     // now only 0 and 1 are queued
        {10, 0, P::Accepted, 8}, {11, 0, P::Accepted, 4},
        {12, 0, P::Accepted, 1}, {13, 0, P::Full, 0},
    };
    for (const Step& step : steps) {
        const Ids before = queue.order(0s);
        const auto pushed = queue.push(entry(step.id, step.priority));
        QCOMPARE(pushed.result, step.result);
        QCOMPARE(queue.size(), 4u);
        if (step.displaced == 0) {
            QVERIFY(!pushed.displaced);
            QVERIFY(!queue.contains(step.id));
            QCOMPARE(text(queue.order(0s)), text(before));
            continue;
        }
        QVERIFY(pushed.displaced);
        QCOMPARE(pushed.displaced->id, step.displaced);
        QCOMPARE(pushed.displaced->id, before.back());
        QVERIFY(!queue.contains(step.displaced));
        QVERIFY(queue.contains(step.id));
    }
    QCOMPARE(text(queue.order(0s)), QStringLiteral("5,10,11,12"));
    QCOMPARE(queue.sizeOfPriority(0), 4u);
    QCOMPARE(queue.sizeOfPriority(1), 0u);
    QCOMPARE(queue.sizeOfPriority(2), 0u);
}

// With lanes the last in order is the one with the latest finish tag, not the newest arrival.
void TestRequestQueue::displacementPicksLastInOrderNotLastPushed() {
    RequestQueue queue(noAging(3));
    queue.push(entry(1, 2, 0s, "a"));
    queue.push(entry(2, 2, 0s, "a"));
    queue.push(entry(3, 2, 0s, "b"));
    QCOMPARE(text(queue.order(0s)), QStringLiteral("1,3,2"));
    const auto pushed = queue.push(entry(4, 1, 0s, "c"));
    QCOMPARE(pushed.result, RequestQueue::Push::Accepted);
    QVERIFY(pushed.displaced);
    QCOMPARE(pushed.displaced->id, 2u);
    QCOMPARE(pushed.displaced->lane, std::string("a"));
    QCOMPARE(pushed.displaced->priority, 2);
    QCOMPARE(text(queue.order(0s)), QStringLiteral("4,1,3"));
}

void TestRequestQueue::duplicateIdIsRefused() {
    RequestQueue queue(noAging(2));
    QCOMPARE(queue.push(entry(1, 2)).result, RequestQueue::Push::Accepted);
    const auto again = queue.push(entry(1, 0, 1s, "other"));
    QCOMPARE(again.result, RequestQueue::Push::Duplicate);
    QVERIFY(!again.displaced);
    QCOMPARE(queue.size(), 1u);
    QCOMPARE(queue.find(1)->priority, 2);
    QCOMPARE(queue.find(1)->lane, std::string("a"));
    // A duplicate is refused as such even when full; it never displaces its own twin.
    queue.push(entry(2, 2));
    QCOMPARE(queue.push(entry(2, 0)).result, RequestQueue::Push::Duplicate);
    QCOMPARE(text(queue.order(0s)), QStringLiteral("1,2"));
    // Once dispatched, the id may come back (a retry).
    QCOMPARE(queue.pop(0s, allOpen)->id, 1u);
    QCOMPARE(queue.push(entry(1, 1)).result, RequestQueue::Push::Accepted);
    QCOMPARE(text(queue.order(0s)), QStringLiteral("1,2"));
}

void TestRequestQueue::closedScopesAreSkippedAndKeepTheirPlace() {
    RequestQueue queue(noAging());
    queue.push(entry(1, 1, 0s, "a", 1));
    queue.push(entry(2, 1, 0s, "a", 2));
    queue.push(entry(3, 1, 0s, "a", 1));
    queue.push(entry(4, 0, 0s, "a", 2));
    queue.push(entry(5, 2, 0s, "a", 1));
    for (std::uint64_t id = 6; id <= 15; ++id) { // a long run of one closed scope
        queue.push(entry(id, 3, 0s, "a", 2));
    }
    queue.push(entry(16, 3, 0s, "a", 3));
    const ScopeOpen twoClosed = [](std::uint64_t scope) { return scope != 2; };
    QCOMPARE(text(queue.order(0s)), QStringLiteral("4,1,2,3,5,6,7,8,9,10,11,12,13,14,15,16"));
    QCOMPARE(queue.peek(0s, twoClosed)->id, 1u);
    QCOMPARE(queue.pop(0s, twoClosed)->id, 1u);
    // Skipped, not moved: 4 and 2 keep their places in the order.
    QCOMPARE(queue.position(4, 0s), std::int64_t(0));
    QCOMPARE(queue.position(2, 0s), std::int64_t(1));
    QCOMPARE(queue.pop(0s, twoClosed)->id, 3u);
    QCOMPARE(queue.pop(0s, twoClosed)->id, 5u);
    QCOMPARE(queue.pop(0s, twoClosed)->id, 16u);
    QVERIFY(!queue.pop(0s, twoClosed));
    QVERIFY(!queue.peek(0s, twoClosed));
    QCOMPARE(queue.size(), 12u);
    // When the scope opens they go in their original order.
    QCOMPARE(text(drain(queue, 0s)), QStringLiteral("4,2,6,7,8,9,10,11,12,13,14,15"));
}

void TestRequestQueue::closedScopeSkipsAgedEntriesToo() {
    QueueConfig config = noAging();
    config.maxAge = {Nanos{0}, Nanos{0}, 5s};
    RequestQueue queue(config);
    queue.push(entry(1, 2, 0s, "a", 2));
    queue.push(entry(2, 2, 1s, "a", 1));
    queue.push(entry(3, 0, 2s, "a", 1));
    queue.push(entry(4, 2, 2s, "a", 1));
    const ScopeOpen twoClosed = [](std::uint64_t scope) { return scope != 2; };
    QCOMPARE(text(queue.order(7s)), QStringLiteral("1,2,4,3"));
    QCOMPARE(queue.pop(7s, twoClosed)->id, 2u);
    QCOMPARE(queue.pop(7s, twoClosed)->id, 4u);
    QCOMPARE(queue.pop(7s, twoClosed)->id, 3u);
    QVERIFY(!queue.pop(7s, twoClosed));
    QCOMPARE(queue.position(1, 7s), std::int64_t(0));
    QCOMPARE(queue.pop(7s, allOpen)->id, 1u);
}

// A lane whose queued requests were all cancelled is not charged for them: its next request
// interleaves with the other lane at once instead of waiting behind it.
void TestRequestQueue::cancelledRequestsLeaveNoLaneDebt() {
    RequestQueue q(QueueConfig{});
    std::uint64_t id = 0;
    for (int i = 0; i < 1000; ++i) {
        QueueEntry e;
        e.id = ++id;
        e.lane = "a";
        QCOMPARE(q.push(e).result, RequestQueue::Push::Accepted);
    }
    for (std::uint64_t i = 1; i <= 1000; ++i) {
        QVERIFY(q.remove(i));
    }
    for (int i = 0; i < 500; ++i) {
        QueueEntry e;
        e.id = ++id;
        e.lane = "b";
        q.push(e);
    }
    QueueEntry late;
    late.id = ++id;
    late.lane = "a";
    q.push(late);
    QVERIFY2(q.position(late.id, Nanos{0}) <= 1,
             qPrintable(QString::number(q.position(late.id, Nanos{0}))));
}

QTEST_APPLESS_MAIN(TestRequestQueue)
#include "tst_requestqueue.moc"
