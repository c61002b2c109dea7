// Shared-budget decisions through Redis on loopback: decisions per second and decision latency
// (p50/p99), on the scripted and the script-free path. Starts its own redis-server.
// usage: bench_redis [decisions=20000] [outstanding=1,16]
#include "core/redis/sharedbudget.h"
#include "tests/support/redisserver.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

struct Figures {
    double perSecond = 0;
    double p50us = 0;
    double p99us = 0;
    std::uint64_t errors = 0;
};

Figures run(const RedisServer& server, int decisions, int outstanding) {
    RedisClientConfig c;
    c.url = RedisUrl::parse(server.url()).value();
    c.commandTimeout = 5s;
    RedisClient client(c);
    SharedBudget budget(client);
    BudgetLimits limits; // high enough that every decision is a full admit (read + write)
    limits.requests.push_back(RateLevel{1'000'000'000, 60s, 1'000'000});
    limits.tokens.push_back(RateLevel{1'000'000'000, 60s, 1'000'000});
    std::vector<double> latencies;
    latencies.reserve(std::size_t(decisions));
    Figures f;
    int started = 0;
    QElapsedTimer wall;
    QEventLoop loop;
    std::function<void()> one = [&] {
        if (started >= decisions) {
            return;
        }
        ++started;
        QElapsedTimer t;
        t.start();
        budget.admit("bench", limits, 100, [&, t](Result<SharedDecision> r) {
            latencies.push_back(double(t.nsecsElapsed()) / 1000.0);
            f.errors += r.ok() ? 0 : 1;
            if (latencies.size() == std::size_t(decisions)) {
                loop.quit();
                return;
            }
            one();
        });
    };
    // Warm up (connection, script load), then measure.
    std::optional<bool> warm;
    budget.admit("bench", limits, 1, [&](Result<SharedDecision> r) {
        warm = r.ok();
        loop.quit();
    });
    loop.exec();
    wall.start();
    for (int i = 0; i < outstanding; ++i) {
        one();
    }
    loop.exec();
    const double seconds = double(wall.nsecsElapsed()) / 1e9;
    std::sort(latencies.begin(), latencies.end());
    f.perSecond = double(latencies.size()) / seconds;
    f.p50us = latencies[latencies.size() / 2];
    f.p99us = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
    return f;
}

} // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    const int decisions = argc > 1 ? std::atoi(argv[1]) : 20000;
    if (RedisServer::binary().isEmpty()) {
        std::fprintf(stderr, "redis-server is not installed\n");
        return 1;
    }
    std::printf("%-12s %11s %12s %10s %10s %7s\n", "path", "outstanding", "decisions/s", "p50 us",
                "p99 us", "errors");
    for (bool scripts : {true, false}) {
        RedisServer server(scripts ? QStringList()
                                   : QStringList{QStringLiteral("--rename-command"),
                                                 QStringLiteral("EVAL"), QString(),
                                                 QStringLiteral("--rename-command"),
                                                 QStringLiteral("EVALSHA"), QString()});
        if (!server.start()) {
            std::fprintf(stderr, "redis-server did not start\n");
            return 1;
        }
        for (int outstanding : {1, 16}) {
            const Figures f = run(server, decisions, outstanding);
            std::printf("%-12s %11d %12.0f %10.1f %10.1f %7llu\n",
                        scripts ? "scripted" : "script-free", outstanding, f.perSecond, f.p50us,
                        f.p99us, static_cast<unsigned long long>(f.errors));
        }
    }
    return 0;
}
