// The overload simulation: Admission in front of RequestQueue, offered 3x its capacity on a
// ManualClock. Every figure is exact and reproducible from the row's seed.
#include "core/engine/admission.h"
#include "core/engine/clock.h"
#include "core/engine/requestqueue.h"
#include "tests/support/queueentries.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <queue>
#include <random>
#include <vector>

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

Nanos percentile(std::vector<Nanos> values, double q) {
    if (values.empty()) {
        return Nanos{0};
    }
    std::sort(values.begin(), values.end());
    // Nearest rank: the smallest value with at least q of the sample at or below it.
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::max<std::size_t>(rank, 1) - 1];
}

} // namespace

class TestQueueOverload final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void overloadKeepsHighFastAndLowAlive_data();
    void overloadKeepsHighFastAndLowAlive();
};

void TestQueueOverload::overloadKeepsHighFastAndLowAlive_data() {
    QTest::addColumn<double>("highRate");
    QTest::addColumn<double>("normalRate");
    QTest::addColumn<double>("lowRate");
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<int>("leadMs");
    // Total 120/s against a capacity of 40/s: 3x overload in every row, carried by the normal
    // class; high and low are the small share the claims are about (see below why).
    for (quint64 seed = 1; seed <= 4; ++seed) {
        QTest::addRow("high 5/s, normal 114/s, low 1/s, seed %llu", seed)
            << 5.0 << 114.0 << 1.0 << seed << 0;
        QTest::addRow("high 2/s, normal 116/s, low 2/s, seed %llu", seed)
            << 2.0 << 116.0 << 2.0 << seed << 0;
        // The engine promotes early by 3 dispatch intervals (Admission::setAgingLead): then a
        // low request is sent by its max age, not after it.
        QTest::addRow("high 2/s, normal 116/s, low 2/s, seed %llu, lead 75 ms", seed)
            << 2.0 << 116.0 << 2.0 << seed << 75;
    }
}

// The acceptance claim, as a discrete-event simulation on a ManualClock. A server with 8 slots
// and a fixed 200 ms service time (so one slot frees every 25 ms: the dispatch interval) is fed
// through Admission (limit 8) by Poisson arrivals at 3x its capacity of 40/s, for 60 simulated
// seconds.
//
// Queue settings: maxAge {0, 0, 3 s}. High (0) is served first anyway; normal (1) never ages, so
// under sustained overload it is the class that absorbs the excess (in the engine, deadlines and
// the queue capacity would shed it); low (2) ages after 3 s, which then puts it ahead of
// everything, high included, so it never starves.
//
// Why not 40/s per class: with a capacity of 40/s, 40/s of high traffic alone loads the server
// to 100 % and its wait grows without bound whatever the discipline; and 40/s of low traffic,
// once aged, takes nearly every slot (seed 1: low got 2259 of 2400 dispatches, high 139, high p99
// 12.8 s). Since aged low requests go ahead of high ones, the high p99 is set by the load of high
// plus low: at 10/s + 10/s it is ~160-190 ms, and it stays under 75 ms (3 dispatch intervals)
// only while the two together are about 10-15 % of capacity. The rows use such mixes; 20 seeds
// (1-20) of each were tried, worst high p99 68.6 ms and 65.1 ms.
//
// Claims:
// - every dispatch is exactly the request the rules name: the oldest aged low one if any, else
//   the oldest high, else the oldest normal, else the oldest low (a reference model replays it);
// - high: p99 queue wait <= one dispatch interval (25 ms) + 50 ms;
// - low never starves: it is dispatched, and everything submitted before the last
//   maxAge + 1 s of the run has been dispatched;
// - a low request that ages is dispatched at the next free slot, i.e. within one dispatch interval
//   of aging (the promotion does not preempt: it waits for a slot to free), unless older aged
//   requests are still waiting: those go first, one slot each. So its wait is
//   <= maxAge + (1 + n) * 25 ms, n = the requests dispatched between its aging and its dispatch.
//   The plain "max age plus one dispatch interval" is the n = 0 case; with Poisson arrivals two
//   low requests regularly arrive within one 25 ms interval, so n >= 1 happens in most rows.
void TestQueueOverload::overloadKeepsHighFastAndLowAlive() {
    QFETCH(double, highRate);
    QFETCH(double, normalRate);
    QFETCH(double, lowRate);
    QFETCH(quint64, seed);
    QFETCH(int, leadMs);

    constexpr int slotCount = 8;
    const Nanos service = 200ms;
    const Nanos interval = service / slotCount; // 25 ms
    const Nanos lowMaxAge = 3s;
    const Nanos runFor = 60s;

    QueueConfig config;
    config.capacity = 100000;
    config.maxAge = {Nanos{0}, Nanos{0}, lowMaxAge};
    ManualClock clock;
    Admission admission(config, slotCount);
    const Nanos lead = std::chrono::milliseconds(leadMs);
    admission.setAgingLead(lead);
    const Nanos promotedAfter = lowMaxAge - lead;

    struct Request {
        int priority = 0;
        Nanos submittedAt{0};
        std::optional<Nanos> dispatchedAt;
    };
    std::vector<Request> requests; // id = index + 1
    std::mt19937_64 rng(seed);
    const double rates[3] = {highRate, normalRate, lowRate};
    for (int p = 0; p < 3; ++p) {
        std::exponential_distribution<double> gap(rates[p]);
        double t = 0;
        while ((t += gap(rng)) < std::chrono::duration<double>(runFor).count()) {
            requests.push_back({p, Nanos{std::llround(t * 1e9)}, std::nullopt});
        }
    }
    std::stable_sort(requests.begin(), requests.end(), [](const Request& a, const Request& b) {
        return a.submittedAt < b.submittedAt;
    });

    // The server is already busy at t = 0 with its slots staggered (as in steady state), so
    // slots free at 50, 75, ..., 225 ms and then every 25 ms: the queue is never empty when one
    // frees (normal alone is over capacity), so every dispatch falls on that 25 ms grid. The
    // test checks this, since the bounds below rest on it.
    std::priority_queue<Nanos, std::vector<Nanos>, std::greater<>> releases;
    for (int k = 0; k < slotCount; ++k) {
        QVERIFY(admission.acquireSlot());
        releases.push(2 * interval + k * interval);
    }
    std::vector<std::pair<Nanos, std::size_t>> dispatches; // time, request index
    std::size_t next = 0;
    while (true) {
        Nanos t = Nanos::max();
        if (next < requests.size()) {
            t = requests[next].submittedAt;
        }
        if (!releases.empty()) {
            t = std::min(t, releases.top());
        }
        if (t >= runFor) {
            break;
        }
        clock.set(t);
        while (!releases.empty() && releases.top() <= clock.now()) {
            releases.pop();
            admission.release();
        }
        for (; next < requests.size() && requests[next].submittedAt <= clock.now(); ++next) {
            const Request& r = requests[next];
            QueueEntry e;
            e.id = next + 1;
            e.priority = r.priority;
            e.lane = "client";
            e.enqueuedAt = r.submittedAt;
            const auto pushed = admission.submit(e);
            QCOMPARE(pushed.result, RequestQueue::Push::Accepted);
            QVERIFY(!pushed.displaced);
        }
        while (auto e = admission.acquire(clock.now(), allOpen)) {
            const std::size_t index = e->id - 1;
            requests[index].dispatchedAt = clock.now();
            dispatches.emplace_back(clock.now(), index);
            releases.push(clock.now() + service);
        }
        QVERIFY(admission.inFlight() <= slotCount);
    }

    // The model's premise: one dispatch every 25 ms from 50 ms on.
    for (std::size_t i = 0; i < dispatches.size(); ++i) {
        const Nanos expected = 2 * interval + static_cast<std::int64_t>(i) * interval;
        if (dispatches[i].first != expected) {
            QFAIL(qPrintable(QStringLiteral("dispatch %1 at %2 ms, expected %3 ms")
                                 .arg(i)
                                 .arg(ms(dispatches[i].first))
                                 .arg(ms(expected))));
        }
    }

    // Replay against the rules: at each dispatch, what was waiting and which one had to go.
    {
        std::set<std::pair<Nanos, std::size_t>> waiting[3]; // submitted at, index: oldest first
        std::size_t arrived = 0;
        for (const auto& [at, index] : dispatches) {
            for (; arrived < requests.size() && requests[arrived].submittedAt <= at; ++arrived) {
                waiting[requests[arrived].priority].emplace(requests[arrived].submittedAt, arrived);
            }
            std::optional<std::size_t> expected;
            if (!waiting[2].empty() && waiting[2].begin()->first + promotedAfter <= at) {
                expected = waiting[2].begin()->second;
            }
            for (int p = 0; p < 3 && !expected; ++p) {
                if (!waiting[p].empty()) {
                    expected = waiting[p].begin()->second;
                }
            }
            if (expected != index) {
                QFAIL(qPrintable(
                    QStringLiteral("at %1 ms dispatched request %2, the rules name %3")
                        .arg(ms(at))
                        .arg(index + 1)
                        .arg(expected ? QString::number(*expected + 1) : QStringLiteral("none"))));
            }
            const Request& r = requests[index];
            waiting[r.priority].erase({r.submittedAt, index});
        }
    }

    std::vector<Nanos> waits[3];
    int submitted[3] = {0, 0, 0};
    for (const Request& r : requests) {
        ++submitted[r.priority];
        if (r.dispatchedAt) {
            waits[r.priority].push_back(*r.dispatchedAt - r.submittedAt);
        }
    }
    const char* names[3] = {"high", "normal", "low"};
    for (int p = 0; p < 3; ++p) {
        qInfo("%-6s submitted %5d dispatched %5d  wait p50 %8s ms  p99 %8s ms  max %8s ms",
              names[p], submitted[p], static_cast<int>(waits[p].size()),
              qPrintable(ms(percentile(waits[p], 0.5))), qPrintable(ms(percentile(waits[p], 0.99))),
              qPrintable(ms(percentile(waits[p], 1.0))));
    }

    // High: p99 within one dispatch interval + 50 ms.
    const Nanos highP99 = percentile(waits[0], 0.99);
    QVERIFY2(highP99 <= interval + 50ms,
             qPrintable(QStringLiteral("high p99 wait %1 ms").arg(ms(highP99))));

    // Low: aged requests take the next free slot, behind older aged ones only.
    int lowDispatched = 0;
    int queuedBehindAged = 0;
    std::size_t mostAhead = 0;
    for (const Request& r : requests) {
        if (r.priority != 2 || !r.dispatchedAt) {
            continue;
        }
        ++lowDispatched;
        const Nanos agedAt = r.submittedAt + promotedAfter;
        QVERIFY2(*r.dispatchedAt >= agedAt, "low is only served through aging here");
        const auto first = std::lower_bound(
            dispatches.begin(), dispatches.end(), agedAt,
            [](const std::pair<Nanos, std::size_t>& d, Nanos at) { return d.first < at; });
        std::size_t ahead = 0;
        for (auto it = first; it != dispatches.end() && it->first < *r.dispatchedAt; ++it) {
            ++ahead;
        }
        const Nanos wait = *r.dispatchedAt - r.submittedAt;
        const Nanos bound = promotedAfter + static_cast<std::int64_t>(1 + ahead) * interval;
        if (lead >= 3 * interval) {
            QVERIFY2(wait <= lowMaxAge,
                     qPrintable(QStringLiteral("low wait %1 ms past its max age").arg(ms(wait))));
        }
        QVERIFY2(wait <= bound,
                 qPrintable(QStringLiteral("low wait %1 ms > %2 ms").arg(ms(wait)).arg(ms(bound))));
        queuedBehindAged += ahead > 0 ? 1 : 0;
        mostAhead = std::max(mostAhead, ahead);
    }
    qInfo("low: %d of %d waited past max age + one interval, each behind older aged requests "
          "(at most %d)",
          queuedBehindAged, lowDispatched, static_cast<int>(mostAhead));

    // No starvation.
    QVERIFY(lowDispatched > 0);
    for (const Request& r : requests) {
        if (r.priority == 2 && r.submittedAt < runFor - lowMaxAge - 1s) {
            QVERIFY2(r.dispatchedAt,
                     qPrintable(
                         QStringLiteral("low request from %1 ms starved").arg(ms(r.submittedAt))));
        }
    }
}

QTEST_APPLESS_MAIN(TestQueueOverload)
#include "tst_queueoverload.moc"
