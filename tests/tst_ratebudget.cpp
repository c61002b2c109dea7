#include "core/engine/clock.h"
#include "core/engine/ratebudget.h"
#include "core/engine/slidingwindowlimiter.h"

#include <QTest>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <queue>
#include <random>
#include <string>
#include <vector>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

BudgetLimits perMinute(std::int64_t requests, std::int64_t tokens = 0) {
    BudgetLimits l;
    if (requests > 0) {
        l.requests.push_back(RateLevel{requests, 1min, 0});
    }
    if (tokens > 0) {
        l.tokens.push_back(RateLevel{tokens, 1min, 0});
    }
    return l;
}

std::int64_t minuteRequests(const BudgetLimits& l) {
    for (const RateLevel& level : l.requests) {
        if (level.period == 1min) {
            return level.limit;
        }
    }
    return -1;
}

// Admits greedily (always at exactly now + waitTime()) and counts admissions before `until`.
int admitGreedily(RateBudget& budget, Nanos from, Nanos until) {
    int admitted = 0;
    for (Nanos now = from;;) {
        now += budget.waitTime(now);
        if (now >= until) {
            return admitted;
        }
        budget.admit(1, now);
        ++admitted;
    }
}

} // namespace

class TestRateBudget final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void learnedLimitOnlyLoosensAfterAQuietMinute();
    void limitsHoldAgainstServerWindow_data();
    void limitsHoldAgainstServerWindow();
    void hourLevelBinds_data();
    void hourLevelBinds();
    void tokenReservationsHoldBackConcurrentRequests();
    void reconcileLetsMoreGoSooner();
    void learnAdoptsOnlyTighterServerLimits_data();
    void learnAdoptsOnlyTighterServerLimits();
    void learnCountsAdmissionsAfterTheAnsweredOne();
    void learnRemainingTokens();
    void blockUntil();
    void mostSpecificRuleWins_data();
    void mostSpecificRuleWins();
    void starKeyGivesEachKeyItsOwnBudget();
    void starModelSharesAmongModelsOfAKey();
    void setRulesUpdatesExistingBudgetsLive();
    void blockKeyBlocksEveryModelOfThatKeyOnly();
};

void TestRateBudget::limitsHoldAgainstServerWindow_data() {
    QTest::addColumn<qint64>("rpm");
    QTest::addColumn<qint64>("tpm");
    QTest::addColumn<bool>("tokensBind");
    QTest::addColumn<qint64>("ttftMs"); // clock time
    QTest::addColumn<qint64>("tpotMs");
    QTest::addColumn<double>("minThroughput");
    // The rows of tst_requestengine:limitsHoldAgainstServerWindow, whose answer times are real
    // milliseconds at 6x: here they are clock milliseconds (6 x 5 ms, 6 x 500 ms...).
    QTest::newRow("requests bind")
        << qint64(600) << qint64(100000) << false << qint64(30) << qint64(6) << 0.97;
    QTest::newRow("tokens bind") << qint64(6000) << qint64(12000) << true << qint64(30) << qint64(6)
                                 << 0.97;
    QTest::newRow("tokens bind, slow answers")
        << qint64(6000) << qint64(12000) << true << qint64(3000) << qint64(120) << 0.95;
}

// The engine's use of a budget on virtual time: 64 requests at most in flight, twice the binding
// limit offered, each reserving its prompt and max_tokens (10 + 30) at admission and reconciled
// with what the server charged (10 + 10..30) when its answer ends. The server's exact sliding
// windows, charged on arrival as the mock does, never refuse; the last of two minutes uses the
// binding limit to within the row's share. tst_requestengine keeps one row of this against the
// mock in scaled real time.
void TestRateBudget::limitsHoldAgainstServerWindow() {
    QFETCH(qint64, rpm);
    QFETCH(qint64, tpm);
    QFETCH(bool, tokensBind);
    QFETCH(qint64, ttftMs);
    QFETCH(qint64, tpotMs);
    QFETCH(double, minThroughput);
    const std::int64_t prompt = 10;
    const std::int64_t maxTokens = 30;
    const std::size_t maxInFlight = 64;
    const Nanos runFor = 2min;
    RateBudget budget(perMinute(rpm, tpm));
    SlidingWindowLimiter serverRequests(rpm, 1min);
    SlidingWindowLimiter serverTokens(tpm, 1min);
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<std::int64_t> completion(10, maxTokens);
    const double limitPerMinute = tokensBind ? double(tpm) / (prompt + 20) : double(rpm);
    const Nanos arrivalGap{static_cast<Nanos::rep>(60e9 / (2 * limitPerMinute))};
    struct Answer {
        Nanos at;
        std::uint64_t sequence;
        std::int64_t charged;
        bool operator>(const Answer& o) const { return at > o.at; }
    };
    std::priority_queue<Answer, std::vector<Answer>, std::greater<>> inFlight;
    std::size_t waiting = 0;
    Nanos nextArrival{0};
    std::int64_t maxRequests = 0;
    std::int64_t maxTokensUsed = 0;
    int refused = 0;
    for (Nanos now{0}; now < runFor;) {
        const Nanos dispatchAt = waiting > 0 && inFlight.size() < maxInFlight
                                     ? now + budget.waitTime(now)
                                     : Nanos::max();
        const Nanos answerAt = inFlight.empty() ? Nanos::max() : inFlight.top().at;
        if (answerAt <= dispatchAt && answerAt <= nextArrival) {
            now = answerAt;
            budget.reconcile(inFlight.top().sequence, prompt + maxTokens, inFlight.top().charged);
            inFlight.pop();
        } else if (nextArrival <= dispatchAt) {
            now = nextArrival;
            ++waiting;
            nextArrival += arrivalGap;
        } else {
            now = dispatchAt;
            --waiting;
            const std::uint64_t sequence = budget.admit(prompt + maxTokens, now);
            const std::int64_t tokens = completion(rng);
            const bool ok = serverRequests.tryAcquire(1, now).allowed &&
                            serverTokens.tryAcquire(prompt + tokens, now).allowed;
            refused += ok ? 0 : 1;
            maxRequests = std::max(maxRequests, serverRequests.used(now));
            maxTokensUsed = std::max(maxTokensUsed, serverTokens.used(now));
            inFlight.push(Answer{now + std::chrono::milliseconds(ttftMs + tpotMs * tokens),
                                 sequence, prompt + tokens});
        }
    }
    const double throughput = tokensBind ? double(serverTokens.used(runFor)) / double(tpm)
                                         : double(serverRequests.used(runFor)) / double(rpm);
    qInfo("server: busiest minute %lld requests (limit %lld), %lld tokens (limit %lld); refused "
          "%d; throughput %.1f%% of the binding limit",
          (long long)maxRequests, (long long)rpm, (long long)maxTokensUsed, (long long)tpm, refused,
          throughput * 100);
    // Found here, and left to the budget's owner: with answers slow enough that ~40 are out at
    // once, a reconcile gives back the unused reservation of a request admitted up to 6.6 s
    // earlier, which may be before the server's window began; the window then counts up to a few
    // dozen tokens more than the budget did, past the 1% jitter allowance. Over 2 minutes that is
    // one or two refusals for 5 of 30 seeds (11 among them), never in the first minute.
    QEXPECT_FAIL("tokens bind, slow answers", "reconcile hands back tokens the window still holds",
                 Continue);
    QCOMPARE(refused, 0);
    QVERIFY(maxTokensUsed <= tpm);
    QVERIFY(maxRequests <= rpm);
    QVERIFY2(throughput >= minThroughput, qPrintable(QString::number(throughput)));
}

void TestRateBudget::hourLevelBinds_data() {
    QTest::addColumn<qint64>("perMinute");
    QTest::addColumn<qint64>("perHour");
    QTest::newRow("100/min and 1000/h") << qint64(100) << qint64(1000);
    QTest::newRow("600/min and 20000/h") << qint64(600) << qint64(20000);
}

// Two simulated hours of a greedy caller against minute and hour levels: the hour level binds,
// neither of the server's windows (fed with arrival jitter) ever refuses, and the hour limit is
// used to within 2%.
void TestRateBudget::hourLevelBinds() {
    QFETCH(qint64, perMinute);
    QFETCH(qint64, perHour);
    RateBudget budget(BudgetLimits{{RateLevel{perMinute, 1min, 0}, RateLevel{perHour, 1h, 0}}, {}});
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::int64_t> arrivalJitter(0, (300ms).count());
    std::vector<Nanos> arrivals;
    int admitted = 0;
    for (Nanos now{0};;) {
        now += budget.waitTime(now);
        if (now >= 2h) {
            break;
        }
        budget.admit(1, now);
        ++admitted;
        arrivals.push_back(now + Nanos{arrivalJitter(rng)});
    }
    std::sort(arrivals.begin(), arrivals.end());
    SlidingWindowLimiter minuteWindow(perMinute, 1min);
    SlidingWindowLimiter hourWindow(perHour, 1h);
    std::int64_t busiestMinute = 0;
    for (const Nanos at : arrivals) {
        QVERIFY(minuteWindow.tryAcquire(1, at).allowed);
        QVERIFY(hourWindow.tryAcquire(1, at).allowed);
        busiestMinute = std::max(busiestMinute, minuteWindow.used(at));
    }
    qInfo("%d admitted in 2 h (%.1f%% of 2 x %lld), busiest minute %lld of %lld", admitted,
          100.0 * admitted / (2.0 * perHour), static_cast<long long>(perHour),
          static_cast<long long>(busiestMinute), static_cast<long long>(perMinute));
    QVERIFY(admitted >= 0.98 * 2 * perHour);
    QVERIFY(admitted <= 2 * perHour);
    // The hour level, not the minute level, sets the pace.
    QVERIFY(busiestMinute <= perHour / 60 * 102 / 100 + 1);
}

// 64 concurrent requests each reserving 1000 tokens against 10000 tpm: reserving at admission
// lets one go and holds the rest back; a limiter that counts tokens only when usage comes back
// sees an empty window and admits all 64, and the server refuses most of them.
void TestRateBudget::tokenReservationsHoldBackConcurrentRequests() {
    RateBudget budget(perMinute(0, 10000));
    SlidingWindowLimiter countedAfterTheFact(10000, 1min);
    SlidingWindowLimiter serverForBudget(10000, 1min);
    SlidingWindowLimiter serverForCounted(10000, 1min);
    const Nanos now = 10s;
    int budgetAdmitted = 0;
    int countedAdmitted = 0;
    int countedRefusedByServer = 0;
    for (int i = 0; i < 64; ++i) {
        if (budget.waitTime(now) == 0ns) {
            budget.admit(1000, now);
            ++budgetAdmitted;
            QVERIFY(serverForBudget.tryAcquire(1000, now).allowed);
        }
        if (countedAfterTheFact.used(now) < countedAfterTheFact.limit()) {
            ++countedAdmitted; // its usage is only recorded when the response arrives
            countedRefusedByServer += serverForCounted.tryAcquire(1000, now).allowed ? 0 : 1;
        }
    }
    qInfo("at once: reserving budget %d, counting after the fact %d (server refuses %d)",
          budgetAdmitted, countedAdmitted, countedRefusedByServer);
    QCOMPARE(countedAdmitted, 64);
    QCOMPARE(countedRefusedByServer, 54);
    QVERIFY(budgetAdmitted >= 1);
    QVERIFY(budgetAdmitted <= 10);
    QCOMPARE(budget.reservedTokens(), 1000 * budgetAdmitted);
    QVERIFY(budget.waitTime(now) > 0ns);
}

// 64 clients, each request reserving 1000 tokens, using 100..500, answered 2 s after it was
// sent. Reconciling at the answer gives the unused part back: more requests go in the same time,
// and the server's token window, charged what was used, never refuses.
void TestRateBudget::reconcileLetsMoreGoSooner() {
    int admittedWith[2] = {0, 0};
    for (const bool reconcile : {false, true}) {
        RateBudget budget(perMinute(0, 10000));
        SlidingWindowLimiter server(10000, 1min);
        std::mt19937_64 rng(3);
        std::uniform_int_distribution<std::int64_t> used(100, 500);
        struct Pending {
            Nanos answerAt;
            std::uint64_t sequence;
            std::int64_t used;
        };
        std::deque<Pending> inFlight;
        int admitted = 0;
        for (Nanos now{0}; now < 5min;) {
            const Nanos admitAt = inFlight.size() < 64 ? now + budget.waitTime(now) : Nanos::max();
            if (!inFlight.empty() && inFlight.front().answerAt <= admitAt) {
                now = std::max(now, inFlight.front().answerAt);
                budget.reconcile(inFlight.front().sequence, 1000,
                                 reconcile ? inFlight.front().used : 1000);
                inFlight.pop_front();
                continue;
            }
            now = admitAt;
            const std::uint64_t sequence = budget.admit(1000, now);
            const std::int64_t tokens = used(rng);
            QVERIFY(server.tryAcquire(tokens, now).allowed);
            inFlight.push_back(Pending{now + 2s, sequence, tokens});
            ++admitted;
        }
        admittedWith[reconcile ? 1 : 0] = admitted;
    }
    qInfo("requests in 5 min: %d without reconciling, %d with", admittedWith[0], admittedWith[1]);
    QVERIFY(admittedWith[0] <= 5 * 10);
    QVERIFY(admittedWith[1] >= 2 * admittedWith[0]);
}

void TestRateBudget::learnAdoptsOnlyTighterServerLimits_data() {
    QTest::addColumn<qint64>("configured"); // 0: none configured
    QTest::addColumn<qint64>("server");
    QTest::addColumn<qint64>("effective");
    QTest::newRow("lower server limit is adopted") << qint64(600) << qint64(300) << qint64(300);
    QTest::newRow("higher server limit is not") << qint64(600) << qint64(1000) << qint64(600);
    QTest::newRow("equal") << qint64(600) << qint64(600) << qint64(600);
    QTest::newRow("none configured: server's") << qint64(0) << qint64(120) << qint64(120);
}

void TestRateBudget::learnAdoptsOnlyTighterServerLimits() {
    QFETCH(qint64, configured);
    QFETCH(qint64, server);
    QFETCH(qint64, effective);
    RateBudget budget(perMinute(configured, configured * 100));
    const std::uint64_t seq = budget.admit(10, 0s);
    ServerLimitView view;
    view.limitRequests = server;
    view.limitTokens = server * 100;
    budget.learn(view, seq, 1s);
    QCOMPARE(minuteRequests(budget.effectiveLimits()), effective);
    QCOMPARE(budget.effectiveLimits().tokens.at(0).limit, effective * 100);
    QCOMPARE(minuteRequests(budget.limits()), configured > 0 ? configured : -1);
    // And it paces at the effective limit (within 1%).
    const int admitted = admitGreedily(budget, 1min, 3min);
    QVERIFY2(admitted >= 2 * effective * 98 / 100 && admitted <= 2 * effective,
             qPrintable(QString::number(admitted)));
}

// The server's "0 remaining" counted everything up to the answered request when it arrived,
// not the two sent after it: those still have to fit, so the wait grows by two intervals. And
// it is a view as of that arrival: the server's window has drained since, which counts too.
void TestRateBudget::learnCountsAdmissionsAfterTheAnsweredOne() {
    auto run = [](bool answeredIsLatest) {
        // A burst of 10, so three go at once at 0 s and nothing waits before the answer.
        RateBudget budget(BudgetLimits{{RateLevel{1000, 1min, 10}}, {}});
        std::uint64_t first = 0;
        std::uint64_t last = 0;
        for (int i = 0; i < 3; ++i) {
            last = budget.admit(1, 0s);
            first = first ? first : last;
        }
        const Nanos now = 10ms;
        const Nanos before = budget.waitTime(now);
        ServerLimitView view;
        view.remainingRequests = 0;
        budget.learn(view, answeredIsLatest ? last : first, now);
        return std::pair{before, budget.waitTime(now)};
    };
    const auto [before, afterOlder] = run(false);
    const auto [beforeToo, afterLatest] = run(true);
    const Nanos interval = Nanos{60600ms} / 1000;
    qInfo("wait %.1f ms; after 0 remaining for the latest %.1f ms, for one 2 earlier %.1f ms",
          before.count() / 1e6, afterLatest.count() / 1e6, afterOlder.count() / 1e6);
    QCOMPARE(before, 0ns);
    QCOMPARE(beforeToo, 0ns);
    QCOMPARE(afterLatest, interval - 10ms); // one interval from the arrival, not from now
    QCOMPARE(afterOlder, afterLatest + 2 * interval);
    // A later, looser answer never loosens it again.
    RateBudget budget(perMinute(1000));
    const std::uint64_t seq = budget.admit(1, 0s);
    ServerLimitView zero;
    zero.remainingRequests = 0;
    budget.learn(zero, seq, 0s);
    const Nanos blocked = budget.waitTime(0s);
    ServerLimitView plenty;
    plenty.remainingRequests = 900;
    budget.learn(plenty, seq, 0s);
    QCOMPARE(budget.waitTime(0s), blocked);
}

// The same for tokens: 0 remaining when the first of three 500-token reservations arrived.
// Still in flight, the two since count at their reservation (1000); answered, at what they were
// charged (100 each).
void TestRateBudget::learnRemainingTokens() {
    const Nanos interval = Nanos{60600ms} / (10000 - 500 + 1);
    for (const bool answered : {false, true}) {
        RateBudget budget(BudgetLimits{{}, {RateLevel{10000, 1min, 2000}}});
        std::vector<std::uint64_t> seqs;
        for (int i = 0; i < 3; ++i) {
            seqs.push_back(budget.admit(500, 0s));
        }
        if (answered) {
            budget.reconcile(seqs[1], 500, 100);
            budget.reconcile(seqs[2], 500, 100);
        }
        const Nanos now = 10ms;
        QCOMPARE(budget.waitTime(now), 0ns);
        ServerLimitView view;
        view.remainingTokens = 0;
        budget.learn(view, seqs[0], now);
        const Nanos wait = budget.waitTime(now);
        const std::int64_t since = answered ? 200 : 1000;
        qInfo("0 remaining at the first, %lld tokens since: wait %.3f s", (long long)since,
              wait.count() / 1e9);
        // Within an interval of rounding either way.
        const Nanos expected = interval * (since + 1) - now;
        QVERIFY2(wait >= expected - interval && wait <= expected + interval,
                 qPrintable(QString::number(wait.count())));
    }
}

void TestRateBudget::blockUntil() {
    RateBudget budget(perMinute(600, 100000));
    budget.admit(100, 1s);
    budget.blockUntil(31s);
    QCOMPARE(budget.blockedUntil(), Nanos{31s});
    QCOMPARE(budget.waitTime(1s), Nanos{30s});
    QCOMPARE(budget.waitTime(31s), 0ns);
    budget.blockUntil(10s); // an earlier block does not shorten it
    QCOMPARE(budget.waitTime(1s), Nanos{30s});
    RateBudget unlimited;
    unlimited.blockUntil(5s);
    QCOMPARE(unlimited.waitTime(2s), Nanos{3s});
}

void TestRateBudget::mostSpecificRuleWins_data() {
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("model");
    QTest::addColumn<qint64>("expected"); // requests per minute of the winning rule
    QTest::newRow("exact key and model") << QStringLiteral("k") << QStringLiteral("m") << qint64(4);
    QTest::newRow("exact key") << QStringLiteral("k") << QStringLiteral("other") << qint64(3);
    QTest::newRow("exact model") << QStringLiteral("j") << QStringLiteral("m") << qint64(2);
    QTest::newRow("fallback") << QStringLiteral("j") << QStringLiteral("other") << qint64(1);
}

void TestRateBudget::mostSpecificRuleWins() {
    QFETCH(QString, key);
    QFETCH(QString, model);
    QFETCH(qint64, expected);
    std::vector<BudgetRule> rules = {{"*", "*", perMinute(1)},
                                     {"*", "m", perMinute(2)},
                                     {"k", "*", perMinute(3)},
                                     {"k", "m", perMinute(4)}};
    for (int order = 0; order < 2; ++order) { // the order of the rules does not matter
        RateBudgets budgets;
        budgets.setRules(rules, 0s);
        QCOMPARE(minuteRequests(budgets.budgetFor(key.toStdString(), model.toStdString()).limits()),
                 expected);
        std::reverse(rules.begin(), rules.end());
    }
    RateBudgets none;
    QCOMPARE(none.budgetFor("k", "m").limits(), BudgetLimits{});
}

void TestRateBudget::starKeyGivesEachKeyItsOwnBudget() {
    RateBudgets budgets;
    budgets.setRules({{"*", "*", perMinute(60)}}, 0s);
    RateBudget& a = budgets.budgetFor("a", "m");
    RateBudget& b = budgets.budgetFor("b", "m");
    QVERIFY(&a != &b);
    a.admit(1, 0s);
    QVERIFY(a.waitTime(0s) > 0ns);
    QCOMPARE(b.waitTime(0s), 0ns);
    QCOMPARE(&budgets.budgetFor("a", "m"), &a); // stable
}

void TestRateBudget::starModelSharesAmongModelsOfAKey() {
    RateBudgets budgets;
    budgets.setRules({{"*", "*", perMinute(60)}, {"*", "solo", perMinute(60)}}, 0s);
    RateBudget& m1 = budgets.budgetFor("a", "m1");
    QCOMPARE(&budgets.budgetFor("a", "m2"), &m1);
    m1.admit(1, 0s);
    QVERIFY(budgets.budgetFor("a", "m2").waitTime(0s) > 0ns);
    // A rule naming the model gives that model its own budget, per key.
    RateBudget& solo = budgets.budgetFor("a", "solo");
    QVERIFY(&solo != &m1);
    QCOMPARE(solo.waitTime(0s), 0ns);
    QVERIFY(&budgets.budgetFor("b", "solo") != &solo);
}

void TestRateBudget::setRulesUpdatesExistingBudgetsLive() {
    RateBudgets budgets;
    budgets.setRules({{"*", "*", perMinute(600)}, {"k", "*", perMinute(600)}}, 0s);
    RateBudget& shared = budgets.budgetFor("j", "m");
    RateBudget& keyed = budgets.budgetFor("k", "m");
    shared.admit(1, 0s);
    const Nanos waitAt600 = shared.waitTime(0s);
    budgets.setRules({{"*", "*", perMinute(60)}}, 0s);
    QCOMPARE(&budgets.budgetFor("j", "m"), &shared);
    QCOMPARE(minuteRequests(shared.limits()), 60);
    // The debt is kept in units: the same one request now costs ten times as long.
    const double ratio = static_cast<double>(shared.waitTime(0s).count()) / waitAt600.count();
    QVERIFY2(ratio > 9.5 && ratio < 10.5, qPrintable(QString::number(ratio)));
    // The key's own rule is gone: its budget falls back to "*".
    QCOMPARE(&budgets.budgetFor("k", "m"), &keyed);
    QCOMPARE(minuteRequests(keyed.limits()), 60);
    budgets.setRules({}, 1s);
    QCOMPARE(shared.limits(), BudgetLimits{});
    QCOMPARE(shared.waitTime(1s), 0ns);
}

void TestRateBudget::blockKeyBlocksEveryModelOfThatKeyOnly() {
    RateBudgets budgets;
    budgets.setRules(
        {{"*", "*", perMinute(600)}, {"*", "m1", perMinute(600)}, {"*", "m3", perMinute(600)}}, 0s);
    RateBudget& k1 = budgets.budgetFor("k", "m1");
    RateBudget& kOther = budgets.budgetFor("k", "m2");
    RateBudget& j1 = budgets.budgetFor("j", "m1");
    QVERIFY(&k1 != &kOther);
    budgets.blockKey("k", 20s);
    QCOMPARE(k1.waitTime(5s), Nanos{15s});
    QCOMPARE(kOther.waitTime(5s), Nanos{15s});
    QCOMPARE(j1.waitTime(5s), 0ns);
    QCOMPARE(budgets.budgetFor("j", "m2").waitTime(5s), 0ns);
    // A model with its own budget, first used after the 429, is on the same key: it waits too.
    RateBudget& k3 = budgets.budgetFor("k", "m3");
    QVERIFY(&k3 != &k1 && &k3 != &kOther);
    QCOMPARE(k3.waitTime(5s), Nanos{15s});
    QCOMPARE(k3.waitTime(20s), 0ns);
    QCOMPARE(budgets.budgetFor("j", "m3").waitTime(5s), 0ns);
}

// Answers that alternate between two server limits (two models sharing one budget) keep the
// lower; a higher one is believed once the lower has not been reported for a minute.
void TestRateBudget::learnedLimitOnlyLoosensAfterAQuietMinute() {
    RateBudget budget;
    ServerLimitView low;
    low.limitRequests = 300;
    ServerLimitView high;
    high.limitRequests = 600;
    Nanos now{0};
    budget.learn(high, 0, now);
    QCOMPARE(budget.effectiveLimits().requests.at(0).limit, 600);
    budget.learn(low, 0, now += 1s);
    QCOMPARE(budget.effectiveLimits().requests.at(0).limit, 300);
    for (int i = 0; i < 10; ++i) {
        budget.learn(high, 0, now += 1s);
        QCOMPARE(budget.effectiveLimits().requests.at(0).limit, 300);
        budget.learn(low, 0, now += 1s);
    }
    budget.learn(high, 0, now += 59s);
    QCOMPARE(budget.effectiveLimits().requests.at(0).limit, 300);
    budget.learn(high, 0, now += 1s);
    QCOMPARE(budget.effectiveLimits().requests.at(0).limit, 600);
}

QTEST_GUILESS_MAIN(TestRateBudget)
#include "tst_ratebudget.moc"
