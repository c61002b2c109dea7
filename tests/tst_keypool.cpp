// KeyPool on a manual clock: which key an attempt takes, headroom mirrored from the
// provider's headers, a 429 cooling only its key, a 401/403 retiring one, the summed limits.

#include "core/net/keypool.h"

#include <QTest>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

std::vector<PoolKey> keys(int n) {
    std::vector<PoolKey> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(PoolKey{"sk-test-key-000" + QByteArray::number(i), {}});
    }
    return out;
}

ServerLimitView view(std::int64_t limit, std::int64_t remaining, Nanos reset) {
    ServerLimitView v;
    v.limitRequests = limit;
    v.remainingRequests = remaining;
    v.resetRequests = reset;
    return v;
}

} // namespace

class TestKeyPool : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void spreadsEvenlyWhileNothingIsKnown() {
        KeyPool pool(keys(4));
        std::vector<int> used(4, 0);
        for (int i = 0; i < 8; ++i) {
            const auto k = pool.choose(QStringLiteral("m"), Nanos{i});
            QVERIFY(k);
            ++used[*k];
            pool.admit(*k, 10, Nanos{i});
        }
        for (int n : used) {
            QCOMPARE(n, 2);
        }
    }

    void learnsEachKeysLimitAndPacesIt() {
        // Four keys at 60 rpm: after the first answers each key admits one request a second,
        // so the pool admits four a second, the sum.
        KeyPool pool(keys(4));
        const Nanos t0 = 1s;
        for (std::size_t k = 0; k < 4; ++k) {
            const auto adm = pool.admit(k, 10, t0);
            QCOMPARE(pool.onAttemptEnd(k, adm, 200, view(60, 59, 1s), 10, 10, t0),
                     KeyPool::Verdict::Ok);
        }
        QCOMPARE(pool.summedLimits().requests.size(), std::size_t(1));
        QCOMPARE(pool.summedLimits().requests[0].limit, 240);
        // Over 60 s of a manual clock, offered as fast as the pool admits.
        int admitted = 0;
        Nanos now = t0;
        for (int step = 0; step < 60'000 && now < t0 + 60s; ++step) {
            const auto wait = pool.waitTime(QStringLiteral("m"), now);
            QVERIFY(wait);
            if (wait->count() > 0) {
                now += *wait;
                continue;
            }
            const auto k = pool.choose(QStringLiteral("m"), now);
            QVERIFY(k);
            const auto adm = pool.admit(*k, 10, now);
            pool.onAttemptEnd(*k, adm, 200, {}, 10, 10, now);
            ++admitted;
        }
        QVERIFY2(admitted >= 228 && admitted <= 244, qPrintable(QString::number(admitted)));
    }

    void prefersTheKeyWithMostHeadroom() {
        KeyPool pool(keys(2));
        auto a0 = pool.admit(0, 1, 0s);
        pool.onAttemptEnd(0, a0, 200, view(100, 10, 30s), 1, 1, 0s);
        auto a1 = pool.admit(1, 1, 0s);
        pool.onAttemptEnd(1, a1, 200, view(100, 90, 30s), 1, 1, 0s);
        QCOMPARE(pool.choose(QStringLiteral("m"), 1s), std::optional<std::size_t>(1));
    }

    void rateLimitCoolsOnlyThatKeyUntilItsReset() {
        KeyPool pool(keys(2));
        const auto adm = pool.admit(0, 1, 0s);
        ServerLimitView v = view(60, 0, 20s);
        v.retryAfter = 7s;
        QCOMPARE(pool.onAttemptEnd(0, adm, 429, v, 1, 0, 0s), KeyPool::Verdict::Cooling);
        const auto f = pool.figures(1s);
        QCOMPARE(f[0].coolingFor, Nanos(6s));
        QCOMPARE(f[0].rateLimited, 1);
        QCOMPARE(f[1].coolingFor, Nanos{0});
        // The other key takes everything meanwhile; the pool as a whole does not wait.
        QCOMPARE(pool.choose(QStringLiteral("m"), 1s), std::optional<std::size_t>(1));
        QCOMPARE(pool.waitTime(QStringLiteral("m"), 1s), std::optional<Nanos>(Nanos{0}));
        QVERIFY(pool.figures(8s)[0].coolingFor == Nanos{0});
    }

    void rateLimitWithoutRetryAfterUsesTheReset() {
        KeyPool pool(keys(1));
        const auto adm = pool.admit(0, 1, 0s);
        QCOMPARE(pool.onAttemptEnd(0, adm, 429, view(60, 0, 12s), 1, 0, 0s),
                 KeyPool::Verdict::Cooling);
        QCOMPARE(*pool.waitTime(QStringLiteral("m"), 0s), Nanos(12s));
    }

    void authFailureRetiresTheKey_data() {
        QTest::addColumn<int>("status");
        QTest::newRow("401") << 401;
        QTest::newRow("403") << 403;
    }
    void authFailureRetiresTheKey() {
        QFETCH(int, status);
        KeyPool pool(keys(3));
        const auto adm = pool.admit(1, 1, 0s);
        QCOMPARE(pool.onAttemptEnd(1, adm, status, {}, 1, 0, 0s), KeyPool::Verdict::Retired);
        QVERIFY(pool.retired(1));
        QCOMPARE(pool.liveKeys(QStringLiteral("m")), 2);
        QVERIFY(pool.retiredReason(1).contains(QString::number(status)));
        for (int i = 0; i < 20; ++i) {
            const auto k = pool.choose(QStringLiteral("m"), Nanos{i});
            QVERIFY(k && *k != 1);
            pool.admit(*k, 1, Nanos{i});
        }
        // A second refusal of the same key is no new alarm.
        const auto again = pool.admit(1, 1, 1s);
        QCOMPARE(pool.onAttemptEnd(1, again, status, {}, 1, 0, 1s), KeyPool::Verdict::Ok);
        const auto f = pool.figures(1s);
        QVERIFY(f[1].retired);
        QVERIFY(!f[1].masked.contains(QStringLiteral("test-key")));
    }

    void retiredKeysLeaveTheSum() {
        KeyPool pool(keys(2));
        for (std::size_t k = 0; k < 2; ++k) {
            const auto adm = pool.admit(k, 1, 0s);
            pool.onAttemptEnd(k, adm, 200, view(60, 59, 1s), 1, 1, 0s);
        }
        QCOMPARE(pool.summedLimits().requests[0].limit, 120);
        pool.retire(0, QStringLiteral("test"));
        QCOMPARE(pool.summedLimits().requests[0].limit, 60);
        pool.retire(1, QStringLiteral("test"));
        QVERIFY(!pool.waitTime(QStringLiteral("m"), 0s));
        QVERIFY(!pool.choose(QStringLiteral("m"), 0s));
    }

    void keysServeTheirModelsOnly() {
        std::vector<PoolKey> k = keys(2);
        k[0].models = {QStringLiteral("a")};
        k[1].models = {QStringLiteral("b"), QStringLiteral("c")};
        KeyPool pool(std::move(k));
        QCOMPARE(pool.choose(QStringLiteral("a"), 0s), std::optional<std::size_t>(0));
        QCOMPARE(pool.choose(QStringLiteral("c"), 0s), std::optional<std::size_t>(1));
        QCOMPARE(pool.liveKeys(QStringLiteral("z")), 0);
        QVERIFY(!pool.choose(QStringLiteral("z"), 0s));
    }

    void aLimitLearnedLateCountsWhatWentBefore() {
        // Three went out before the provider had said anything; when it says 60 rpm, the
        // key's next minute holds 57 more, not 60.
        KeyPool pool(keys(1));
        std::uint64_t first = 0;
        for (int i = 0; i < 3; ++i) {
            const auto adm = pool.admit(0, 1, 0s);
            first = first ? first : adm;
        }
        pool.onAttemptEnd(0, first, 200, view(60, 57, 60s), 1, 1, 10ms);
        const Nanos wait = *pool.waitTime(QStringLiteral("m"), 10ms);
        QVERIFY2(wait >= 2900ms && wait <= 3100ms, qPrintable(QString::number(wait.count())));
    }

    void keyListsParse_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<int>("keys");
        QTest::addColumn<QStringList>("firstModels");
        QTest::addColumn<QString>("error");
        QTest::newRow("plain") << QByteArray("sk-a\nsk-b\n") << 2 << QStringList{} << QString();
        QTest::newRow("models and comments")
            << QByteArray("# pool\n\n  sk-a gpt-4o,gpt-4o-mini \nsk-b\n") << 2
            << QStringList{QStringLiteral("gpt-4o"), QStringLiteral("gpt-4o-mini")} << QString();
        QTest::newRow("empty") << QByteArray("# nothing\n") << 0 << QStringList{}
                               << QStringLiteral("keys.txt: no keys in the file");
        QTest::newRow("spaces between models")
            << QByteArray("sk-a\nsk-b gpt-4o, gpt-4o-mini\n") << 0 << QStringList{}
            << QStringLiteral("keys.txt:2: expected KEY or KEY MODEL,MODEL (no spaces between "
                              "the models)");
    }
    void keyListsParse() {
        QFETCH(QByteArray, text);
        QFETCH(int, keys);
        QFETCH(QStringList, firstModels);
        QFETCH(QString, error);
        const auto parsed = parseKeyList(text, QStringLiteral("keys.txt"));
        if (!error.isEmpty()) {
            QVERIFY(!parsed.ok());
            QCOMPARE(parsed.error().text(), error);
            QVERIFY(!parsed.error().text().contains(QLatin1String("sk-")));
            return;
        }
        QVERIFY(parsed.ok());
        QCOMPARE(static_cast<int>(parsed->size()), keys);
        QCOMPARE(parsed->front().key, QByteArray("sk-a"));
        QCOMPARE(parsed->front().models, firstModels);
    }

    void figuresMirrorTheHeaders() {
        KeyPool pool(keys(1));
        const auto adm = pool.admit(0, 50, 0s);
        ServerLimitView v = view(60, 42, 18s);
        v.limitTokens = 10'000;
        v.remainingTokens = 9'000;
        v.resetTokens = 6s;
        pool.admit(0, 50, 0s); // a second one still in flight
        pool.onAttemptEnd(0, adm, 200, v, 50, 40, 0s);
        const KeyFigures f = pool.figures(2s)[0];
        QCOMPARE(f.inFlight, 1);
        QCOMPARE(f.requests, 2);
        QCOMPARE(f.limitRequests, std::optional<std::int64_t>(60));
        QCOMPARE(f.remainingRequests, std::optional<std::int64_t>(42));
        QCOMPARE(f.remainingTokens, std::optional<std::int64_t>(9'000));
        QCOMPARE(f.resetRequestsIn, Nanos(16s));
        QCOMPARE(f.resetTokensIn, Nanos(4s));
        QCOMPARE(f.masked, QStringLiteral("sk-...0000"));
    }
};

QTEST_GUILESS_MAIN(TestKeyPool)
#include "tst_keypool.moc"
