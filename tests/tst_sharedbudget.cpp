#include "core/redis/sharedbudget.h"
#include "tests/support/redisserver.h"

#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <optional>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

std::optional<Result<SharedDecision>> admitNow(SharedBudget& budget, const QByteArray& key,
                                               const BudgetLimits& limits, std::int64_t tokens) {
    std::optional<Result<SharedDecision>> out;
    budget.admit(key, limits, tokens,
                 [&out](Result<SharedDecision> r) { out.emplace(std::move(r)); });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), 3000); }();
    return out;
}

BudgetLimits perMinute(std::int64_t requests, std::int64_t burst, std::int64_t tokens = 0) {
    BudgetLimits l;
    l.requests.push_back(RateLevel{requests, 60s, burst});
    if (tokens > 0) {
        l.tokens.push_back(RateLevel{tokens, 60s, 0});
    }
    return l;
}

/// One "process": its own connection and budget, asking again as soon as it may.
class Contender : public QObject {
public:
    Contender(const RedisServer& server, QByteArray key, BudgetLimits limits, qint64 untilUs)
        : client(server.clientConfig())
        , budget(client)
        , m_key(std::move(key))
        , m_limits(std::move(limits))
        , m_untilUs(untilUs) {
        m_retry.setSingleShot(true);
        m_retry.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_retry, &QTimer::timeout, this, [this] { next(); });
    }
    void next() {
        ++attempts;
        budget.admit(m_key, m_limits, 0, [this](Result<SharedDecision> r) {
            if (!r.ok()) {
                ++errors;
                lastError = r.error().text();
                m_retry.start(10);
                return;
            }
            const SharedDecision& d = r.value();
            if (d.redisTimeUs >= m_untilUs) {
                done = true;
                return;
            }
            if (d.admitted) {
                admittedAt.push_back(d.redisTimeUs);
                next();
            } else {
                m_retry.start(static_cast<int>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(d.wait).count()));
            }
        });
    }
    RedisClient client;
    SharedBudget budget;
    std::vector<std::int64_t> admittedAt;
    int errors = 0;
    int attempts = 0;
    QString lastError;
    bool done = false;

private:
    QByteArray m_key;
    BudgetLimits m_limits;
    qint64 m_untilUs;
    QTimer m_retry;
};

std::int64_t redisTimeUs(const RedisServer& server) {
    RedisClient c(server.clientConfig());
    std::int64_t out = 0;
    c.send({"TIME"}, [&out](Result<RedisReply> r) {
        if (r.ok()) {
            out = r.value().elements[0].toInt() * 1000000 + r.value().elements[1].toInt();
        }
    });
    [&] { QTRY_VERIFY(out != 0); }();
    return out;
}

} // namespace

class TestSharedBudget : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void recognisesScriptRefusals_data() {
        QTest::addColumn<QString>("message");
        QTest::addColumn<bool>("refusal");
        QTest::newRow("renamed 7") << "ERR unknown command 'EVALSHA', with args beginning with: "
                                      "'abc' '0' "
                                   << true;
        QTest::newRow("renamed 6")
            << "ERR unknown command `EVAL`, with args beginning with: " << true;
        QTest::newRow("acl") << "NOPERM this user has no permissions to run the 'evalsha' command"
                             << true;
        QTest::newRow("managed") << "ERR command eval not support for normal user" << true;
        QTest::newRow("scripts off") << "ERR scripting is disabled in this instance" << true;
        QTest::newRow("noscript") << "NOSCRIPT No matching script. Please use EVAL." << false;
        QTest::newRow("lua bug") << "ERR user_script:3: attempt to compare nil with number"
                                 << false;
        QTest::newRow("oom") << "OOM command not allowed when used memory > 'maxmemory'." << false;
    }
    void recognisesScriptRefusals() {
        QFETCH(QString, message);
        QFETCH(bool, refusal);
        QCOMPARE(SharedBudget::isScriptRefusal(message), refusal);
    }

    void keysShareOneHashTag() {
        const QByteArray h = SharedBudget::keyHash("sk-secret-key-1234");
        QCOMPARE(h.size(), 16);
        QVERIFY(!h.contains("secret"));
        QCOMPARE(SharedBudget::levelKey(h, false, 60s, 600), "{sluice:" + h + "}:r:60000:600");
        QCOMPARE(SharedBudget::levelKey(h, true, 1h, 90000), "{sluice:" + h + "}:t:3600000:90000");
    }

    void burstThenPaced_data() {
        QTest::addColumn<bool>("scripts");
        QTest::newRow("scripted") << true;
        QTest::newRow("script-free") << false;
    }
    void burstThenPaced() {
        SKIP_WITHOUT_REDIS();
        QFETCH(bool, scripts);
        RedisServer server(scripts ? QStringList() : RedisServer::withoutScripts());
        QVERIFY(server.start());
        RedisClient client(server.clientConfig());
        SharedBudget budget(client);
        QSignalSpy modes(&budget, &SharedBudget::modeChanged);
        // 1 per ~1 s, 4 extra at once: wide enough that the helper's polling (QTRY steps of up to
        // 50 ms per call) cannot let an interval pass within the loop.
        const BudgetLimits limits = perMinute(60, 4);
        const QByteArray key = SharedBudget::keyHash("k");
        // 1 + burst go at once (the debt form), then the next waits about one interval.
        for (int i = 0; i < 5; ++i) {
            auto d = admitNow(budget, key, limits, 0);
            QVERIFY2(d->ok(), qPrintable(d->ok() ? QString() : d->error().text()));
            QVERIFY2(d->value().admitted, qPrintable(QString::number(i)));
        }
        auto refused = admitNow(budget, key, limits, 0);
        QVERIFY(refused->ok());
        QVERIFY(!refused->value().admitted);
        QVERIFY(refused->value().wait > 500ms && refused->value().wait <= 1011ms);
        QVERIFY(budget.mode() ==
                (scripts ? SharedBudget::Mode::Scripted : SharedBudget::Mode::ScriptFree));
        QCOMPARE(modes.count(), scripts ? 0 : 1);
        if (!scripts) {
            QVERIFY2(budget.modeReason().contains(QStringLiteral("unknown command")),
                     qPrintable(budget.modeReason()));
        }
    }

    void tokensReservedThenReconciled_data() { burstThenPaced_data(); }
    void tokensReservedThenReconciled() {
        SKIP_WITHOUT_REDIS();
        QFETCH(bool, scripts);
        RedisServer server(scripts ? QStringList() : RedisServer::withoutScripts());
        QVERIFY(server.start());
        RedisClient client(server.clientConfig());
        SharedBudget budget(client);
        BudgetLimits limits; // tokens only: 1,000/s, 1,000 at once
        limits.tokens.push_back(RateLevel{60000, 60s, 1000});
        const QByteArray key = SharedBudget::keyHash("t");
        QVERIFY(admitNow(budget, key, limits, 5000)->value().admitted); // reserves 5,000
        auto refused = admitNow(budget, key, limits, 100);
        QVERIFY(!refused->value().admitted);
        QVERIFY(refused->value().wait > 4s); // 5,000 tokens at ~1,000/s, less the burst
        // The answer used 100: 4,900 come back, and the next request goes.
        std::optional<Result<SharedDecision>> adjusted;
        budget.adjust(key, limits, -4900, [&](Result<SharedDecision> r) { adjusted.emplace(r); });
        QTRY_VERIFY(adjusted.has_value());
        QVERIFY(adjusted->ok());
        QVERIFY(admitNow(budget, key, limits, 100)->value().admitted);
    }

    void processesShareOneBudget() {
        SKIP_WITHOUT_REDIS();
        RedisServer server;
        QVERIFY(server.start());
        RedisClient a(server.clientConfig()), b(server.clientConfig());
        SharedBudget ba(a), bb(b);
        const BudgetLimits limits = perMinute(60, 2);
        const QByteArray key = SharedBudget::keyHash("shared");
        for (int i = 0; i < 3; ++i) {
            QVERIFY(admitNow(ba, key, limits, 0)->value().admitted);
        }
        QVERIFY(!admitNow(bb, key, limits, 0)->value().admitted); // a used it all
        QVERIFY(admitNow(bb, SharedBudget::keyHash("other"), limits, 0)->value().admitted);
    }

    void redisDownIsAnError() {
        SKIP_WITHOUT_REDIS();
        RedisServer server;
        QVERIFY(server.start());
        RedisClient client(server.clientConfig());
        SharedBudget budget(client);
        QVERIFY(admitNow(budget, "k", perMinute(60, 0), 0)->ok());
        server.kill();
        auto r = admitNow(budget, "k", perMinute(60, 0), 0);
        QVERIFY(!r->ok());
        QVERIFY(r->error().kind == Error::Kind::Unavailable);
    }

    // Four connections (four budgets, as four processes would be) sharing 600 per 2 s for
    // 6 s: no 2 s window holds more than 600 admissions, and together they use at least 97%.
    void fourContendersNeverOverrun_data() { burstThenPaced_data(); }
    void fourContendersNeverOverrun() {
        SKIP_WITHOUT_REDIS();
        QFETCH(bool, scripts);
        RedisServer server(scripts ? QStringList() : RedisServer::withoutScripts());
        QVERIFY(server.start());
        BudgetLimits limits;
        const Nanos period = 2s;
        const std::int64_t limit = 600;
        limits.requests.push_back(RateLevel{limit, period, 0});
        const std::int64_t startUs = redisTimeUs(server);
        const std::int64_t runUs = 6'000'000;
        std::vector<std::unique_ptr<Contender>> all;
        for (int i = 0; i < 4; ++i) {
            all.push_back(std::make_unique<Contender>(server, SharedBudget::keyHash("fleet"),
                                                      limits, startUs + runUs));
        }
        for (auto& c : all) {
            c->next();
        }
        QVERIFY(waitUntil(
            [&all] { return std::all_of(all.begin(), all.end(), [](auto& c) { return c->done; }); },
            15000));
        std::vector<std::int64_t> times;
        for (auto& c : all) {
            qInfo("contender: %d attempts, %zu admitted", c->attempts, c->admittedAt.size());
            QVERIFY2(c->errors == 0, qPrintable(c->lastError));
            QVERIFY(!c->admittedAt.empty()); // everyone got a share
            times.insert(times.end(), c->admittedAt.begin(), c->admittedAt.end());
        }
        std::sort(times.begin(), times.end());
        const std::int64_t periodUs = 2'000'000;
        std::int64_t worst = 0;
        for (std::size_t i = 0, j = 0; i < times.size(); ++i) {
            while (j < times.size() && times[j] < times[i] + periodUs) {
                ++j;
            }
            worst = std::max<std::int64_t>(worst, static_cast<std::int64_t>(j - i));
        }
        const double used = static_cast<double>(times.size()) /
                            (static_cast<double>(limit) * static_cast<double>(runUs) / periodUs);
        qInfo("%s: %zu admitted in 6 s, busiest 2 s window %lld of %lld, %.1f%% of the limit used",
              scripts ? "scripted" : "script-free", times.size(), static_cast<long long>(worst),
              static_cast<long long>(limit), used * 100);
        QVERIFY(worst <= limit);
        QVERIFY(used >= 0.97);
    }
};

QTEST_GUILESS_MAIN(TestSharedBudget)
#include "tst_sharedbudget.moc"
