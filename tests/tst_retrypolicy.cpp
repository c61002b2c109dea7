#include "core/engine/failure.h"
#include "core/engine/retrypolicy.h"

#include <QTest>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace sluice;
using namespace std::chrono_literals;

namespace {
// Large enough that the budget never interferes with tests about delays.
constexpr int kNoBudget = 1'000'000;

RetryConfig unbudgeted(RetryConfig::Jitter jitter) {
    RetryConfig c;
    c.jitter = jitter;
    c.budgetFloor = kNoBudget;
    c.maxAttempts = 1000;
    return c;
}

bool sameReason(const char* actual, const char* expected) {
    return std::strcmp(actual, expected) == 0;
}
} // namespace

class TestRetryPolicy final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void classify_data();
    void classify();
    void outcomeNamesAreDistinct();
    void noJitterIsExactExponential();
    void fullJitterBounds_data();
    void fullJitterBounds();
    void decorrelatedStaysWithinBounds();
    void retryAfterIsAFloor_data();
    void retryAfterIsAFloor();
    void retryAfterIsExactNotRounded();
    void retryAfterTooLongGivesUp();
    void attemptsExhausted();
    void nonRetryableNeverRetries_data();
    void nonRetryableNeverRetries();
    void budgetCapsRetries();
    void budgetFreesAsWindowSlides();
    void budgetFloorAllowsRetriesWithoutTraffic();
    void setConfigKeepsBudgetHistory();
    void sameSeedSameDelays();
};

void TestRetryPolicy::classify_data() {
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("quota");
    QTest::addColumn<bool>("networkError");
    QTest::addColumn<bool>("timedOut");
    QTest::addColumn<int>("expected");
    QTest::addColumn<bool>("retryable");
    QTest::addColumn<bool>("breakerFailure");
    QTest::addColumn<bool>("congestion");
    QTest::addColumn<QString>("name");

    auto row = [](const char* tag, int status, bool quota, bool net, bool timeout, Outcome o,
                  bool retryable, bool breaker, bool congestion, const char* name) {
        QTest::newRow(tag) << status << quota << net << timeout << static_cast<int>(o) << retryable
                           << breaker << congestion << QString::fromLatin1(name);
    };
    row("200", 200, false, false, false, Outcome::Success, false, false, false, "success");
    row("204", 204, false, false, false, Outcome::Success, false, false, false, "success");
    row("200 cut mid-stream", 200, false, true, false, Outcome::NetworkError, true, true, false,
        "network_error");
    row("429 rate", 429, false, true, false, Outcome::RateLimited, true, false, true,
        "rate_limited");
    row("429 quota", 429, true, true, false, Outcome::QuotaExhausted, false, false, false,
        "quota_exhausted");
    row("503", 503, false, true, false, Outcome::Overloaded, true, true, true, "overloaded");
    row("529", 529, false, true, false, Outcome::Overloaded, true, true, true, "overloaded");
    row("500", 500, false, true, false, Outcome::ServerError, true, true, false, "server_error");
    row("502", 502, false, true, false, Outcome::ServerError, true, true, false, "server_error");
    row("504", 504, false, true, false, Outcome::ServerError, true, true, false, "server_error");
    row("400", 400, false, true, false, Outcome::ClientError, false, false, false, "client_error");
    row("401", 401, false, true, false, Outcome::ClientError, false, false, false, "client_error");
    row("404", 404, false, true, false, Outcome::ClientError, false, false, false, "client_error");
    row("timeout, no response", 0, false, true, true, Outcome::Timeout, true, true, true,
        "timeout");
    row("timeout wins over status", 200, false, false, true, Outcome::Timeout, true, true, true,
        "timeout");
    row("connection refused", 0, false, true, false, Outcome::NetworkError, true, true, false,
        "network_error");
    row("no response, no flag", 0, false, false, false, Outcome::NetworkError, true, true, false,
        "network_error");
}

void TestRetryPolicy::classify() {
    QFETCH(int, status);
    QFETCH(bool, quota);
    QFETCH(bool, networkError);
    QFETCH(bool, timedOut);
    QFETCH(int, expected);
    QFETCH(bool, retryable);
    QFETCH(bool, breakerFailure);
    QFETCH(bool, congestion);
    QFETCH(QString, name);
    const Outcome o = classifyOutcome(status, quota, networkError, timedOut);
    QCOMPARE(static_cast<int>(o), expected);
    QCOMPARE(isRetryable(o), retryable);
    QCOMPARE(countsAsBreakerFailure(o), breakerFailure);
    QCOMPARE(isCongestionSignal(o), congestion);
    QCOMPARE(QString::fromLatin1(outcomeName(o)), name);
}

void TestRetryPolicy::outcomeNamesAreDistinct() {
    std::set<std::string> names;
    for (int i = 0; i <= static_cast<int>(Outcome::Cancelled); ++i) {
        names.insert(outcomeName(static_cast<Outcome>(i)));
    }
    QCOMPARE(names.size(), std::size_t(10));
    QVERIFY(names.count("unknown") == 0);
    QCOMPARE(QString::fromLatin1(outcomeName(Outcome::Cancelled)), QStringLiteral("cancelled"));
    QVERIFY(!isRetryable(Outcome::Cancelled));
    QVERIFY(!countsAsBreakerFailure(Outcome::Cancelled));
    QVERIFY(!isCongestionSignal(Outcome::Cancelled));
}

void TestRetryPolicy::noJitterIsExactExponential() {
    ManualClock clock;
    RetryPolicy policy(unbudgeted(RetryConfig::Jitter::None), clock, 1);
    const std::vector<Nanos> expected = {500ms, 1s, 2s, 4s, 8s, 16s, 30s, 30s};
    for (int attempt = 1; attempt <= static_cast<int>(expected.size()); ++attempt) {
        const auto d = policy.onFailure(Outcome::ServerError, attempt, std::nullopt);
        QVERIFY(d.retry);
        QVERIFY(sameReason(d.reason, "retry"));
        QCOMPARE(d.delay, expected[attempt - 1]);
    }
    // A huge attempt number must not overflow into a negative or tiny delay.
    QCOMPARE(policy.onFailure(Outcome::ServerError, 999, std::nullopt).delay, Nanos{30s});
}

void TestRetryPolicy::fullJitterBounds_data() {
    QTest::addColumn<int>("attempt");
    QTest::addColumn<qint64>("capMs");
    QTest::newRow("attempt 1") << 1 << qint64(500);
    QTest::newRow("attempt 2") << 2 << qint64(1000);
    QTest::newRow("attempt 4") << 4 << qint64(4000);
    QTest::newRow("attempt 6") << 6 << qint64(16000);
    QTest::newRow("attempt 7, capped") << 7 << qint64(30000);
    QTest::newRow("attempt 20, capped") << 20 << qint64(30000);
}

// Uniform on [0, cap]: every draw in range, the mean near cap/2 and the range actually covered.
void TestRetryPolicy::fullJitterBounds() {
    QFETCH(int, attempt);
    QFETCH(qint64, capMs);
    const Nanos cap = std::chrono::milliseconds(capMs);
    ManualClock clock;
    RetryPolicy policy(unbudgeted(RetryConfig::Jitter::Full), clock, 42);
    constexpr int kDraws = 10000;
    double sum = 0;
    Nanos lo = cap;
    Nanos hi{0};
    for (int i = 0; i < kDraws; ++i) {
        const auto d = policy.onFailure(Outcome::Overloaded, attempt, std::nullopt);
        QVERIFY(d.retry);
        QVERIFY(d.delay >= Nanos{0});
        QVERIFY(d.delay <= cap);
        sum += static_cast<double>(d.delay.count());
        lo = std::min(lo, d.delay);
        hi = std::max(hi, d.delay);
    }
    const double mean = sum / kDraws / static_cast<double>(cap.count());
    QVERIFY2(mean > 0.48 && mean < 0.52, qPrintable(QString::number(mean)));
    QVERIFY(lo < cap / 100);
    QVERIFY(hi > cap * 99 / 100);
}

void TestRetryPolicy::decorrelatedStaysWithinBounds() {
    ManualClock clock;
    RetryConfig config = unbudgeted(RetryConfig::Jitter::Decorrelated);
    config.baseDelay = 100ms;
    config.maxDelay = 10s;
    RetryPolicy policy(config, clock, 7);

    // The first retry grows from base: uniform in [base, 3 * base].
    for (int i = 0; i < 1000; ++i) {
        const auto d = policy.onFailure(Outcome::Timeout, 1, std::nullopt, Nanos{0});
        QVERIFY(d.delay >= 100ms);
        QVERIFY(d.delay <= 300ms);
    }

    Nanos prev{0};
    Nanos lo = config.maxDelay;
    int atCap = 0;
    for (int i = 0; i < 10000; ++i) {
        const auto d = policy.onFailure(Outcome::Timeout, 2, std::nullopt, prev);
        QVERIFY(d.retry);
        QVERIFY2(d.delay >= config.baseDelay && d.delay <= config.maxDelay,
                 qPrintable(QString::number(d.delay.count())));
        lo = std::min(lo, d.delay);
        atCap += d.delay == config.maxDelay ? 1 : 0;
        prev = d.delay;
    }
    // The chain wanders over the whole range: it reaches the cap and falls back near base.
    QVERIFY(atCap > 0);
    QVERIFY(lo < 2 * config.baseDelay);
}

void TestRetryPolicy::retryAfterIsAFloor_data() {
    QTest::addColumn<int>("jitter");
    QTest::newRow("none") << static_cast<int>(RetryConfig::Jitter::None);
    QTest::newRow("full") << static_cast<int>(RetryConfig::Jitter::Full);
    QTest::newRow("decorrelated") << static_cast<int>(RetryConfig::Jitter::Decorrelated);
}

void TestRetryPolicy::retryAfterIsAFloor() {
    QFETCH(int, jitter);
    ManualClock clock;
    RetryPolicy policy(unbudgeted(static_cast<RetryConfig::Jitter>(jitter)), clock, 99);
    std::mt19937_64 rng(3);
    // Retry-After values from nothing to past maxDelay, at odd nanosecond offsets.
    std::uniform_int_distribution<std::int64_t> retryAfterNs(0, Nanos{60s}.count());
    std::uniform_int_distribution<int> attempts(1, 10);
    Nanos prev{0};
    for (int i = 0; i < 10000; ++i) {
        const Nanos retryAfter{retryAfterNs(rng)};
        const auto d = policy.onFailure(Outcome::RateLimited, attempts(rng), retryAfter, prev);
        QVERIFY(d.retry);
        if (d.delay < retryAfter) {
            QFAIL(qPrintable(QStringLiteral("draw %1: delay %2 below Retry-After %3")
                                 .arg(i)
                                 .arg(d.delay.count())
                                 .arg(retryAfter.count())));
        }
        prev = d.delay;
    }
}

void TestRetryPolicy::retryAfterIsExactNotRounded() {
    ManualClock clock;
    RetryPolicy policy(unbudgeted(RetryConfig::Jitter::None), clock, 1);
    const Nanos odd{1'234'567'891};
    QCOMPARE(policy.onFailure(Outcome::RateLimited, 1, odd).delay, odd);
    // Above maxDelay too: the server's word beats our cap.
    QCOMPARE(policy.onFailure(Outcome::RateLimited, 1, Nanos{90s}).delay, Nanos{90s});
    // Below the backoff it changes nothing.
    QCOMPARE(policy.onFailure(Outcome::RateLimited, 2, Nanos{1ms}).delay, Nanos{1s});
    // A nonsensical negative Retry-After is no floor at all.
    QCOMPARE(policy.onFailure(Outcome::RateLimited, 1, Nanos{-5s}).delay, Nanos{500ms});
}

void TestRetryPolicy::retryAfterTooLongGivesUp() {
    ManualClock clock;
    RetryPolicy policy(unbudgeted(RetryConfig::Jitter::Full), clock, 1);
    const auto tooLong = policy.onFailure(Outcome::RateLimited, 1, Nanos{5min} + Nanos{1});
    QVERIFY(!tooLong.retry);
    QVERIFY(sameReason(tooLong.reason, "retry_after_too_long"));
    QCOMPARE(tooLong.delay, Nanos{0});
    const auto atLimit = policy.onFailure(Outcome::RateLimited, 1, Nanos{5min});
    QVERIFY(atLimit.retry);
    QCOMPARE(atLimit.delay, Nanos{5min});
}

void TestRetryPolicy::attemptsExhausted() {
    ManualClock clock;
    RetryConfig config = unbudgeted(RetryConfig::Jitter::Full);
    config.maxAttempts = 4;
    RetryPolicy policy(config, clock, 1);
    for (int attempt = 1; attempt <= 3; ++attempt) {
        QVERIFY(policy.onFailure(Outcome::ServerError, attempt, std::nullopt).retry);
    }
    const auto d = policy.onFailure(Outcome::ServerError, 4, std::nullopt);
    QVERIFY(!d.retry);
    QVERIFY(sameReason(d.reason, "attempts_exhausted"));

    config.maxAttempts = 1;
    policy.setConfig(config);
    QVERIFY(sameReason(policy.onFailure(Outcome::ServerError, 1, std::nullopt).reason,
                       "attempts_exhausted"));
}

void TestRetryPolicy::nonRetryableNeverRetries_data() {
    QTest::addColumn<int>("outcome");
    QTest::newRow("quota") << static_cast<int>(Outcome::QuotaExhausted);
    QTest::newRow("4xx") << static_cast<int>(Outcome::ClientError);
    QTest::newRow("cancelled") << static_cast<int>(Outcome::Cancelled);
    QTest::newRow("success") << static_cast<int>(Outcome::Success);
}

void TestRetryPolicy::nonRetryableNeverRetries() {
    QFETCH(int, outcome);
    ManualClock clock;
    RetryConfig config;
    config.budgetFloor = 1;
    RetryPolicy policy(config, clock, 1);
    for (int i = 0; i < 100; ++i) {
        const auto d = policy.onFailure(static_cast<Outcome>(outcome), 1, Nanos{1s});
        QVERIFY(!d.retry);
        QVERIFY(sameReason(d.reason, "not_retryable"));
        QCOMPARE(d.delay, Nanos{0});
    }
    // A refusal consumes no budget: the single floor retry is still there.
    QVERIFY(policy.onFailure(Outcome::ServerError, 1, std::nullopt).retry);
    QVERIFY(!policy.onFailure(Outcome::ServerError, 1, std::nullopt).retry);
}

void TestRetryPolicy::budgetCapsRetries() {
    ManualClock clock(1000s);
    RetryPolicy policy(RetryConfig{}, clock, 1);
    QCOMPARE(policy.budgetUsed(), 0.0);
    for (int i = 0; i < 100; ++i) {
        policy.recordFirstAttempt();
    }
    for (int i = 0; i < 10; ++i) {
        const auto d = policy.onFailure(Outcome::Overloaded, 1, std::nullopt);
        QVERIFY2(d.retry, qPrintable(QStringLiteral("retry %1 refused").arg(i)));
    }
    const auto d = policy.onFailure(Outcome::Overloaded, 1, std::nullopt);
    QVERIFY(!d.retry);
    QVERIFY(sameReason(d.reason, "budget_exhausted"));
    QCOMPARE(policy.budgetUsed(), 0.1);
    // Ten more first attempts buy exactly one more retry.
    for (int i = 0; i < 10; ++i) {
        policy.recordFirstAttempt();
    }
    QVERIFY(policy.onFailure(Outcome::Overloaded, 1, std::nullopt).retry);
    QVERIFY(!policy.onFailure(Outcome::Overloaded, 1, std::nullopt).retry);
}

// Steady traffic of 100 first attempts per minute. Ten retries spend the budget; it comes back
// only once those retries have left the window (60 s, plus at most one 1 s bucket), even though
// first attempts keep arriving all along.
void TestRetryPolicy::budgetFreesAsWindowSlides() {
    ManualClock clock;
    RetryPolicy policy(RetryConfig{}, clock, 1);
    constexpr Nanos kGap = 600ms;
    for (int k = 0; k < 100; ++k) {
        clock.set(kGap * k);
        policy.recordFirstAttempt();
    }
    QCOMPARE(clock.now(), Nanos{59400ms});
    for (int i = 0; i < 10; ++i) {
        QVERIFY(policy.onFailure(Outcome::Timeout, 1, std::nullopt).retry);
    }
    QVERIFY(!policy.onFailure(Outcome::Timeout, 1, std::nullopt).retry);

    for (int k = 100; k < 200; ++k) {
        clock.set(kGap * k);
        policy.recordFirstAttempt();
        QVERIFY2(!policy.onFailure(Outcome::Timeout, 1, std::nullopt).retry,
                 qPrintable(QStringLiteral("granted at %1 ms").arg(k * 600)));
    }
    // The retries sat in the bucket [59 s, 60 s), which leaves at 120 s: not a tick earlier.
    clock.set(120s - 1ns);
    QVERIFY(!policy.onFailure(Outcome::Timeout, 1, std::nullopt).retry);
    clock.set(120s);
    policy.recordFirstAttempt();
    QVERIFY(policy.onFailure(Outcome::Timeout, 1, std::nullopt).retry);
    // And then the whole budget is back: 101 first attempts in the window allow 10 retries.
    for (int i = 1; i < 10; ++i) {
        QVERIFY2(policy.onFailure(Outcome::Timeout, 1, std::nullopt).retry,
                 qPrintable(QString::number(i)));
    }
    QVERIFY(!policy.onFailure(Outcome::Timeout, 1, std::nullopt).retry);
}

void TestRetryPolicy::budgetFloorAllowsRetriesWithoutTraffic() {
    ManualClock clock;
    RetryConfig config;
    config.budgetFloor = 3;
    RetryPolicy policy(config, clock, 1);
    for (int i = 0; i < 3; ++i) {
        QVERIFY(policy.onFailure(Outcome::NetworkError, 1, std::nullopt).retry);
    }
    QVERIFY(sameReason(policy.onFailure(Outcome::NetworkError, 1, std::nullopt).reason,
                       "budget_exhausted"));
    QCOMPARE(policy.budgetUsed(), 0.0);
    clock.advance(61s);
    for (int i = 0; i < 3; ++i) {
        QVERIFY(policy.onFailure(Outcome::NetworkError, 1, std::nullopt).retry);
    }
    QVERIFY(!policy.onFailure(Outcome::NetworkError, 1, std::nullopt).retry);
}

void TestRetryPolicy::setConfigKeepsBudgetHistory() {
    ManualClock clock;
    RetryPolicy policy(RetryConfig{}, clock, 1);
    for (int i = 0; i < 100; ++i) {
        policy.recordFirstAttempt();
    }
    for (int i = 0; i < 10; ++i) {
        QVERIFY(policy.onFailure(Outcome::ServerError, 1, std::nullopt).retry);
    }
    QVERIFY(!policy.onFailure(Outcome::ServerError, 1, std::nullopt).retry);
    RetryConfig wider = policy.config();
    wider.budgetRatio = 0.2;
    policy.setConfig(wider);
    QCOMPARE(policy.config().budgetRatio, 0.2);
    for (int i = 0; i < 10; ++i) {
        QVERIFY(policy.onFailure(Outcome::ServerError, 1, std::nullopt).retry);
    }
    QVERIFY(!policy.onFailure(Outcome::ServerError, 1, std::nullopt).retry);
    QCOMPARE(policy.budgetUsed(), 0.2);
}

void TestRetryPolicy::sameSeedSameDelays() {
    ManualClock clock;
    const RetryConfig config = unbudgeted(RetryConfig::Jitter::Full);
    RetryPolicy a(config, clock, 1234);
    RetryPolicy b(config, clock, 1234);
    RetryPolicy c(config, clock, 1235);
    int differ = 0;
    for (int i = 0; i < 100; ++i) {
        const Nanos da = a.onFailure(Outcome::ServerError, 5, std::nullopt).delay;
        QCOMPARE(b.onFailure(Outcome::ServerError, 5, std::nullopt).delay, da);
        differ += c.onFailure(Outcome::ServerError, 5, std::nullopt).delay != da ? 1 : 0;
    }
    QVERIFY(differ > 90);
}

QTEST_GUILESS_MAIN(TestRetryPolicy)
#include "tst_retrypolicy.moc"
