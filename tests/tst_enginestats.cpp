#include "core/net/enginestats.h"

#include <QTest>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

// A request that ended `state` at `end`, sent at `sent`, its first token at `first` (0: none).
RequestRecord ended(RequestState state, Nanos submitted, Nanos sent, Nanos first, Nanos end) {
    RequestRecord r;
    r.state = state;
    r.submittedAt = submitted;
    r.sentAt = sent;
    r.firstTokenAt = first;
    r.lastAt = end;
    r.endedAt = end;
    if (state != RequestState::Done) {
        r.failure.kind = FailureKind::Network;
        r.reason = QStringLiteral("refused");
    }
    return r;
}

EngineSnapshot filled(const EngineStats& stats, Nanos now) {
    EngineSnapshot s;
    stats.fill(s, now);
    return s;
}

} // namespace

class TestEngineStats final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void countsEveryEvent();
    void ratesNeedATickAndSpanTheLastSecond();
    void rateLimitedIsNotCountedAsAnError();
    void percentilesCoverTheLastTenSeconds();
    void fillHasNoSideEffects();
};

void TestEngineStats::countsEveryEvent() {
    EngineStats stats;
    for (int i = 0; i < 5; ++i) {
        stats.onSubmitted();
    }
    stats.onSent(false);
    stats.onSent(true);
    stats.onBreakerRefused();
    stats.onEnded(ended(RequestState::Done, 0s, 1s, 2s, 3s));
    stats.onEnded(ended(RequestState::Failed, 0s, 1s, 0s, 3s));
    stats.onEnded(ended(RequestState::Rejected, 0s, 0s, 0s, 0s));
    stats.onEnded(ended(RequestState::TimedOut, 0s, 1s, 0s, 3s));
    stats.onEnded(ended(RequestState::Cancelled, 0s, 1s, 0s, 3s));
    const EngineSnapshot s = filled(stats, 3s);
    QCOMPARE(s.submitted, std::int64_t{5});
    QCOMPARE(s.attempts, std::int64_t{2});
    QCOMPARE(s.retries, std::int64_t{1});
    QCOMPARE(s.done, std::int64_t{1});
    QCOMPARE(s.failed, std::int64_t{1});
    QCOMPARE(s.rejected, std::int64_t{1});
    QCOMPARE(s.timedOut, std::int64_t{1});
    QCOMPARE(s.cancelled, std::int64_t{1});
    std::int64_t tallied = 0;
    for (const auto& e : s.failures) {
        tallied += e.count;
    }
    QCOMPARE(tallied, std::int64_t{4}); // every end but the done one
}

void TestEngineStats::ratesNeedATickAndSpanTheLastSecond() {
    EngineStats stats;
    stats.onSent(false);
    QCOMPARE(filled(stats, 1s).sentPerSecond, 0.0); // no tick yet: no base

    stats.advance(10s);
    for (int i = 0; i < 4; ++i) {
        stats.onSent(false);
        stats.onAnswer(Outcome::Success);
        stats.onTokens(100, 50);
    }
    const EngineSnapshot s = filled(stats, 12s); // two seconds after the only tick
    QCOMPARE(s.sentPerSecond, 2.0);
    QCOMPARE(s.okPerSecond, 2.0);
    QCOMPARE(s.tokensInPerSecond, 200.0);
    QCOMPARE(s.tokensOutPerSecond, 100.0);

    // Ticks every 100 ms keep about a second of history: the base moves on.
    for (int t = 1; t <= 20; ++t) {
        stats.advance(10s + t * 100ms);
    }
    QCOMPARE(filled(stats, 12s).sentPerSecond, 0.0);
}

void TestEngineStats::rateLimitedIsNotCountedAsAnError() {
    EngineStats stats;
    stats.advance(0s);
    stats.onAnswer(Outcome::RateLimited);
    stats.onRateLimited();
    stats.onAnswer(Outcome::ServerError);
    stats.onAnswer(Outcome::Cancelled); // says nothing about the target
    const EngineSnapshot s = filled(stats, 1s);
    QCOMPARE(s.rateLimited, std::int64_t{1});
    QCOMPARE(s.rateLimitedPerSecond, 1.0);
    QCOMPARE(s.errorsPerSecond, 1.0);
    QCOMPARE(s.okPerSecond, 0.0);
}

void TestEngineStats::percentilesCoverTheLastTenSeconds() {
    EngineStats stats;
    // An old slow request, then ten fast ones: submitted at 0, sent at 1 s, e2e i*10 ms.
    stats.onEnded(ended(RequestState::Done, 0s, 1s, 0s, 1s + 900ms));
    for (int i = 1; i <= 10; ++i) {
        const Nanos sent = 20s;
        stats.onEnded(ended(RequestState::Done, sent - 1s, sent, sent + i * 1ms, sent + i * 10ms));
    }
    // Between ticks the old one is skipped, not dropped.
    const EngineSnapshot s = filled(stats, 21s);
    QCOMPARE(s.e2eP50, Nanos{50ms});
    QCOMPARE(s.e2eP99, Nanos{100ms});
    QCOMPARE(s.totalP50, Nanos{1050ms});
    QCOMPARE(s.ttftP95, Nanos{10ms});
    // Ten seconds after the last one, nothing is left.
    stats.advance(31s);
    QCOMPARE(filled(stats, 31s).e2eP99, Nanos{0});
}

void TestEngineStats::fillHasNoSideEffects() {
    EngineStats stats;
    stats.advance(0s);
    stats.onSent(false);
    stats.onEnded(ended(RequestState::Done, 0s, 0s, 10ms, 20ms));
    const EngineSnapshot a = filled(stats, 500ms);
    const EngineSnapshot b = filled(stats, 500ms);
    QCOMPARE(a.sentPerSecond, b.sentPerSecond);
    QCOMPARE(a.e2eP50, b.e2eP50);
    QCOMPARE(a.failures.size(), b.failures.size());
}

QTEST_GUILESS_MAIN(TestEngineStats)
#include "tst_enginestats.moc"
