// Unit tests for Admission: the request queue plus the in-flight count behind one mutex. The
// single-threaded tests pin the semantics; the stress test hammers one Admission from several
// threads (run it under -fsanitize=thread too) and checks the limit and the accounting exactly.
#include "core/engine/admission.h"

#include <QTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <shared_mutex>
#include <thread>
#include <vector>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

const std::function<bool(std::uint64_t)> allOpen = [](std::uint64_t) { return true; };

QueueEntry entry(std::uint64_t id, int priority = 1, std::uint64_t scope = 0, Nanos at = Nanos{0},
                 Nanos deadline = Nanos::max()) {
    QueueEntry e;
    e.id = id;
    e.priority = priority;
    e.lane = "a";
    e.scope = scope;
    e.enqueuedAt = at;
    e.deadline = deadline;
    return e;
}

} // namespace

class TestAdmission final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void acquireTakesSlotsUpToTheLimit();
    void closedScopeTakesNoSlot();
    void cancelOnlyWhileQueued();
    void slotsWithoutQueueEntries();
    void loweringTheLimitBlocksUntilEnoughReleases();
    void expireLeavesInFlightAlone();
    void concurrentStress();
};

void TestAdmission::acquireTakesSlotsUpToTheLimit() {
    Admission admission(QueueConfig{}, 2);
    QCOMPARE(admission.limit(), 2);
    QVERIFY(!admission.acquire(0s, allOpen)); // nothing queued: no slot taken
    QCOMPARE(admission.inFlight(), 0);
    for (std::uint64_t id = 1; id <= 3; ++id) {
        QCOMPARE(admission.submit(entry(id)).result, RequestQueue::Push::Accepted);
    }
    QCOMPARE(admission.queued(), 3u);
    QCOMPARE(admission.acquire(0s, allOpen)->id, 1u);
    QCOMPARE(admission.acquire(0s, allOpen)->id, 2u);
    QCOMPARE(admission.inFlight(), 2);
    QVERIFY(!admission.acquire(0s, allOpen)); // at the limit: 3 stays queued
    QCOMPARE(admission.queued(), 1u);
    QCOMPARE(admission.position(3, 0s), std::int64_t(0));
    admission.release();
    QCOMPARE(admission.inFlight(), 1);
    QCOMPARE(admission.acquire(0s, allOpen)->id, 3u);
    QCOMPARE(admission.inFlight(), 2);
    QCOMPARE(admission.queued(), 0u);
    admission.release();
    admission.release();
    QCOMPARE(admission.inFlight(), 0);
    admission.release(); // one release too many is absorbed, never negative
    QCOMPARE(admission.inFlight(), 0);
    QVERIFY(admission.acquireSlot());
    QVERIFY(admission.acquireSlot());
    QVERIFY(!admission.acquireSlot()); // the release too many did not make room for a third
    admission.setLimit(-5);            // clamped to 0: nothing more, ever
    QCOMPARE(admission.limit(), 0);
    admission.release();
    admission.release();
    admission.submit(entry(9));
    QVERIFY(!admission.acquire(0s, allOpen));
    QVERIFY(!admission.acquireSlot());
    QCOMPARE(admission.inFlight(), 0);
    admission.setLimit(1);
    QCOMPARE(admission.acquire(0s, allOpen)->id, 9u);
}

void TestAdmission::closedScopeTakesNoSlot() {
    Admission admission(QueueConfig{}, 4);
    admission.submit(entry(1, 1, 7));
    admission.submit(entry(2, 1, 8));
    const std::function<bool(std::uint64_t)> sevenClosed = [](std::uint64_t s) { return s != 7; };
    QCOMPARE(admission.acquire(0s, sevenClosed)->id, 2u);
    QVERIFY(!admission.acquire(0s, sevenClosed));
    QCOMPARE(admission.inFlight(), 1); // the refusal did not take a slot
    QCOMPARE(admission.queued(), 1u);
    QCOMPARE(admission.acquire(0s, allOpen)->id, 1u);
    QCOMPARE(admission.inFlight(), 2);
}

void TestAdmission::cancelOnlyWhileQueued() {
    Admission admission(QueueConfig{}, 1);
    admission.submit(entry(1));
    admission.submit(entry(2));
    admission.submit(entry(3));
    QCOMPARE(admission.acquire(0s, allOpen)->id, 1u);
    QVERIFY(!admission.cancel(1)); // dispatched
    QVERIFY(admission.cancel(2));
    QVERIFY(!admission.cancel(2)); // already cancelled
    QVERIFY(!admission.cancel(42));
    QCOMPARE(admission.queued(), 1u);
    QCOMPARE(admission.inFlight(), 1); // cancelling never touches slots
    QCOMPARE(admission.submit(entry(3)).result, RequestQueue::Push::Duplicate);
    admission.release();
    QCOMPARE(admission.acquire(0s, allOpen)->id, 3u);
}

void TestAdmission::slotsWithoutQueueEntries() {
    Admission admission(QueueConfig{}, 3);
    QVERIFY(admission.acquireSlot());
    admission.submit(entry(1));
    admission.submit(entry(2));
    QCOMPARE(admission.acquire(0s, allOpen)->id, 1u);
    QVERIFY(admission.acquireSlot());
    QCOMPARE(admission.inFlight(), 3);
    QVERIFY(!admission.acquire(0s, allOpen)); // slots taken either way count alike
    QVERIFY(!admission.acquireSlot());
    admission.release();
    QCOMPARE(admission.acquire(0s, allOpen)->id, 2u);
}

void TestAdmission::loweringTheLimitBlocksUntilEnoughReleases() {
    Admission admission(QueueConfig{}, 4);
    for (std::uint64_t id = 1; id <= 10; ++id) {
        admission.submit(entry(id));
    }
    for (int i = 0; i < 4; ++i) {
        QVERIFY(admission.acquire(0s, allOpen));
    }
    admission.setLimit(2);
    QCOMPARE(admission.inFlight(), 4); // lowering never takes slots back
    QVERIFY(!admission.acquire(0s, allOpen));
    QVERIFY(!admission.acquireSlot());
    admission.release(); // 3 in flight, limit 2
    QVERIFY(!admission.acquire(0s, allOpen));
    admission.release(); // 2
    QVERIFY(!admission.acquire(0s, allOpen));
    QVERIFY(!admission.acquireSlot());
    admission.release(); // 1: room for exactly one
    QCOMPARE(admission.acquire(0s, allOpen)->id, 5u);
    QVERIFY(!admission.acquire(0s, allOpen));
    QCOMPARE(admission.inFlight(), 2);
    admission.setLimit(5); // raising makes room at once
    QCOMPARE(admission.acquire(0s, allOpen)->id, 6u);
    QVERIFY(admission.acquireSlot());
    QCOMPARE(admission.acquire(0s, allOpen)->id, 7u);
    QVERIFY(!admission.acquire(0s, allOpen));
    QCOMPARE(admission.inFlight(), 5);
    QCOMPARE(admission.queued(), 3u);
}

void TestAdmission::expireLeavesInFlightAlone() {
    Admission admission(QueueConfig{}, 1);
    admission.submit(entry(1, 1, 0, 0s, 5s));
    admission.submit(entry(2, 1, 0, 0s, 5s));
    admission.submit(entry(3, 1, 0, 0s));
    QCOMPARE(admission.nextEvent(0s), std::optional<Nanos>(5s));
    QCOMPARE(admission.acquire(0s, allOpen)->id, 1u);
    const auto expired = admission.expire(5s);
    QCOMPARE(expired.size(), 1u);
    QCOMPARE(expired.front().id, 2u);
    QCOMPARE(admission.inFlight(), 1);
    QCOMPARE(admission.queued(), 1u);
    admission.release();
    QCOMPARE(admission.acquire(5s, allOpen)->id, 3u);
}

// Several threads submit, cancel, acquire (queued requests and bare slots), release and expire
// on one Admission while another changes the limit between 1 and 32.
//
// The limit check is exact, not statistical. `gate` is a shared_mutex: acquirers hold it shared
// around acquire() and the check; the limit changer holds it exclusively around setLimit() and
// `limitInForce`. So while an acquirer holds it, the limit cannot change, and the in-flight count
// can only grow through acquisitions that themselves found a free slot under that same limit
// (or shrink through releases). Hence right after a successful acquire, still under the gate,
// both Admission::inFlight() and our own count `held` (incremented after each acquire, decremented
// before each release, so never above Admission's count) must be <= limitInForce.
//
// Accounting: every accepted id must end exactly once as cancelled, displaced, expired, acquired
// by a worker (and released) or drained at the end; refused ids nowhere.
void TestAdmission::concurrentStress() {
    constexpr int workers = 5;
    constexpr int maxOpsPerWorker = 1200000;
    constexpr int maxLimitChanges = 200000;
    const auto timeBudget = 1500ms; // whichever comes first: the op count or this
    const auto startedAt = std::chrono::steady_clock::now();
    const auto timeLeft = [&] { return std::chrono::steady_clock::now() - startedAt < timeBudget; };

    QueueConfig config;
    config.capacity = 300; // small enough that displacement and "full" happen
    config.maxAge = {Nanos{0}, 30ms, 10ms};
    Admission admission(config, 16);
    std::shared_mutex gate;
    std::atomic<bool> writerWaiting{false};
    int limitInForce = 16; // guarded by gate
    std::atomic<int> held{0};
    std::atomic<std::int64_t> clockNs{0}; // shared fake time, moved forward by every operation
    std::atomic<int> limitViolations{0};
    std::atomic<int> heldViolations{0};
    std::atomic<int> negativeHeld{0};
    std::atomic<int> limitChanges{0};
    std::atomic<int> loweredBelowInFlight{0};
    std::atomic<bool> stop{false};

    struct Log {
        std::vector<std::uint64_t> accepted, refused, cancelled, displaced, expired, acquired;
        std::int64_t bareSlots = 0; // bare slots taken with acquireSlot()
        std::int64_t ops = 0;
    };
    std::vector<Log> logs(workers);

    const auto work = [&](int index) {
        Log& log = logs[static_cast<std::size_t>(index)];
        std::mt19937_64 rng(1000 + static_cast<std::uint64_t>(index));
        std::vector<std::uint64_t> mine; // ids this worker submitted (maybe no longer queued)
        std::vector<std::uint64_t> holding;
        std::int64_t slotsHeld = 0;
        std::uint64_t serial = 0;
        // Scope 2 closes for alternate 10 ms of fake time.
        const std::function<bool(std::uint64_t)> scopeOpen = [&clockNs](std::uint64_t scope) {
            return scope != 2 || (clockNs.load() / 10'000'000) % 2 == 0;
        };
        const auto releaseOne = [&] {
            if (!holding.empty() && (slotsHeld == 0 || rng() % 2)) {
                const std::size_t i = rng() % holding.size();
                holding[i] = holding.back();
                holding.pop_back();
            } else if (slotsHeld > 0) {
                --slotsHeld;
            } else {
                return;
            }
            if (held.fetch_sub(1) <= 0) {
                ++negativeHeld;
            }
            admission.release();
        };
        for (; log.ops < maxOpsPerWorker && (log.ops % 256 != 0 || timeLeft()); ++log.ops) {
            const Nanos now{clockNs.fetch_add(static_cast<std::int64_t>(rng() % 200'000))};
            const auto roll = rng() % 100;
            if (roll < 25) {
                const std::uint64_t id = (static_cast<std::uint64_t>(index + 1) << 40) | ++serial;
                const Nanos deadline =
                    rng() % 5 == 0 ? now + Nanos{static_cast<std::int64_t>(rng() % 50'000'000)}
                                   : Nanos::max();
                QueueEntry e;
                e.id = id;
                e.priority = static_cast<int>(rng() % 3);
                e.lane = rng() % 2 ? "x" : "y";
                e.scope = rng() % 3;
                e.enqueuedAt = now;
                e.deadline = deadline;
                const auto pushed = admission.submit(e);
                if (pushed.result == RequestQueue::Push::Accepted) {
                    log.accepted.push_back(id);
                    mine.push_back(id);
                    if (pushed.displaced) {
                        log.displaced.push_back(pushed.displaced->id);
                    }
                } else {
                    log.refused.push_back(id);
                }
            } else if (roll < 35) {
                if (!mine.empty()) {
                    const std::uint64_t id = mine[rng() % mine.size()];
                    if (admission.cancel(id)) {
                        log.cancelled.push_back(id);
                    }
                }
            } else if (roll < 65) {
                // glibc's rwlock prefers readers: step aside while the limit changer waits.
                while (writerWaiting.load()) {
                    std::this_thread::yield();
                }
                std::shared_lock lock(gate);
                const bool bare = rng() % 6 == 0;
                std::optional<QueueEntry> e;
                if (!bare) {
                    e = admission.acquire(now, scopeOpen);
                }
                if (bare ? admission.acquireSlot() : e.has_value()) {
                    const int nowHeld = held.fetch_add(1) + 1;
                    if (nowHeld > limitInForce) {
                        ++heldViolations;
                    }
                    if (admission.inFlight() > limitInForce) {
                        ++limitViolations;
                    }
                    if (bare) {
                        ++slotsHeld;
                        ++log.bareSlots;
                    } else {
                        holding.push_back(e->id);
                        log.acquired.push_back(e->id);
                    }
                }
            } else if (roll < 95) {
                releaseOne();
            } else {
                for (const QueueEntry& e : admission.expire(now)) {
                    log.expired.push_back(e.id);
                }
            }
        }
        while (!holding.empty() || slotsHeld > 0) {
            releaseOne();
        }
    };

    std::vector<std::thread> threads;
    for (int i = 0; i < workers; ++i) {
        threads.emplace_back(work, i);
    }
    int maxLimit = 16;
    std::thread limiter([&] {
        std::mt19937_64 rng(77);
        while (!stop.load() && limitChanges.load() < maxLimitChanges && timeLeft()) {
            {
                writerWaiting = true;
                std::unique_lock lock(gate);
                writerWaiting = false;
                limitInForce = 1 + static_cast<int>(rng() % 32);
                admission.setLimit(limitInForce);
                maxLimit = std::max(maxLimit, limitInForce);
                if (admission.inFlight() > limitInForce) {
                    ++loweredBelowInFlight; // the "over the limit" state the check must survive
                }
            }
            ++limitChanges;
            std::this_thread::yield();
        }
    });
    for (std::thread& t : threads) {
        t.join();
    }
    stop = true;
    limiter.join();

    std::int64_t ops = 0;
    for (const Log& log : logs) {
        ops += log.ops;
    }
    QCOMPARE(limitViolations.load(), 0);
    QCOMPARE(heldViolations.load(), 0);
    QCOMPARE(negativeHeld.load(), 0);
    QCOMPARE(held.load(), 0);
    QCOMPARE(admission.inFlight(), 0);
    QVERIFY(maxLimit <= 32);

    // Drain what is still queued.
    std::vector<std::uint64_t> drained;
    admission.setLimit(1 << 30);
    while (auto e = admission.acquire(Nanos{clockNs.load()}, allOpen)) {
        drained.push_back(e->id);
        admission.release();
    }
    QCOMPARE(admission.queued(), 0u);
    QCOMPARE(admission.inFlight(), 0);

    // Exactly once each.
    std::map<std::uint64_t, int> outcomes;
    std::map<std::string, std::size_t> counts;
    std::size_t accepted = 0;
    std::size_t refused = 0;
    std::int64_t bareSlots = 0;
    const auto tally = [&](const std::vector<std::uint64_t>& ids, const char* what) {
        for (const std::uint64_t id : ids) {
            ++outcomes[id];
        }
        counts[what] += ids.size();
    };
    for (const Log& log : logs) {
        tally(log.cancelled, "cancelled");
        tally(log.displaced, "displaced");
        tally(log.expired, "expired");
        tally(log.acquired, "acquired");
        accepted += log.accepted.size();
        refused += log.refused.size();
        bareSlots += log.bareSlots;
    }
    tally(drained, "drained");
    std::size_t wrong = 0;
    for (const Log& log : logs) {
        for (const std::uint64_t id : log.accepted) {
            const auto it = outcomes.find(id);
            if (it == outcomes.end() || it->second != 1) {
                ++wrong;
                if (wrong <= 5) {
                    qWarning("id %llx ended %d times", static_cast<unsigned long long>(id),
                             it == outcomes.end() ? 0 : it->second);
                }
            } else {
                outcomes.erase(it);
            }
        }
        for (const std::uint64_t id : log.refused) {
            QVERIFY2(!outcomes.count(id), "a refused id came out of the queue");
        }
    }
    QCOMPARE(wrong, 0u);
    QVERIFY2(outcomes.empty(), "an id came out of the queue that was never accepted");

    qInfo("%lld ops in %lld ms; %d limit changes (%d below the in-flight count); accepted %zu, "
          "refused %zu; cancelled %zu, "
          "displaced %zu, expired %zu, acquired %zu, drained %zu; bare slots %lld",
          static_cast<long long>(ops),
          static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now() - startedAt)
                                     .count()),
          limitChanges.load(), loweredBelowInFlight.load(), accepted, refused, counts["cancelled"],
          counts["displaced"], counts["expired"], counts["acquired"], counts["drained"],
          static_cast<long long>(bareSlots));
    // The run exercised every path, so the checks above meant something.
    QVERIFY(limitChanges.load() >= 10);
    QVERIFY(loweredBelowInFlight.load() > 0);
    for (const char* what : {"cancelled", "displaced", "expired", "acquired"}) {
        QVERIFY2(counts[what] > 0, what);
    }
    QVERIFY(refused > 0);
    QVERIFY(bareSlots > 0);
}

QTEST_APPLESS_MAIN(TestAdmission)
#include "tst_admission.moc"
