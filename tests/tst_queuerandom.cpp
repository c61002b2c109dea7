// Randomized RequestQueue runs checked against plain models: every position() is the entry's
// index in order(), and push / pop / remove / expire keep sizes, results and nextEvent() in
// step with a map of what is queued. Each row is reproducible from its seed.
#include "core/engine/requestqueue.h"
#include "tests/support/queueentries.h"

#include <QTest>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

// What nextEvent() must report, by brute force over the entries: the earliest deadline, or the
// earliest moment an entry that has not aged yet at `now` will age.
std::optional<Nanos> expectedNextEvent(const std::map<std::uint64_t, QueueEntry>& queued,
                                       const QueueConfig& config, Nanos now) {
    std::optional<Nanos> next;
    const auto consider = [&](Nanos at) { next = next ? std::min(*next, at) : at; };
    for (const auto& [id, e] : queued) {
        if (e.deadline != Nanos::max()) {
            consider(e.deadline);
        }
        const std::size_t i =
            std::min(static_cast<std::size_t>(e.priority), config.maxAge.size() - 1);
        const Nanos maxAge = config.maxAge[i];
        if (maxAge.count() > 0 && e.enqueuedAt + maxAge > now) {
            consider(e.enqueuedAt + maxAge);
        }
    }
    return next;
}

} // namespace

class TestQueueRandom final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void positionMatchesOrder_data();
    void positionMatchesOrder();
    void bookkeepingSurvivesRandomOperations_data();
    void bookkeepingSurvivesRandomOperations();
};

void TestQueueRandom::positionMatchesOrder_data() {
    QTest::addColumn<quint64>("seed");
    for (quint64 seed = 1; seed <= 6; ++seed) {
        QTest::addRow("seed %llu", seed) << seed;
    }
}

// Random content (priorities, lanes with weights, scopes, timestamps), then at several moments
// (before, during and after aging) every entry's position() must be its index in order(), and
// peek/pop with some scope closed must return the first open entry of that order.
void TestQueueRandom::positionMatchesOrder() {
    QFETCH(quint64, seed);
    std::mt19937_64 rng(seed);
    QueueConfig config = noAging();
    config.maxAge = {Nanos{0}, 10s, 5s, 2s};
    config.laneWeights = {{"a", 1.0}, {"b", 2.0}, {"c", 0.5}};
    RequestQueue queue(config);
    const std::vector<std::string> lanes{"a", "b", "c", "d"};
    std::set<std::uint64_t> gone;
    std::uint64_t nextId = 0;
    Nanos now{0};

    const auto check = [&](Nanos at) {
        const Ids order = queue.order(at);
        QCOMPARE(order.size(), queue.size());
        for (std::size_t i = 0; i < order.size(); ++i) {
            if (queue.position(order[i], at) != static_cast<std::int64_t>(i)) {
                QFAIL(qPrintable(QStringLiteral("id %1: position %2, index in order %3")
                                     .arg(order[i])
                                     .arg(queue.position(order[i], at))
                                     .arg(i)));
            }
        }
        for (const std::uint64_t id : gone) {
            QCOMPARE(queue.position(id, at), std::int64_t(-1));
        }
        for (std::uint64_t closed = 0; closed < 3; ++closed) {
            const ScopeOpen open = [closed](std::uint64_t scope) { return scope != closed; };
            std::optional<std::uint64_t> firstOpen;
            for (const std::uint64_t id : order) {
                if (queue.find(id)->scope != closed) {
                    firstOpen = id;
                    break;
                }
            }
            const auto peeked = queue.peek(at, open);
            QCOMPARE(peeked.has_value(), firstOpen.has_value());
            if (peeked) {
                QCOMPARE(peeked->id, *firstOpen);
            }
        }
    };

    for (int round = 0; round < 4; ++round) {
        for (int i = 0; i < 150; ++i) {
            now += Nanos{static_cast<std::int64_t>(rng() % 100'000'000)}; // up to 100 ms
            const auto roll = rng() % 10;
            if (roll < 7 || queue.empty()) {
                queue.push(entry(++nextId, static_cast<int>(rng() % 5), now,
                                 lanes[rng() % lanes.size()], rng() % 3));
            } else if (roll < 9) {
                const Ids order = queue.order(now);
                const auto e = queue.pop(now, allOpen);
                QCOMPARE(e->id, order.front());
                gone.insert(e->id);
            } else {
                const std::uint64_t id = 1 + rng() % nextId;
                queue.remove(id);
                gone.insert(id);
            }
        }
        for (const Nanos later : std::vector<Nanos>{0s, 1s, 3s, 6s, 12s}) {
            check(now + later);
            if (QTest::currentTestFailed()) {
                QFAIL(
                    qPrintable(QStringLiteral("round %1, now + %2 ms").arg(round).arg(ms(later))));
            }
        }
    }
}

void TestQueueRandom::bookkeepingSurvivesRandomOperations_data() {
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<int>("capacity");
    QTest::newRow("roomy, seed 1") << quint64(1) << 100000;
    QTest::newRow("tight, seed 2") << quint64(2) << 40;
    QTest::newRow("tight, seed 3") << quint64(3) << 40;
    QTest::newRow("tiny, seed 4") << quint64(4) << 5;
}

// Random push (some duplicates, displacement when tight) / pop / remove / expire against a plain
// map as the model: sizes, per-priority sizes, results, expired sets and nextEvent all agree.
void TestQueueRandom::bookkeepingSurvivesRandomOperations() {
    QFETCH(quint64, seed);
    QFETCH(int, capacity);
    std::mt19937_64 rng(seed);
    QueueConfig config = noAging(static_cast<std::size_t>(capacity));
    config.maxAge = {Nanos{0}, 2s, 1s};
    config.laneWeights = {{"a", 3.0}, {"b", 1.0}};
    RequestQueue queue(config);
    std::map<std::uint64_t, QueueEntry> model;
    std::uint64_t nextId = 0;
    Nanos now{0};
    int displaced = 0;
    int refused = 0;
    int expired = 0;
    for (int op = 0; op < 4000; ++op) {
        now += Nanos{static_cast<std::int64_t>(rng() % 20'000'000)}; // up to 20 ms
        const auto roll = rng() % 20;
        if (roll < 9) {
            const bool duplicate = !model.empty() && rng() % 10 == 0;
            std::uint64_t id = ++nextId;
            if (duplicate) {
                auto it = model.begin();
                std::advance(it, static_cast<long>(rng() % model.size()));
                id = it->first;
            }
            const Nanos deadline =
                rng() % 3 == 0 ? now + Nanos{static_cast<std::int64_t>(rng() % 3'000'000'000)}
                               : Nanos::max();
            const QueueEntry e =
                entry(id, static_cast<int>(rng() % 4), now, rng() % 2 ? "a" : "b", 0, deadline);
            int leastUrgent = -1;
            for (const auto& [_, q] : model) {
                leastUrgent = std::max(leastUrgent, q.priority);
            }
            const Ids before = queue.order(now);
            bool anyAged = false;
            for (const auto& [_, q] : model) {
                const Nanos age = config.maxAge[std::min<std::size_t>(q.priority, 2)];
                anyAged = anyAged || (age.count() > 0 && now - q.enqueuedAt >= age);
            }
            const auto pushed = queue.push(e);
            if (duplicate) {
                QCOMPARE(pushed.result, RequestQueue::Push::Duplicate);
            } else if (model.size() < static_cast<std::size_t>(capacity)) {
                QCOMPARE(pushed.result, RequestQueue::Push::Accepted);
                QVERIFY(!pushed.displaced);
                model[id] = e;
            } else if (leastUrgent <= e.priority) {
                QCOMPARE(pushed.result, RequestQueue::Push::Full);
                ++refused;
            } else {
                QCOMPARE(pushed.result, RequestQueue::Push::Accepted);
                QVERIFY(pushed.displaced);
                QCOMPARE(pushed.displaced->priority, leastUrgent);
                if (!anyAged) {
                    QCOMPARE(pushed.displaced->id, before.back());
                }
                QCOMPARE(model.erase(pushed.displaced->id), 1u);
                model[id] = e;
                ++displaced;
            }
        } else if (roll < 14) {
            const Ids order = queue.order(now);
            const auto e = queue.pop(now, allOpen);
            QCOMPARE(e.has_value(), !model.empty());
            if (e) {
                QCOMPARE(e->id, order.front());
                QCOMPARE(model.erase(e->id), 1u);
            }
        } else if (roll < 17) {
            const std::uint64_t id = 1 + rng() % (nextId + 1);
            QCOMPARE(queue.remove(id), model.erase(id) == 1);
        } else {
            Ids want;
            for (auto it = model.begin(); it != model.end();) {
                if (it->second.deadline <= now) {
                    want.push_back(it->first);
                    it = model.erase(it);
                } else {
                    ++it;
                }
            }
            const auto got = queue.expire(now);
            QCOMPARE(text(got), text(want));
            expired += static_cast<int>(got.size());
        }

        QCOMPARE(queue.size(), model.size());
        QCOMPARE(queue.empty(), model.empty());
        for (int p = 0; p < 5; ++p) {
            const auto want = static_cast<std::size_t>(
                std::count_if(model.begin(), model.end(),
                              [p](const auto& kv) { return kv.second.priority == p; }));
            QCOMPARE(queue.sizeOfPriority(p), want);
        }
        for (const auto& [id, e] : model) {
            QVERIFY(queue.contains(id));
            QCOMPARE(queue.find(id)->priority, e.priority);
        }
        QCOMPARE(queue.nextEvent(now), expectedNextEvent(model, config, now));
    }
    qInfo("%d displaced, %d refused as full, %d expired", displaced, refused, expired);
    if (capacity < 100) {
        QVERIFY(displaced > 0);
        QVERIFY(refused > 0);
    }
    QVERIFY(expired > 0);
}

QTEST_APPLESS_MAIN(TestQueueRandom)
#include "tst_queuerandom.moc"
