// The console following a distributed benchmark run (--redis URL --collect ID): three agents'
// records published to a real redis-server the way `sluice bench --agent` publishes them, and
// the real window drawing the merged run — its stats strip, charts, results and status label
// show what a RunMerge of the same records says — through waiting, agents joined, agents done
// and complete; an unreachable Redis said and recovered from; bad records and bad flags named.
#include "core/bench/agentslice.h"
#include "core/bench/runmerge.h"
#include "core/host/runfollower.h"
#include "core/metrics/latencyhistogram.h"
#include "core/redis/benchstream.h"
#include "core/redis/redisclient.h"
#include "tests/support/httptestclient.h"
#include "tests/support/redisserver.h"
#include "tests/support/sluicecli.h"
#include "ui/charts/livechart.h"
#include "ui/followdialog.h"
#include "ui/followfeed.h"
#include "ui/mainwindow.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/resultsview.h"
#include "ui/panels/statsstrip.h"
#include "ui/session.h"

#include <QAction>
#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QLocale>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using namespace sluice;

namespace {

constexpr int kAgents = 3;
constexpr int kSeconds = 6;

/// Publishes records to run `runId` as agents do, and feeds the same records (through their
/// JSON, as read back) to a reference merge.
class Publisher {
public:
    Publisher(const RedisServer& redis, const QString& runId)
        : m_client(redis.clientConfig(2000))
        , m_stream(m_client, runId) {
        m_client.start();
    }

    bool hello(int agent, double startedMs) {
        const QJsonObject o{{QStringLiteral("agent"), agent},
                            {QStringLiteral("agents"), kAgents},
                            {QStringLiteral("host"), QStringLiteral("host%1").arg(agent)},
                            {QStringLiteral("pid"), 100 + agent},
                            {QStringLiteral("started_ms"), startedMs},
                            {QStringLiteral("share"), QStringLiteral("1/3")},
                            {QStringLiteral("title"), QStringLiteral("constant 30 rps")}};
        return reference.addHello(o) && publish("hello", agent, o);
    }

    /// Agent `agent`'s slice for `second`: `n` requests done (one in ten failed) with e2e
    /// around `medianMs` (agents differ, so an average of their percentiles would be wrong).
    bool slice(int agent, std::int64_t seq, std::int64_t second, int n, double medianMs) {
        AgentSlice s;
        s.agent = agent;
        s.seq = seq;
        s.unixSecond = second;
        s.inFlight = agent;
        std::lognormal_distribution<double> d(std::log(medianMs * 1e6), 0.6);
        LatencyHistogram e2e;
        LatencyHistogram ttft;
        for (int i = 0; i < n; ++i) {
            const double v = d(m_rng);
            e2e.record(static_cast<std::int64_t>(v));
            ttft.record(static_cast<std::int64_t>(v / 4));
        }
        s.histograms.emplace(QStringLiteral("e2e"), e2e);
        s.histograms.emplace(QStringLiteral("ttft"), ttft);
        s.counts.submitted = n + n / 10;
        s.counts.ended = s.counts.submitted;
        s.counts.measured = s.counts.submitted;
        s.counts.done = n;
        s.counts.failed = n / 10;
        s.counts.outputTokens = 20 * n;
        const QJsonObject o = s.toJson();
        const auto back = AgentSlice::fromJson(o);
        return back && reference.addSlice(*back) && publish("slice", agent, o);
    }

    bool done(int agent, double endedMs) {
        const QJsonObject o{{QStringLiteral("agent"), agent},
                            {QStringLiteral("ended_ms"), endedMs},
                            {QStringLiteral("summary"),
                             QJsonObject{{QStringLiteral("counts"), QJsonObject()},
                                         {QStringLiteral("throughput"),
                                          QJsonObject{{QStringLiteral("requests_per_s"), 10.0}}}}}};
        return reference.addDone(o) && publish("done", agent, o);
    }

    /// A record as-is (for bad ones).
    bool raw(const QByteArray& kind, int agent, const QByteArray& data) {
        bool answered = false;
        bool ok = false;
        m_stream.publish(kind, agent, data, [&](Result<QByteArray> r) {
            answered = true;
            ok = r.ok();
        });
        return test::runUntil([&] { return answered; }, 5000) && ok;
    }

    RunMerge reference;

private:
    bool publish(const QByteArray& kind, int agent, const QJsonObject& o) {
        return raw(kind, agent, QJsonDocument(o).toJson(QJsonDocument::Compact));
    }

    RedisClient m_client;
    BenchStream m_stream;
    std::mt19937_64 m_rng{42};
};

double p99Ms(const QJsonObject& summary, const char* metric) {
    return summary.value(QStringLiteral("latency_ms"))
        .toObject()
        .value(QLatin1String(metric))
        .toObject()
        .value(QStringLiteral("p99"))
        .toDouble();
}

} // namespace

class TestCollectFeed final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void windowDrawsTheMergedRunAsAgentsPublish();
    void unreachableRedisIsSaidAndFollowedAgain();
    void badRecordStopsFollowingAndNamesIt();
    void badFlagsNameTheFlag();
    void runMenuOffersTheDialog();
};

void TestCollectFeed::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("SluiceTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_collectfeed"));
    QSettings().clear();
}

void TestCollectFeed::windowDrawsTheMergedRunAsAgentsPublish() {
    SKIP_WITHOUT_REDIS();
    RedisServer redis;
    QVERIFY(redis.start());
    Session session;
    MainWindow window(&session);
    window.resize(1280, 800);
    window.show();
    FollowFeed* feed = window.followFeed();
    QStringList statuses;
    connect(feed, &FollowFeed::statusChanged, this, [&statuses](const QString& text) {
        if (statuses.isEmpty() || statuses.last() != text) {
            statuses << text;
        }
    });
    QVERIFY(feed->follow(redis.url(), QStringLiteral("run-1")).ok());
    QVERIFY(feed->statusLabel()->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(feed->statusText().contains(QLatin1String("waiting for agents")),
                             5000);

    Publisher agents(redis, QStringLiteral("run-1"));
    const std::int64_t first = QDateTime::currentSecsSinceEpoch() - kSeconds;
    for (int agent = 1; agent <= kAgents; ++agent) {
        QVERIFY(agents.hello(agent, static_cast<double>(first) * 1000 + agent));
    }
    QTRY_VERIFY_WITH_TIMEOUT(
        feed->statusText().contains(QLatin1String("run run-1: 3 agents, 0 done")), 5000);

    const double medians[] = {20, 30, 150}; // one slow agent: it owns the tail
    for (int s = 0; s < kSeconds; ++s) {
        for (int agent = 1; agent <= kAgents; ++agent) {
            QVERIFY(agents.slice(agent, s + 1, first + s, 10 * agent + s, medians[agent - 1]));
        }
    }
    QVERIFY(agents.done(1, static_cast<double>(first + kSeconds) * 1000));
    QTRY_VERIFY_WITH_TIMEOUT(feed->statusText().contains(QLatin1String("3 agents, 1 done")), 5000);
    // Before the end: the strip already shows the merged totals, the charts the seconds closed.
    const RunStats::Counts& c = agents.reference.counts();
    const QString processed =
        QLocale().toString(c.done + c.failed + c.rejected + c.timedOut + c.cancelled);
    QTRY_COMPARE_WITH_TIMEOUT(window.statsStrip()->valueText(StatsStrip::Processed), processed,
                              5000);
    // What agents do not publish is not made up: no breaker state, no queue.
    QCOMPARE(window.statsStrip()->valueText(StatsStrip::Breaker), QStringLiteral("–"));
    QCOMPARE(window.statsStrip()->valueText(StatsStrip::Queued), QStringLiteral("–"));
    LiveChart* rps = window.charts()->chart(ChartsPanel::Rps);
    QVERIFY(rps->sampleCount(ChartsPanel::Sent) >= 1);
    QVERIFY(session.lastSummary().isEmpty());

    QVERIFY(agents.done(2, static_cast<double>(first + kSeconds) * 1000));
    QVERIFY(agents.done(3, static_cast<double>(first + kSeconds) * 1000 + 500));
    QTRY_VERIFY_WITH_TIMEOUT(feed->statusText().contains(QLatin1String("complete")), 5000);
    QVERIFY(!feed->following());
    QCOMPARE(feed->follower()->state(), RunFollower::State::Complete);
    QVERIFY2(feed->statusText().contains(QLatin1String("3 agents, 3 done")),
             qPrintable(feed->statusText()));

    // The status went waiting → agents → complete, in that order.
    const auto at = [&statuses](const char* text) {
        for (int i = 0; i < statuses.size(); ++i) {
            if (statuses[i].contains(QLatin1String(text))) {
                return i;
            }
        }
        return -1;
    };
    QVERIFY2(at("waiting for agents") >= 0, qPrintable(statuses.join(QLatin1Char('|'))));
    QVERIFY2(at("waiting for agents") < at("3 agents, 0 done"),
             qPrintable(statuses.join(QLatin1Char('|'))));
    QVERIFY2(at("3 agents, 0 done") < at("3 agents, 1 done"),
             qPrintable(statuses.join(QLatin1Char('|'))));
    QVERIFY2(at("3 agents, 1 done") < at("complete"), qPrintable(statuses.join(QLatin1Char('|'))));

    // What the window shows is the merge of the same records.
    const QJsonObject expected = agents.reference.summary(QStringLiteral("run-1"));
    const QJsonObject shown = window.resultsView()->summary();
    QCOMPARE(shown.value(QStringLiteral("counts")), expected.value(QStringLiteral("counts")));
    QCOMPARE(shown.value(QStringLiteral("latency_ms")),
             expected.value(QStringLiteral("latency_ms")));
    const LatencyHistogram* e2e = agents.reference.histogram(QStringLiteral("e2e"));
    QVERIFY(e2e);
    QCOMPARE(p99Ms(shown, "e2e"), std::round(static_cast<double>(e2e->percentile(99)) / 1e3) / 1e3);
    QCOMPARE(session.lastSummary(), shown);
    QCOMPARE(window.statsStrip()->valueText(StatsStrip::Processed), processed);
    QVERIFY(window.statsStrip()->idle());

    // Every second of the run is on the rps chart; its peak is the merged peak.
    const SeriesData series = agents.reference.series();
    QCOMPARE(rps->sampleCount(ChartsPanel::Sent), series.rows.size());
    const auto sentColumn = static_cast<std::size_t>(series.column(QStringLiteral("sent_rps")));
    double peak = 0;
    for (const auto& row : series.rows) {
        peak = std::max(peak, row[sentColumn]);
    }
    window.charts()->refreshAll();
    double drawnPeak = 0;
    for (const QPointF& p : rps->lineSeries(ChartsPanel::Sent)->points()) {
        drawnPeak = std::max(drawnPeak, p.y());
    }
    QCOMPARE(drawnPeak, peak);
    QCOMPARE(window.charts()->chart(ChartsPanel::Latency)->sampleCount(ChartsPanel::E2eP99),
             series.rows.size());

    // The report is exported as a local run's is.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(window.exportReport(dir.path()).ok());
    QFile file(dir.filePath(QStringLiteral("summary.json")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject written = QJsonDocument::fromJson(file.readAll()).object();
    QCOMPARE(written.value(QStringLiteral("run_id")).toString(), QStringLiteral("run-1"));
    QCOMPARE(p99Ms(written, "e2e"), p99Ms(expected, "e2e"));
}

// No Redis at the address: the label says so and the window keeps drawing; once Redis is
// there (same port), following goes on by itself.
void TestCollectFeed::unreachableRedisIsSaidAndFollowedAgain() {
    SKIP_WITHOUT_REDIS();
    RedisServer redis; // a free port, nothing listening yet
    Session session;
    MainWindow window(&session);
    window.show();
    FollowFeed* feed = window.followFeed();
    QVERIFY(feed->follow(redis.url(), QStringLiteral("later")).ok());
    QTRY_VERIFY_WITH_TIMEOUT(feed->statusText().contains(QLatin1String("Redis unreachable")), 5000);
    QVERIFY(feed->following());
    // The GUI thread is free: a zero timer fires at once.
    bool fired = false;
    QTimer::singleShot(0, this, [&fired] { fired = true; });
    QTRY_VERIFY_WITH_TIMEOUT(fired, 1000);

    QVERIFY(redis.start());
    QTRY_VERIFY_WITH_TIMEOUT(feed->statusText().contains(QLatin1String("waiting for agents")),
                             10000);
    feed->stop();
    QVERIFY(!feed->following());
    QVERIFY2(feed->statusText().contains(QLatin1String("not followed any more")),
             qPrintable(feed->statusText()));
}

void TestCollectFeed::badRecordStopsFollowingAndNamesIt() {
    SKIP_WITHOUT_REDIS();
    RedisServer redis;
    QVERIFY(redis.start());
    Session session;
    MainWindow window(&session);
    window.show();
    Publisher agents(redis, QStringLiteral("bad"));
    QVERIFY(agents.raw("hello", 1, R"({"agent":1,"agents":1,"started_ms":0})"));
    QVERIFY(agents.raw(
        "slice", 1, R"({"agent":1,"seq":1,"unix_s":1,"counts":{},"histograms":{"e2e":"LH1 x"}})"));
    FollowFeed* feed = window.followFeed();
    QVERIFY(feed->follow(redis.url(), QStringLiteral("bad")).ok());
    QTRY_COMPARE_WITH_TIMEOUT(feed->follower()->state(), RunFollower::State::Failed, 5000);
    QVERIFY2(feed->statusText().contains(QLatin1String("histograms.e2e")),
             qPrintable(feed->statusText()));
    QVERIFY(!feed->following());
    QVERIFY(session.lastSummary().isEmpty());
}

void TestCollectFeed::badFlagsNameTheFlag() {
    struct Case {
        QStringList args;
        const char* named;
    };
    const Case cases[] = {
        {{QStringLiteral("--collect"), QStringLiteral("r1")}, "--redis: required with --collect"},
        {{QStringLiteral("--redis"), QStringLiteral("redis://127.0.0.1:6379")},
         "--collect: required with --redis"},
        {{QStringLiteral("--redis"), QStringLiteral("http://nope"), QStringLiteral("--collect"),
          QStringLiteral("r1")},
         "--redis: "},
        {{QStringLiteral("--redis"), QStringLiteral("redis://127.0.0.1:6379"),
          QStringLiteral("--collect"), QStringLiteral("not a run id!")},
         "--collect: 'not a run id!' is not a run id"},
        {{QStringLiteral("--redis"), QStringLiteral("redis://127.0.0.1:6379"),
          QStringLiteral("--collect"), QStringLiteral("r1"), QStringLiteral("--start")},
         "--collect: not with --start"},
    };
    for (const Case& c : cases) {
        const test::CliRun run = test::runCli(c.args, 30000);
        QCOMPARE(run.code, 2);
        QVERIFY2(run.err.contains(QLatin1String(c.named)),
                 qPrintable(c.args.join(QLatin1Char(' ')) + QStringLiteral(" -> ") + run.err));
    }
}

// Run → Follow a distributed run…: the action is there, and the dialog keeps what is wrong
// open with the reason instead of accepting it.
void TestCollectFeed::runMenuOffersTheDialog() {
    Session session;
    MainWindow window(&session);
    QVERIFY(window.findChild<QAction*>(QStringLiteral("followAction")));
    FollowDialog dialog(&window);
    dialog.setUrl(QStringLiteral("http://nope"));
    dialog.setRunId(QStringLiteral("r1"));
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
    dialog.setUrl(QStringLiteral("redis://127.0.0.1:6379"));
    dialog.setRunId(QStringLiteral("bad id"));
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
    dialog.setRunId(QStringLiteral("nightly-42"));
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    QCOMPARE(dialog.runId(), QStringLiteral("nightly-42"));
    // The feed refuses the same mistakes, naming the flag.
    const auto bad =
        window.followFeed()->follow(QStringLiteral("http://nope"), QStringLiteral("r1"));
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().field, QStringLiteral("--redis"));
    QVERIFY(!window.followFeed()->follower());
}

QTEST_MAIN(TestCollectFeed)
#include "tst_collectfeed.moc"
