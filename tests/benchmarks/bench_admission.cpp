// Admission + release cost: the decision path every request takes (queue push, budget check,
// concurrency slot, budget charge, release), timed per operation on one thread. The reference in
// the same run is a bare mutex-guarded std::map insert + erase, the least any queue could do.
#include "core/engine/admission.h"
#include "core/engine/ratebudget.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <vector>

using namespace sluice;
using Steady = std::chrono::steady_clock;

namespace {

struct Figures {
    double p50, p99, perSecond;
};

template <typename F> Figures measure(int n, F&& op) {
    std::vector<std::int64_t> ns(static_cast<std::size_t>(n));
    const auto begin = Steady::now();
    for (int i = 0; i < n; ++i) {
        const auto t0 = Steady::now();
        op(i);
        ns[static_cast<std::size_t>(i)] = (Steady::now() - t0).count();
    }
    const double seconds = std::chrono::duration<double>(Steady::now() - begin).count();
    std::sort(ns.begin(), ns.end());
    return {static_cast<double>(ns[ns.size() / 2]) / 1e3,
            static_cast<double>(ns[ns.size() * 99 / 100]) / 1e3, n / seconds};
}

} // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 1'000'000;
    const int backlog = 1000; // requests already queued, so the queue is not trivially empty

    SteadyClock clock;
    Admission admission(QueueConfig{}, 1 << 30);
    RateBudgets budgets;
    budgets.setRules(
        {BudgetRule{"*", "*",
                    BudgetLimits{{RateLevel{1'000'000'000, std::chrono::minutes(1), 0}},
                                 {RateLevel{1'000'000'000'000, std::chrono::minutes(1), 0}}}}},
        clock.now());
    RateBudget& budget = budgets.budgetFor("key", "model");
    auto open = [&](std::uint64_t) { return budget.waitTime(clock.now()).count() == 0; };
    std::uint64_t id = 0;
    for (int i = 0; i < backlog; ++i) {
        admission.submit(QueueEntry{++id, i % 3, "lane" + std::to_string(i % 4), 1, clock.now()});
    }
    // One decision = submit one, dispatch one (budget check + charge + slot), release one.
    const Figures engine = measure(n, [&](int i) {
        admission.submit(QueueEntry{++id, i % 3, "lane" + std::to_string(i % 4), 1, clock.now()});
        if (auto e = admission.acquire(clock.now(), open)) {
            budget.admit(100, clock.now());
            admission.release();
        }
    });

    std::mutex mutex;
    std::map<std::uint64_t, int> map;
    for (int i = 0; i < backlog; ++i) {
        map.emplace(i, i);
    }
    std::uint64_t next = backlog;
    const Figures reference = measure(n, [&](int) {
        std::lock_guard lock(mutex);
        map.emplace(next++, 0);
        map.erase(map.begin());
    });

    std::printf("admission + release, %d decisions, %d queued:\n", n, backlog);
    std::printf("  sluice     p50 %.2f us  p99 %.2f us  %.0f decisions/s\n", engine.p50, engine.p99,
                engine.perSecond);
    std::printf(
        "  reference  p50 %.2f us  p99 %.2f us  %.0f ops/s (mutex + std::map insert/erase)\n",
        reference.p50, reference.p99, reference.perSecond);
    std::printf("  ratio      %.1fx the reference's time per operation\n",
                reference.perSecond / engine.perSecond);
    std::printf("  target     p99 < 5 us, >= 200k decisions/s: %s\n",
                engine.p99 < 5 && engine.perSecond >= 200'000 ? "met" : "NOT met");
    return 0;
}
