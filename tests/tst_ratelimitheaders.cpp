#include "core/net/ratelimitheaders.h"

#include <QTest>

using namespace sluice;

namespace {

constexpr qint64 kAbsent = -1; // stands for nullopt in tables: valid values are never negative
constexpr qint64 kMs = 1'000'000;
constexpr qint64 kSec = 1'000'000'000;

// The response arrived at Monday 2026-11-23 10:00:00 UTC.
QDateTime now() {
    return QDateTime(QDate(2026, 11, 23), QTime(10, 0), Qt::UTC);
}

// "Name: value" lines, one per header, in order.
HeaderList headers(QByteArrayView text) {
    HeaderList out;
    for (const QByteArray& line : text.toByteArray().split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0) {
            out.append({line.first(colon), line.sliced(colon + 1)});
        }
    }
    return out;
}

qint64 value(std::optional<std::int64_t> v) {
    return v ? *v : kAbsent;
}
qint64 value(std::optional<Nanos> v) {
    return v ? v->count() : kAbsent;
}

} // namespace

class TestRateLimitHeaders final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tokensCombinedOnlyForTheCombinedWindow();
    void retryAfter_data();
    void retryAfter();
    void retryAfterNowInOtherZone();
    void openAi();
    void anthropic();
    void anthropicReset_data();
    void anthropicReset();
    void tightestTokens_data();
    void tightestTokens();
    void retryAfterMs_data();
    void retryAfterMs();
    void malformed_data();
    void malformed();
    void nothingToReport();
    void invalidNow();
};

void TestRateLimitHeaders::retryAfter_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<qint64>("nanos");

    QTest::newRow("seconds") << QByteArray("30") << 30 * kSec;
    QTest::newRow("zero") << QByteArray("0") << qint64(0);
    QTest::newRow("fractional") << QByteArray("1.5") << 1'500 * kMs;
    QTest::newRow("millisecond") << QByteArray("0.001") << kMs;
    QTest::newRow("beyond ns precision") << QByteArray("1.0000000019") << kSec + 1;
    QTest::newRow("padded") << QByteArray("  7 ") << 7 * kSec;
    QTest::newRow("IMF-fixdate") << QByteArray("Mon, 23 Nov 2026 10:00:05 GMT") << 5 * kSec;
    QTest::newRow("IMF next day") << QByteArray("Tue, 24 Nov 2026 10:00:00 GMT") << 86'400 * kSec;
    QTest::newRow("IMF lower case") << QByteArray("mon, 23 nov 2026 10:00:05 gmt") << 5 * kSec;
    QTest::newRow("IMF past") << QByteArray("Sun, 06 Nov 1994 08:49:37 GMT") << qint64(0);
    QTest::newRow("RFC 850") << QByteArray("Monday, 23-Nov-26 10:01:00 GMT") << 60 * kSec;
    // A two-digit year more than 50 years ahead is the previous century: 1994, long past.
    QTest::newRow("RFC 850 old century")
        << QByteArray("Sunday, 06-Nov-94 08:49:37 GMT") << qint64(0);
    QTest::newRow("asctime") << QByteArray("Mon Nov 23 10:00:30 2026") << 30 * kSec;
    QTest::newRow("asctime padded day") << QByteArray("Sun Nov  1 10:00:00 2026") << qint64(0);
    QTest::newRow("asctime future") << QByteArray("Tue Dec  1 10:00:00 2026") << 8 * 86'400 * kSec;

    QTest::newRow("empty") << QByteArray("") << kAbsent;
    QTest::newRow("negative") << QByteArray("-5") << kAbsent;
    QTest::newRow("plus sign") << QByteArray("+5") << kAbsent;
    QTest::newRow("word") << QByteArray("soon") << kAbsent;
    QTest::newRow("trailing dot") << QByteArray("1.") << kAbsent;
    QTest::newRow("exponent") << QByteArray("1e3") << kAbsent;
    QTest::newRow("two dots") << QByteArray("1.2.3") << kAbsent;
    QTest::newRow("unit") << QByteArray("5s") << kAbsent;
    QTest::newRow("too large") << QByteArray("99999999999999999999") << kAbsent;
    QTest::newRow("past Nanos") << QByteArray("9300000000") << kAbsent;
    QTest::newRow("bad month") << QByteArray("Mon, 23 Foo 2026 10:00:05 GMT") << kAbsent;
    QTest::newRow("no such day") << QByteArray("Mon, 31 Nov 2026 10:00:05 GMT") << kAbsent;
    QTest::newRow("hour 24") << QByteArray("Mon, 23 Nov 2026 24:00:00 GMT") << kAbsent;
    QTest::newRow("no zone") << QByteArray("Mon, 23 Nov 2026 10:00:05") << kAbsent;
    QTest::newRow("other zone") << QByteArray("Mon, 23 Nov 2026 10:00:05 PST") << kAbsent;
    QTest::newRow("trailing junk") << QByteArray("Mon, 23 Nov 2026 10:00:05 GMT x") << kAbsent;
    QTest::newRow("ISO date") << QByteArray("2026-11-23T10:00:05Z") << kAbsent;
    QTest::newRow("truncated") << QByteArray("Mon, 23 Nov") << kAbsent;
}

void TestRateLimitHeaders::retryAfter() {
    QFETCH(QByteArray, text);
    QFETCH(qint64, nanos);
    QCOMPARE(value(parseRetryAfter(text, now())), nanos);
    // Through the header path too, under any capitalisation.
    const RateLimitInfo info = parseRateLimitHeaders({{"Retry-After", text}}, now());
    QCOMPARE(value(info.retryAfter), nanos);
    QCOMPARE(info.any(), nanos != kAbsent);
}

void TestRateLimitHeaders::retryAfterNowInOtherZone() {
    // The same instant expressed with an offset must give the same answer.
    const QDateTime shifted = now().toOffsetFromUtc(5 * 3600 + 1800);
    QCOMPARE(value(parseRetryAfter("Mon, 23 Nov 2026 10:00:05 GMT", shifted)), 5 * kSec);
    QCOMPARE(value(parseRetryAfter("Monday, 23-Nov-26 10:00:05 GMT", shifted)), 5 * kSec);
}

void TestRateLimitHeaders::openAi() {
    // As api.openai.com sends them (mixed capitalisation as proxies may rewrite it).
    const RateLimitInfo info =
        parseRateLimitHeaders(headers("content-type: application/json\n"
                                      "x-ratelimit-limit-requests: 10000\n"
                                      "X-RateLimit-Limit-Tokens: 200000\n"
                                      "x-ratelimit-remaining-requests: 9999\n"
                                      "x-ratelimit-remaining-tokens: 199945\n"
                                      "x-ratelimit-reset-requests: 6m0s\n"
                                      "x-ratelimit-reset-tokens: 16ms\n"),
                              now());
    QVERIFY(info.any());
    QCOMPARE(value(info.limitRequests), qint64(10000));
    QCOMPARE(value(info.remainingRequests), qint64(9999));
    QCOMPARE(value(info.resetRequests), 360 * kSec);
    QCOMPARE(value(info.limitTokens), qint64(200000));
    QCOMPARE(value(info.remainingTokens), qint64(199945));
    QCOMPARE(value(info.resetTokens), 16 * kMs);
    QCOMPARE(value(info.retryAfter), kAbsent);
}

void TestRateLimitHeaders::anthropic() {
    const RateLimitInfo info =
        parseRateLimitHeaders(headers("anthropic-ratelimit-requests-limit: 50\n"
                                      "anthropic-ratelimit-requests-remaining: 49\n"
                                      "anthropic-ratelimit-requests-reset: 2026-11-23T10:00:01Z\n"
                                      "anthropic-ratelimit-tokens-limit: 40000\n"
                                      "anthropic-ratelimit-tokens-remaining: 39000\n"
                                      "anthropic-ratelimit-tokens-reset: 2026-11-23T10:00:02Z\n"
                                      "retry-after: 3\n"),
                              now());
    QCOMPARE(value(info.limitRequests), qint64(50));
    QCOMPARE(value(info.remainingRequests), qint64(49));
    QCOMPARE(value(info.resetRequests), 1 * kSec);
    QCOMPARE(value(info.limitTokens), qint64(40000));
    QCOMPARE(value(info.remainingTokens), qint64(39000));
    QCOMPARE(value(info.resetTokens), 2 * kSec);
    QCOMPARE(value(info.retryAfter), 3 * kSec);
}

void TestRateLimitHeaders::anthropicReset_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<qint64>("nanos");
    QTest::newRow("Z") << QByteArray("2026-11-23T10:00:05Z") << 5 * kSec;
    QTest::newRow("lower case") << QByteArray("2026-11-23t10:00:05z") << 5 * kSec;
    QTest::newRow("space") << QByteArray("2026-11-23 10:00:05Z") << 5 * kSec;
    QTest::newRow("milliseconds") << QByteArray("2026-11-23T10:00:05.250Z") << 5'250 * kMs;
    QTest::newRow("nanoseconds") << QByteArray("2026-11-23T10:00:05.123456789Z")
                                 << 5 * kSec + 123'456'789;
    QTest::newRow("offset ahead") << QByteArray("2026-11-23T11:30:05+01:30") << 5 * kSec;
    QTest::newRow("offset behind") << QByteArray("2026-11-23T09:00:05-01:00") << 5 * kSec;
    QTest::newRow("across midnight") << QByteArray("2026-11-24T00:00:00+14:00") << qint64(0);
    QTest::newRow("next day") << QByteArray("2026-11-24T10:00:00Z") << 86'400 * kSec;
    QTest::newRow("past clamps to zero") << QByteArray("2026-11-23T09:59:59Z") << qint64(0);
    QTest::newRow("padded") << QByteArray(" 2026-11-23T10:00:05Z ") << 5 * kSec;
    QTest::newRow("no zone") << QByteArray("2026-11-23T10:00:05") << kAbsent;
    QTest::newRow("empty fraction") << QByteArray("2026-11-23T10:00:05.Z") << kAbsent;
    QTest::newRow("month 13") << QByteArray("2026-13-01T10:00:05Z") << kAbsent;
    QTest::newRow("Feb 30") << QByteArray("2026-02-30T10:00:05Z") << kAbsent;
    QTest::newRow("minute 60") << QByteArray("2026-11-23T10:60:05Z") << kAbsent;
    QTest::newRow("short year") << QByteArray("26-11-23T10:00:05Z") << kAbsent;
    QTest::newRow("offset without colon") << QByteArray("2026-11-23T10:00:05+0100") << kAbsent;
    QTest::newRow("epoch seconds") << QByteArray("1795432805") << kAbsent;
    QTest::newRow("go duration") << QByteArray("5s") << kAbsent;
    QTest::newRow("beyond Nanos") << QByteArray("2300-01-01T00:00:00Z") << kAbsent;
}

void TestRateLimitHeaders::anthropicReset() {
    QFETCH(QByteArray, text);
    QFETCH(qint64, nanos);
    const RateLimitInfo info =
        parseRateLimitHeaders({{"anthropic-ratelimit-requests-reset", text}}, now());
    QCOMPARE(value(info.resetRequests), nanos);
    QCOMPARE(info.any(), nanos != kAbsent);
}

void TestRateLimitHeaders::tightestTokens_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<qint64>("limit");
    QTest::addColumn<qint64>("remaining");
    QTest::addColumn<qint64>("reset");

    QTest::newRow("input is tightest")
        << QByteArray("anthropic-ratelimit-tokens-limit: 100000\n"
                      "anthropic-ratelimit-tokens-remaining: 90000\n"
                      "anthropic-ratelimit-tokens-reset: 2026-11-23T10:00:10Z\n"
                      "anthropic-ratelimit-input-tokens-limit: 80000\n"
                      "anthropic-ratelimit-input-tokens-remaining: 100\n"
                      "anthropic-ratelimit-input-tokens-reset: 2026-11-23T10:00:20Z\n"
                      "anthropic-ratelimit-output-tokens-limit: 16000\n"
                      "anthropic-ratelimit-output-tokens-remaining: 8000\n"
                      "anthropic-ratelimit-output-tokens-reset: 2026-11-23T10:00:30Z\n")
        << qint64(80000) << qint64(100) << 20 * kSec;
    QTest::newRow("output is tightest")
        << QByteArray("anthropic-ratelimit-input-tokens-limit: 80000\n"
                      "anthropic-ratelimit-input-tokens-remaining: 70000\n"
                      "anthropic-ratelimit-output-tokens-limit: 16000\n"
                      "anthropic-ratelimit-output-tokens-remaining: 12\n"
                      "anthropic-ratelimit-output-tokens-reset: 2026-11-23T10:00:03Z\n")
        << qint64(16000) << qint64(12) << 3 * kSec;
    QTest::newRow("only output") << QByteArray(
                                        "anthropic-ratelimit-output-tokens-limit: 16000\n"
                                        "anthropic-ratelimit-output-tokens-remaining: 15000\n")
                                 << qint64(16000) << qint64(15000) << kAbsent;
    QTest::newRow("tie goes to later reset")
        << QByteArray("anthropic-ratelimit-input-tokens-limit: 1000\n"
                      "anthropic-ratelimit-input-tokens-remaining: 0\n"
                      "anthropic-ratelimit-input-tokens-reset: 2026-11-23T10:00:04Z\n"
                      "anthropic-ratelimit-output-tokens-limit: 500\n"
                      "anthropic-ratelimit-output-tokens-remaining: 0\n"
                      "anthropic-ratelimit-output-tokens-reset: 2026-11-23T10:00:09Z\n")
        << qint64(500) << qint64(0) << 9 * kSec;
    QTest::newRow("window with remaining beats one without")
        << QByteArray("anthropic-ratelimit-tokens-limit: 100000\n"
                      "anthropic-ratelimit-input-tokens-limit: 80000\n"
                      "anthropic-ratelimit-input-tokens-remaining: 5\n")
        << qint64(80000) << qint64(5) << kAbsent;
    QTest::newRow("no remaining anywhere")
        << QByteArray("anthropic-ratelimit-output-tokens-limit: 16000\n") << qint64(16000)
        << kAbsent << kAbsent;
    QTest::newRow("malformed remaining is not smallest")
        << QByteArray("anthropic-ratelimit-tokens-limit: 100\n"
                      "anthropic-ratelimit-tokens-remaining: 50\n"
                      "anthropic-ratelimit-input-tokens-limit: 80\n"
                      "anthropic-ratelimit-input-tokens-remaining: -1\n")
        << qint64(100) << qint64(50) << kAbsent;
}

void TestRateLimitHeaders::tightestTokens() {
    QFETCH(QByteArray, text);
    QFETCH(qint64, limit);
    QFETCH(qint64, remaining);
    QFETCH(qint64, reset);
    const RateLimitInfo info = parseRateLimitHeaders(headers(text), now());
    QCOMPARE(value(info.limitTokens), limit);
    QCOMPARE(value(info.remainingTokens), remaining);
    QCOMPARE(value(info.resetTokens), reset);
    QCOMPARE(value(info.limitRequests), kAbsent);
}

void TestRateLimitHeaders::retryAfterMs_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<qint64>("nanos");
    QTest::newRow("ms after seconds")
        << QByteArray("retry-after: 2\nretry-after-ms: 1200") << 1'200 * kMs;
    QTest::newRow("ms before seconds")
        << QByteArray("Retry-After-Ms: 1200\nretry-after: 2") << 1'200 * kMs;
    QTest::newRow("fractional ms") << QByteArray("retry-after-ms: 0.5") << 500'000LL;
    QTest::newRow("zero ms") << QByteArray("retry-after-ms: 0") << qint64(0);
    QTest::newRow("bad ms falls back")
        << QByteArray("retry-after-ms: soon\nretry-after: 2") << 2 * kSec;
    QTest::newRow("negative ms falls back")
        << QByteArray("retry-after-ms: -3\nretry-after: 2") << 2 * kSec;
    QTest::newRow("seconds only") << QByteArray("retry-after: 2") << 2 * kSec;
    QTest::newRow("neither valid") << QByteArray("retry-after-ms: x\nretry-after: y") << kAbsent;
}

void TestRateLimitHeaders::retryAfterMs() {
    QFETCH(QByteArray, text);
    QFETCH(qint64, nanos);
    QCOMPARE(value(parseRateLimitHeaders(headers(text), now()).retryAfter), nanos);
}

void TestRateLimitHeaders::malformed_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("negative count") << QByteArray("x-ratelimit-remaining-requests: -1");
    QTest::newRow("fraction count") << QByteArray("x-ratelimit-limit-tokens: 1.5");
    QTest::newRow("word count") << QByteArray("anthropic-ratelimit-tokens-limit: lots");
    QTest::newRow("empty count") << QByteArray("x-ratelimit-limit-requests: ");
    QTest::newRow("two numbers") << QByteArray("x-ratelimit-limit-requests: 12 34");
    QTest::newRow("count overflow")
        << QByteArray("x-ratelimit-limit-requests: 99999999999999999999999");
    QTest::newRow("hex count") << QByteArray("x-ratelimit-limit-requests: 0x10");
    QTest::newRow("negative go reset") << QByteArray("x-ratelimit-reset-requests: -5s");
    QTest::newRow("go reset without unit") << QByteArray("x-ratelimit-reset-tokens: 5");
    QTest::newRow("rfc reset garbage") << QByteArray("anthropic-ratelimit-tokens-reset: soon");
    QTest::newRow("go reset on anthropic") << QByteArray("anthropic-ratelimit-tokens-reset: 5s");
    QTest::newRow("retry-after garbage") << QByteArray("retry-after: later");
    QTest::newRow("binary junk") << QByteArray("x-ratelimit-limit-requests: \x01\xFF\xFE");
    QTest::newRow("near miss name") << QByteArray("x-ratelimit-limit-request: 5");
}

void TestRateLimitHeaders::malformed() {
    QFETCH(QByteArray, text);
    const RateLimitInfo info = parseRateLimitHeaders(headers(text), now());
    QVERIFY(!info.any());
}

void TestRateLimitHeaders::nothingToReport() {
    QVERIFY(!parseRateLimitHeaders({}, now()).any());
    QVERIFY(
        !parseRateLimitHeaders(headers("content-type: text/event-stream\nx-request-id: r1"), now())
             .any());
    // A malformed value does not hide a good one for the same header sent again.
    const RateLimitInfo info = parseRateLimitHeaders(
        headers("x-ratelimit-limit-requests: 60\nx-ratelimit-limit-requests: bad"), now());
    QCOMPARE(value(info.limitRequests), qint64(60));
}

void TestRateLimitHeaders::invalidNow() {
    // Without a wall-clock time, absolute values cannot become durations; relative ones can.
    const RateLimitInfo info =
        parseRateLimitHeaders(headers("anthropic-ratelimit-requests-reset: 2026-11-23T10:00:05Z\n"
                                      "x-ratelimit-reset-tokens: 1s\n"
                                      "retry-after: Mon, 23 Nov 2026 10:00:05 GMT\n"),
                              QDateTime());
    QCOMPARE(value(info.resetRequests), kAbsent);
    QCOMPARE(value(info.resetTokens), kSec);
    QCOMPARE(value(info.retryAfter), kAbsent);
    QCOMPARE(value(parseRetryAfter("4", QDateTime())), 4 * kSec);
}

// Only a combined tokens window may stand for prompt + completion tokens.
void TestRateLimitHeaders::tokensCombinedOnlyForTheCombinedWindow() {
    QVERIFY(parseRateLimitHeaders(headers("x-ratelimit-limit-tokens: 1000\n"
                                          "x-ratelimit-remaining-tokens: 10\n"),
                                  now())
                .tokensCombined);
    QVERIFY(!parseRateLimitHeaders(headers("anthropic-ratelimit-tokens-limit: 100000\n"
                                           "anthropic-ratelimit-tokens-remaining: 90000\n"
                                           "anthropic-ratelimit-output-tokens-limit: 16000\n"
                                           "anthropic-ratelimit-output-tokens-remaining: 12\n"),
                                   now())
                 .tokensCombined);
}

QTEST_GUILESS_MAIN(TestRateLimitHeaders)
#include "tst_ratelimitheaders.moc"
