// The benchmark runner against the built-in mock: live rate changes, coordinated omission,
// schedule precision, the stress knee and reports that read back. The truth about what was sent
// comes from the mock's own counters where the claim is about the server. A scenario's parts on
// their own (schedules, load shapes, SLO specs, scenario errors) are in tst_benchscenario.
#include "core/bench/benchrunner.h"
#include "core/bench/report/reportfiles.h"
#include "core/bench/runstats.h"
#include "core/host/handoff.h"
#include "core/net/requestmeasure.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/httptestclient.h"
#include "tests/support/timedtest.h"

#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <cmath>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

MockConfig fastMock() {
    MockConfig m;
    m.rpm = 0;
    m.tpm = 0;
    m.capacity = 1000;
    m.ttftMs = 1;
    m.tpotMs = 0;
    m.tokensMin = m.tokensMax = 1;
    return m;
}

BenchScenario openLoop(double rate, Nanos duration) {
    BenchScenario s;
    s.profile.kind = LoadProfile::Kind::Constant;
    s.profile.load = rate;
    s.duration = duration;
    s.maxTokens = 16;
    s.promptTokens = 8;
    return s;
}

QUrl v1(const MockServer& mock) {
    return QUrl(mock.baseUrl().toString() + QStringLiteral("/v1"));
}

double mockRequests(MockServer& mock) {
    return mock.statsJson().value(QStringLiteral("requests")).toDouble();
}

// The mock on a thread of its own, so the runner's timing is not the mock's work.
class ThreadedMock {
public:
    explicit ThreadedMock(const MockConfig& config) {
        // Built inside the thread, so every object it owns (members too) lives there.
        m_context.moveToThread(&m_thread);
        m_thread.start();
        runThere([this, config] {
            m_mock = new MockServer(config);
            m_ok = m_mock->listen();
        });
    }
    ~ThreadedMock() {
        runThere([this] { delete std::exchange(m_mock, nullptr); });
        m_thread.quit();
        m_thread.wait();
    }
    bool ok() const { return m_ok; }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1/v1").arg(m_port)); }
    double requests() {
        double n = 0;
        runThere([this, &n] { n = mockRequests(*m_mock); });
        return n;
    }

private:
    /// Runs `f` in the thread and returns when it has. A queued call and a condition variable
    /// rather than Qt::BlockingQueuedConnection: its semaphore is a futex ThreadSanitizer does
    /// not see, and Qt reads the caller's stack in the thread after `f` has returned.
    template <typename F> void runThere(F f) {
        std::mutex mutex;
        std::condition_variable changed;
        bool done = false;
        QMetaObject::invokeMethod(&m_context, handOff([&] {
            f();
            const std::lock_guard lock(mutex);
            if (m_mock) {
                m_port = m_mock->port();
            }
            done = true;
            changed.notify_one(); // under the lock: the caller's stack lives until it is out
        }),
                                  Qt::QueuedConnection);
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return done; });
    }

    QThread m_thread;
    QObject m_context;
    MockServer* m_mock = nullptr; ///< lives in m_thread; used only there (runThere)
    bool m_ok = false;            ///< written there, read here after runThere
    quint16 m_port = 0;           ///< likewise
};

// This thread's time on a CPU, and how long it has been runnable but waiting for a CPU that
// other work held (the run-queue delay), from Linux schedstat; nothing where the kernel does
// not say.
struct ThreadSched {
    Nanos onCpu{0};
    Nanos waiting{0};
};
std::optional<ThreadSched> schedOfThisThread() {
    std::ifstream in("/proc/thread-self/schedstat");
    long long onCpu = -1;
    long long waiting = -1;
    if (!(in >> onCpu >> waiting) || onCpu < 0 || waiting < 0) {
        return std::nullopt;
    }
    return ThreadSched{Nanos{onCpu}, Nanos{waiting}};
}

bool runToEnd(BenchRunner& runner, int timeoutMs) {
    return test::runUntil([&] { return runner.isFinished(); }, timeoutMs);
}

double hp(const BenchRunner& runner, const char* metric, double p) {
    return static_cast<double>(runner.histogram(QLatin1String(metric))->percentile(p)) / 1e6;
}

} // namespace

class TestBenchRunner final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void midRunRateChangeReachesTheNewRate();
    void scheduleIsPreciseAt1000Rps();
    void coordinatedOmissionIsCorrectedOnVirtualTime();
    void coordinatedOmissionIsCorrected();
    void stressFindsTheKnee();
    void closedLoopKeepsNInFlight();
    void serverStampsMeasureOurTimingError();
    void reportsAreWrittenAndReadBack();
};

// Acceptance: a mid-run rate change 10 -> 50 rps reaches +-5% of 50 within 2 s, counted by the
// server.
void TestBenchRunner::midRunRateChangeReachesTheNewRate() {
    MockServer mock(fastMock());
    QVERIFY(mock.listen());
    BenchRunner runner(openLoop(10, 8s), v1(mock));
    runner.start();
    QVERIFY(test::runUntil(
        [&] { return toSeconds(runner.engine().clock().now()) > 0 && runner.series().size() >= 3; },
        10000));
    const SteadyClock clock;
    runner.setLoad(50);
    const Nanos changedAt = clock.now();
    QVERIFY(test::runUntil([&] { return clock.now() - changedAt >= 1s; }, 5000));
    const double at1 = mockRequests(mock);
    QVERIFY(test::runUntil([&] { return clock.now() - changedAt >= 2s; }, 5000));
    const double at2 = mockRequests(mock);
    qInfo("server saw %.0f requests in the second second after 10 -> 50 rps", at2 - at1);
    QVERIFY2(at2 - at1 >= 47.5 && at2 - at1 <= 52.5, qPrintable(QString::number(at2 - at1)));
    runner.stop(); // what was to be seen is seen: the rest of the 8 s would only repeat it
    QVERIFY(runToEnd(runner, 20000));
    const auto& events = runner.events();
    QVERIFY(std::any_of(events.begin(), events.end(), [](const BenchEvent& e) {
        return e.kind == QLatin1String("rate") && e.text.contains(QLatin1String("10 -> 50"));
    }));
}

// Acceptance: without a stall, the p99 of (sent - intended) is <= 1 ms at 1,000 rps.
//
// What the runner can promise depends on getting a CPU when its timer is due. While other
// processes hold the machine's cores, this thread waits on the run queue, and every request due
// while it waits leaves late whatever the runner does. The kernel counts that wait: a wait of
// d ms makes at most d requests (one per ms) more than 1 ms late. So when the p99 is missed
// although this thread waited less than 1% of the run (30 ms: 30 requests, the 1% the p99
// allows), the runner is at fault and the test fails; when it waited more, the machine could not
// keep a 1 ms schedule for anyone and the test skips, saying so with both figures.
void TestBenchRunner::scheduleIsPreciseAt1000Rps() {
    ThreadedMock mock(fastMock());
    QVERIFY(mock.ok());
    const Nanos duration = 3s;
    BenchScenario s = openLoop(1000, duration);
    s.stream = false;
    BenchRunner runner(s, mock.url());
    const std::optional<ThreadSched> before = schedOfThisThread();
    runner.start();
    QVERIFY(runToEnd(runner, 30000));
    const std::optional<ThreadSched> after = schedOfThisThread();
    const LatencyHistogram& lag = *runner.histogram(QStringLiteral("queue"));
    const QJsonObject counts = runner.summary().value(QStringLiteral("counts")).toObject();
    const double cpuWaitMs =
        before && after ? toMillis(after->waiting - before->waiting) : -1; // -1: unknown
    const double cpuMs = before && after ? toMillis(after->onCpu - before->onCpu) : -1;
    qInfo("1000 rps for 3 s: %lld sent, (sent - intended) p50 %.3f ms, p99 %.3f ms, max %.3f ms; "
          "server saw %.0f; late starts %.0f; this thread waited %.1f ms for a CPU and ran "
          "%.1f ms",
          (long long)lag.count(), hp(runner, "queue", 50), hp(runner, "queue", 99),
          static_cast<double>(lag.max()) / 1e6, mock.requests(),
          counts.value(QStringLiteral("late_starts")).toDouble(), cpuWaitMs, cpuMs);
    QCOMPARE(lag.count(), 3000);
    QCOMPARE(mock.requests(), 3000.0);
    if (test::timedTestsSkipped()) {
        QSKIP("every request sent and served; the 1 ms p99 is not asserted under "
              "SLUICE_SKIP_TIMED=1 (a sanitizer's slowdown)");
    }
    const double p99 = hp(runner, "queue", 99);
    if (p99 > 1.0 && cpuWaitMs >= 0.01 * toMillis(duration)) {
        QSKIP(qPrintable(QStringLiteral("p99 %1 ms over 1 ms, but other work held the CPU from "
                                        "this thread for %2 ms of the %3 ms run (1% is allowed):"
                                        " the machine could not keep a 1 ms schedule")
                             .arg(p99, 0, 'f', 3)
                             .arg(cpuWaitMs, 0, 'f', 1)
                             .arg(toMillis(duration))));
    }
    QVERIFY2(p99 <= 1.0, qPrintable(QStringLiteral("p99 %1 ms; this thread waited %2 ms for a CPU")
                                        .arg(p99)
                                        .arg(cpuWaitMs)));
    // On time without a busy thread: between arrivals the runner sleeps until the next one (a
    // loop spinning through the last millisecond of each would run for the whole 3 s here).
    if (cpuMs >= 0) {
        QVERIFY2(cpuMs < 0.5 * toMillis(duration),
                 qPrintable(QStringLiteral("the runner's thread ran %1 ms of the %2 ms run")
                                .arg(cpuMs, 0, 'f', 1)
                                .arg(toMillis(duration))));
    }
}

// The measurement behind coordinatedOmissionIsCorrected, on virtual time: 100 rps for 20 s,
// handed over on schedule; at most 10 in flight on our side; a server answering in 5 ms that
// stalls from 5 s to 10 s (what it holds, and what arrives meanwhile, is answered once it
// resumes). RunStats, fed what the runner feeds it, must charge the stall to the latency from
// the intended time (p99 >= 4.5 s) and not to the service time, and count the requests our cap
// held as held by limits, not as late starts.
void TestBenchRunner::coordinatedOmissionIsCorrectedOnVirtualTime() {
    ArrivalSchedule schedule(false, 1);
    schedule.start(0s);
    const Nanos stallFrom = 5s;
    const Nanos stallUntil = 10s;
    const Nanos service = 5ms;
    const std::size_t cap = 10;
    const Nanos lateThreshold = 10ms;             // the runner's default
    std::vector<Nanos> slotFreeAt(cap, Nanos{0}); // when each of our 10 slots frees
    RunStats stats;
    for (; schedule.next() < 20s; schedule.advance(100)) {
        const Nanos intended = schedule.next();
        // The earliest free slot takes it (FIFO: arrivals come in order).
        auto slot = std::min_element(slotFreeAt.begin(), slotFreeAt.end());
        const Nanos sent = std::max(intended, *slot);
        const Nanos start = sent >= stallFrom && sent < stallUntil ? stallUntil : sent;
        const Nanos end = start + service;
        *slot = end;
        RequestRecord r;
        r.state = RequestState::Done;
        r.attempts = 1;
        r.status = 200;
        r.intendedAt = intended;
        r.submittedAt = intended; // handed over on time
        r.firstSentAt = r.sentAt = sent;
        r.headersAt = r.firstTokenAt = r.lastAt = r.endedAt = end;
        r.completionTokens = 1;
        stats.submitted();
        RecordContext context;
        context.openLoop = true;
        context.lateThreshold = lateThreshold;
        context.now = end;
        stats.record(r, measureRequest(r), context, {});
    }
    const auto p = [&](const char* metric, double q) {
        return static_cast<double>(stats.histogram(QLatin1String(metric))->percentile(q)) / 1e6;
    };
    const RunStats::Counts& counts = stats.counts();
    qInfo("corrected p99 %.0f ms, service p50 %.1f ms, p99 %.1f ms; held by limits %lld, late "
          "starts %lld",
          p("corrected", 99), p("service", 50), p("service", 99), (long long)counts.heldByLimits,
          (long long)counts.lateStarts);
    QCOMPARE(stats.histogram(QStringLiteral("corrected"))->count(), 2000);
    QVERIFY2(p("corrected", 99) >= 4500, qPrintable(QString::number(p("corrected", 99))));
    QVERIFY2(p("service", 99) < 200, qPrintable(QString::number(p("service", 99))));
    QVERIFY2(counts.heldByLimits >= 400, qPrintable(QString::number(counts.heldByLimits)));
    QCOMPARE(counts.lateStarts, 0);
}

// Acceptance: at 100 rps against a mock that stalls for 5 s, latency from the intended send time
// has p99 >= 4.5 s while service time p99 stays low. The acceptance ran 20 s; 12 s keep every
// figure (the 10 answers held through the stall are under 1% of 1200, ~50 requests are >= 4.5 s
// late, ~490 wait on our cap), and the measurement itself runs for 20 s on virtual time in
// coordinatedOmissionIsCorrectedOnVirtualTime. The client caps what is in flight
// (10), as every real client does: requests scheduled during the stall wait on our side, where a
// closed-loop tool would simply not send them and never see the stall.
void TestBenchRunner::coordinatedOmissionIsCorrected() {
    MockServer mock(fastMock());
    QVERIFY(mock.listen());
    BenchScenario s = openLoop(100, 12s);
    s.maxConcurrency = 10;
    BenchRunner runner(s, v1(mock));
    runner.start();
    QVERIFY(test::runUntil([&] { return runner.series().size() >= 5; }, 10000));
    mock.pause(5s);
    QVERIFY(runToEnd(runner, 60000));
    const double corrected99 = hp(runner, "corrected", 99);
    const double service99 = hp(runner, "service", 99);
    const double service50 = hp(runner, "service", 50);
    qInfo("corrected p99 %.0f ms, service p50 %.1f ms, p99 %.1f ms; requests %lld", corrected99,
          service50, service99, (long long)runner.histogram(QStringLiteral("corrected"))->count());
    QCOMPARE(runner.histogram(QStringLiteral("corrected"))->count(), 1200);
    QVERIFY2(corrected99 >= 4500, qPrintable(QString::number(corrected99)));
    QVERIFY2(service99 < 200, qPrintable(QString::number(service99)));
    // Scheduled during the stall, they were handed over on time and held by our own cap: not
    // late starts (the client kept its schedule), but held by our limits.
    const QJsonObject counts = runner.summary().value(QStringLiteral("counts")).toObject();
    QVERIFY2(
        counts.value(QStringLiteral("held_by_limits")).toDouble() >= 400,
        qPrintable(QString::number(counts.value(QStringLiteral("held_by_limits")).toDouble())));
    QVERIFY(counts.value(QStringLiteral("late_starts")).toDouble() <
            counts.value(QStringLiteral("held_by_limits")).toDouble());
}

// Acceptance: stress against a mock with 8 slots and 200 ms service (capacity 40 rps) reports
// a knee of 40 +- 4 rps.
void TestBenchRunner::stressFindsTheKnee() {
    MockConfig m = fastMock();
    m.capacity = 8;
    m.ttftMs = 200;
    MockServer mock(m);
    QVERIFY(mock.listen());
    BenchScenario s;
    s.profile.kind = LoadProfile::Kind::Constant;
    s.profile.load = 32; // the search from below is tst_stresssearch's; here, the mock's knee
    s.profile.stress = true;
    s.profile.stressStep = 8;
    s.profile.stressMax = 80;
    s.profile.stressStepFor = 2s;
    s.slos = {*SloSpec::parse(QStringLiteral("e2e:p99<300ms"))};
    BenchRunner runner(s, v1(mock));
    runner.start();
    QVERIFY(runToEnd(runner, 90000));
    const QJsonObject stress = runner.summary().value(QStringLiteral("stress")).toObject();
    QStringList steps;
    for (const QJsonValue& v : stress.value(QStringLiteral("steps")).toArray()) {
        steps.append(QStringLiteral("%1%2")
                         .arg(v.toObject().value(QStringLiteral("load")).toDouble())
                         .arg(QLatin1String(
                             v.toObject().value(QStringLiteral("met")).toBool() ? "+" : "-")));
    }
    qInfo("steps %s; knee %s", qPrintable(steps.join(QLatin1Char(' '))),
          runner.knee() ? qPrintable(QString::number(*runner.knee())) : "none");
    QVERIFY(runner.knee());
    QVERIFY2(std::abs(*runner.knee() - 40) <= 4, qPrintable(QString::number(*runner.knee())));
    QCOMPARE(stress.value(QStringLiteral("knee")).toDouble(), *runner.knee());
    QVERIFY(runner.passed());
}

void TestBenchRunner::closedLoopKeepsNInFlight() {
    MockConfig m = fastMock();
    m.ttftMs = 100;
    MockServer mock(m);
    QVERIFY(mock.listen());
    BenchScenario s;
    s.profile.kind = LoadProfile::Kind::Closed;
    s.profile.load = 12;
    s.requests = 120;
    BenchRunner runner(s, v1(mock));
    runner.start();
    QVERIFY(runToEnd(runner, 20000));
    const double peak = mock.statsJson().value(QStringLiteral("peak_concurrent")).toDouble();
    qInfo("closed loop of 12: server peak %.0f, requests %.0f", peak, mockRequests(mock));
    QCOMPARE(peak, 12.0);
    QCOMPARE(mockRequests(mock), 120.0);
}

// The mock stamps each content event with its own clock; the runner turns that into our timing
// error per chunk (transit) and on TTFT. Without stamps there is nothing to report.
void TestBenchRunner::serverStampsMeasureOurTimingError() {
    for (const bool stamp : {true, false}) {
        MockConfig m = fastMock();
        m.ttftMs = 50;
        m.tpotMs = 10;
        m.tokensMin = m.tokensMax = 10;
        m.stamp = stamp;
        MockServer mock(m);
        QVERIFY(mock.listen());
        BenchScenario s;
        s.profile.kind = LoadProfile::Kind::Closed;
        s.profile.load = 4;
        s.requests = 40;
        BenchRunner runner(s, v1(mock));
        runner.start();
        QVERIFY(runToEnd(runner, 20000));
        const LatencyHistogram& transit = *runner.histogram(QStringLiteral("transit"));
        const LatencyHistogram& ttftError = *runner.histogram(QStringLiteral("ttft_error"));
        if (!stamp) {
            QCOMPARE(transit.count(), 0);
            QCOMPARE(ttftError.count(), 0);
            continue;
        }
        qInfo("stamped: transit p50 %.3f ms p99 %.3f ms, TTFT error p50 %.3f ms p99 %.3f ms",
              hp(runner, "transit", 50), hp(runner, "transit", 99), hp(runner, "ttft_error", 50),
              hp(runner, "ttft_error", 99));
        QCOMPARE(transit.count(), 400); // one per content chunk
        QCOMPARE(ttftError.count(), 40);
        QVERIFY(hp(runner, "transit", 50) < 5);
        QVERIFY(hp(runner, "ttft_error", 50) < 5);
        // The server's TTFT is its 50 ms; ours adds only the way there and back.
        QVERIFY(hp(runner, "ttft", 50) >= 50);
    }
}

// Acceptance: reports are written and re-read; summary.json percentiles match requests.jsonl
// recomputed (within the histogram's 0.1%).
void TestBenchRunner::reportsAreWrittenAndReadBack() {
    MockConfig m = fastMock();
    m.ttftMs = 20;
    m.tpotMs = 2;
    m.tokensMin = 5;
    m.tokensMax = 30;
    m.jitter = 0.5;
    MockServer mock(m);
    QVERIFY(mock.listen());
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    BenchScenario s = openLoop(100, 3s);
    s.warmup = 500ms;
    s.slos = {*SloSpec::parse(QStringLiteral("ttft:p95<2s"))};
    s.keys = {QByteArrayLiteral("sk-test-secret-key-9876")};
    RequestLog log;
    QVERIFY(log.open(dir.path()));
    BenchRunner runner(s, v1(mock));
    runner.setRequestSink([&log](const QJsonObject& row) { log.append(row); });
    runner.start();
    QVERIFY(runToEnd(runner, 20000));
    log.close();
    QVERIFY(writeReport(dir.path(), runner.summary(), seriesData(runner.series())));

    const auto report = loadReport(dir.path());
    QVERIFY2(report, qPrintable(report.ok() ? QString() : report.error().text()));
    QVERIFY(report->series.rows.size() >= 3);
    QCOMPARE(report->series.columns.first(), QStringLiteral("t_s"));
    QFile jsonl(dir.filePath(QStringLiteral("requests.jsonl")));
    QVERIFY(jsonl.open(QIODevice::ReadOnly));
    const QByteArray all = jsonl.readAll();
    QVERIFY(!all.contains("sk-test-secret-key-9876"));
    QVERIFY(!all.contains("content"));
    std::map<QString, std::vector<double>> values;
    int rows = 0;
    int warmup = 0;
    for (const QByteArray& line : all.split('\n')) {
        if (line.isEmpty()) {
            continue;
        }
        const QJsonObject row = QJsonDocument::fromJson(line).object();
        QVERIFY(!row.isEmpty());
        ++rows;
        if (row.value(QStringLiteral("warmup")).toBool()) {
            ++warmup;
            continue;
        }
        for (const char* metric : {"ttft", "e2e", "corrected", "tpot_decode"}) {
            const QJsonValue v = row.value(QLatin1String(metric) + QStringLiteral("_ms"));
            if (!v.isUndefined()) {
                values[QLatin1String(metric)].push_back(v.toDouble());
            }
        }
    }
    const QJsonObject summary = report->summary;
    QCOMPARE(rows, 300);
    QCOMPARE(
        summary.value(QStringLiteral("counts")).toObject().value(QStringLiteral("warmup")).toInt(),
        warmup);
    QVERIFY(warmup >= 45 && warmup <= 55);
    const QJsonObject latency = summary.value(QStringLiteral("latency_ms")).toObject();
    for (auto& [metric, v] : values) {
        std::sort(v.begin(), v.end());
        const QJsonObject m = latency.value(metric).toObject();
        QCOMPARE(m.value(QStringLiteral("count")).toInt(), static_cast<int>(v.size()));
        for (const double p : {50.0, 95.0, 99.0}) {
            const auto rank = static_cast<std::size_t>(std::ceil(p / 100 * v.size()));
            const double exact = v[rank - 1];
            const double reported =
                m.value(QStringLiteral("p%1").arg(static_cast<int>(p))).toDouble();
            QVERIFY2(std::abs(reported - exact) <= exact * 1e-3 + 1e-3,
                     qPrintable(QStringLiteral("%1 p%2: reported %3, recomputed %4")
                                    .arg(metric)
                                    .arg(p)
                                    .arg(reported)
                                    .arg(exact)));
        }
        // The histogram in the summary reproduces the same figures.
        const auto h = LatencyHistogram::deserialize(
            m.value(QStringLiteral("histogram")).toString().toStdString());
        QVERIFY(h);
        QCOMPARE(h->count(), static_cast<std::int64_t>(v.size()));
    }
    QVERIFY(!QJsonDocument(summary).toJson().contains("sk-test-secret-key-9876"));
    QVERIFY(QJsonDocument(summary).toJson().contains("sk-...9876"));
    QFile html(dir.filePath(QStringLiteral("report.html")));
    QVERIFY(html.open(QIODevice::ReadOnly));
    const QByteArray page = html.readAll();
    QVERIFY(page.contains("<svg"));
    QVERIFY(!page.contains("sk-test-secret-key-9876"));
}

QTEST_GUILESS_MAIN(TestBenchRunner)
#include "tst_benchrunner.moc"
