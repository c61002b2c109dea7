// `sluice bench --agent` and `--collect` as users run them: three agent processes at a third of
// the load each against one mock, a collector merging what they publish to a real redis-server,
// and the errors of bad flags, an unreachable Redis and bad records.
#include "core/metrics/latencyhistogram.h"
#include "core/redis/redisclient.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/redisserver.h"
#include "tests/support/sluicecli.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

using namespace sluice;

namespace {

constexpr double kRate = 120; // requests per second, all agents together
constexpr int kSeconds = 5;

QJsonObject readJson(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(f.readAll()).object();
}

// Every e2e_ms of a requests.jsonl, exact (the row keeps the nanoseconds in its double).
std::vector<double> e2eSamples(const QString& path) {
    std::vector<double> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return out;
    }
    while (!f.atEnd()) {
        const QJsonObject row = QJsonDocument::fromJson(f.readLine()).object();
        if (row.contains(QStringLiteral("e2e_ms"))) {
            out.push_back(row.value(QStringLiteral("e2e_ms")).toDouble());
        }
    }
    return out;
}

double nearestRank(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100 * static_cast<double>(v.size())));
    return v[std::max<std::size_t>(rank, 1) - 1];
}

using Run = test::CliRun;

// For commands that need nothing served by this process: blocking is fine.
Run runSluice(const QStringList& args, int timeoutMs = 30000) {
    return test::runCli(args, timeoutMs);
}

quint16 closedPort() {
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort(); // closed again when probe goes
}

} // namespace

class TestBenchAgents final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void threeAgentsMergeIntoThePooledRun();
    void badInputFailsNamingTheFlag_data();
    void badInputFailsNamingTheFlag();
    void unreachableRedisFails();
    void badRecordsFailTheCollector();
    void missingAgentFailsAfterTheTimeoutWithAReport();
};

void TestBenchAgents::threeAgentsMergeIntoThePooledRun() {
    SKIP_WITHOUT_REDIS();
    RedisServer redis;
    QVERIFY(redis.start());
    MockConfig mockConfig;
    mockConfig.ttftMs = 10;
    mockConfig.tpotMs = 1;
    mockConfig.tokensMin = mockConfig.tokensMax = 5;
    MockServer mock(mockConfig);
    QVERIFY(mock.listen(QHostAddress::LocalHost, 0));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString runId = QStringLiteral("t3");

    std::vector<std::unique_ptr<QProcess>> processes;
    auto start = [&](const QStringList& args) {
        auto p = std::make_unique<QProcess>();
        p->start(QStringLiteral(SLUICE_BINARY), args);
        processes.push_back(std::move(p));
    };
    start({QStringLiteral("bench"), QStringLiteral("--collect"), runId, QStringLiteral("--redis"),
           redis.url(), QStringLiteral("--report"), dir.filePath(QStringLiteral("merged")),
           QStringLiteral("--collect-timeout"), QStringLiteral("30s"), QStringLiteral("--quiet")});
    for (int k = 1; k <= 3; ++k) {
        start({QStringLiteral("bench"), QStringLiteral("--agent"), QStringLiteral("--run-id"),
               runId, QStringLiteral("--redis"), redis.url(), QStringLiteral("--agents"),
               QStringLiteral("3"), QStringLiteral("--agent-index"), QString::number(k),
               QStringLiteral("--target"), mock.baseUrl().toString() + QStringLiteral("/v1"),
               QStringLiteral("--rate"), QString::number(kRate), QStringLiteral("--duration"),
               QStringLiteral("%1s").arg(kSeconds), QStringLiteral("--quiet"),
               QStringLiteral("--report"), dir.filePath(QStringLiteral("a%1").arg(k))});
    }
    // The mock lives in this thread: keep the loop running while they work.
    const bool ended = waitUntil(
        [&] {
            return std::all_of(processes.begin(), processes.end(),
                               [](const auto& p) { return p->state() == QProcess::NotRunning; });
        },
        60000);
    for (const auto& p : processes) {
        if (p->state() != QProcess::NotRunning) {
            p->kill();
            p->waitForFinished();
        }
    }
    QVERIFY(ended);
    for (const auto& p : processes) {
        QVERIFY2(p->exitStatus() == QProcess::NormalExit && p->exitCode() == 0,
                 qPrintable(p->arguments().mid(0, 6).join(QLatin1Char(' ')) +
                            QStringLiteral(" exited %1: ").arg(p->exitCode()) +
                            QString::fromLocal8Bit(p->readAllStandardError())));
    }

    const QJsonObject merged = readJson(dir.filePath(QStringLiteral("merged/summary.json")));
    QVERIFY(!merged.isEmpty());
    QVERIFY(QFile::exists(dir.filePath(QStringLiteral("merged/timeseries.csv"))));
    const QJsonObject e2e = merged.value(QStringLiteral("latency_ms"))
                                .toObject()
                                .value(QStringLiteral("e2e"))
                                .toObject();

    // Pooled: every agent's raw samples, and every agent's own histogram merged.
    std::vector<double> pooled;
    LatencyHistogram agentsHist;
    for (int k = 1; k <= 3; ++k) {
        const std::vector<double> samples =
            e2eSamples(dir.filePath(QStringLiteral("a%1/requests.jsonl").arg(k)));
        pooled.insert(pooled.end(), samples.begin(), samples.end());
        const QJsonObject own = readJson(dir.filePath(QStringLiteral("a%1/summary.json").arg(k)));
        const auto h = LatencyHistogram::deserialize(own.value(QStringLiteral("latency_ms"))
                                                         .toObject()
                                                         .value(QStringLiteral("e2e"))
                                                         .toObject()
                                                         .value(QStringLiteral("histogram"))
                                                         .toString()
                                                         .toStdString());
        QVERIFY(h);
        QVERIFY(agentsHist.merge(*h));
    }
    QCOMPARE(e2e.value(QStringLiteral("count")).toDouble(), static_cast<double>(pooled.size()));
    const auto mergedHist = LatencyHistogram::deserialize(
        e2e.value(QStringLiteral("histogram")).toString().toStdString());
    QVERIFY(mergedHist);
    QCOMPARE(*mergedHist, agentsHist); // slices added up to exactly the agents' own histograms
    const double pooledP99 = nearestRank(pooled, 99);
    const double mergedP99 = e2e.value(QStringLiteral("p99")).toDouble();
    // Within the histogram's precision (3 digits), plus the summary's rounding to 1 µs.
    QVERIFY2(
        std::abs(mergedP99 - pooledP99) <= pooledP99 * 1e-3 + 0.001,
        qPrintable(QStringLiteral("merged p99 %1 ms, pooled %2 ms").arg(mergedP99).arg(pooledP99)));

    // The rate: what the server saw per second while all three agents offered load.
    const QJsonObject stats = mock.statsJson();
    const QJsonArray arrivals = stats.value(QStringLiteral("arrivals_per_second")).toArray();
    const auto endUnix =
        static_cast<qint64>(stats.value(QStringLiteral("series_end_unix")).toDouble());
    double lastStartMs = 0;
    double firstStartMs = 1e18;
    for (const QJsonValue& a : merged.value(QStringLiteral("agents")).toArray()) {
        const double started = a.toObject().value(QStringLiteral("started_ms")).toDouble();
        lastStartMs = std::max(lastStartMs, started);
        firstStartMs = std::min(firstStartMs, started);
    }
    // Whole seconds after every agent began (its runner starts within ~0.3 s of its hello)
    // and before the first one stopped offering.
    const auto from = static_cast<qint64>(std::ceil((lastStartMs + 300) / 1e3));
    const auto to = static_cast<qint64>(std::floor((firstStartMs + kSeconds * 1e3) / 1e3));
    QVERIFY2(to - from >= 2, qPrintable(QStringLiteral("only %1 full seconds").arg(to - from)));
    double sum = 0;
    for (qint64 s = from; s < to; ++s) {
        const qsizetype i = arrivals.size() - 1 - (endUnix - s);
        QVERIFY(i >= 0 && i < arrivals.size());
        sum += arrivals.at(i).toDouble();
    }
    const double serverRate = sum / static_cast<double>(to - from);
    const double clientRate = merged.value(QStringLiteral("throughput"))
                                  .toObject()
                                  .value(QStringLiteral("requests_per_s"))
                                  .toDouble();
    qInfo("merged e2e p99 %.3f ms, pooled %.3f ms (%zu samples); rate at the mock %.2f/s over "
          "%lld s, agents' total %.2f/s, target %.0f/s",
          mergedP99, pooledP99, pooled.size(), serverRate, to - from, clientRate, kRate);
    QVERIFY2(std::abs(serverRate - kRate) <= kRate * 0.02, qPrintable(QString::number(serverRate)));
    QVERIFY2(std::abs(clientRate - kRate) <= kRate * 0.02, qPrintable(QString::number(clientRate)));
    QCOMPARE(merged.value(QStringLiteral("counts"))
                 .toObject()
                 .value(QStringLiteral("submitted"))
                 .toDouble(),
             kRate * kSeconds);
    QCOMPARE(stats.value(QStringLiteral("requests")).toDouble(), kRate * kSeconds);
}

void TestBenchAgents::badInputFailsNamingTheFlag_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");
    const QStringList load{QStringLiteral("--mock"), QStringLiteral("--rate"), QStringLiteral("5"),
                           QStringLiteral("--duration"), QStringLiteral("1s")};
    const QString url = QStringLiteral("redis://127.0.0.1:1");
    auto row = [&](const char* name, QStringList args, const char* mentions) {
        QTest::newRow(name) << (QStringList{QStringLiteral("bench")} + args)
                            << QString::fromLatin1(mentions);
    };
    row("agent without run id",
        load + QStringList{QStringLiteral("--agent"), QStringLiteral("--redis"), url}, "--run-id");
    row("agent without redis",
        load +
            QStringList{QStringLiteral("--agent"), QStringLiteral("--run-id"), QStringLiteral("r")},
        "--redis");
    row("bad run id",
        load + QStringList{QStringLiteral("--agent"), QStringLiteral("--run-id"),
                           QStringLiteral("a b"), QStringLiteral("--redis"), url},
        "--run-id");
    row("bad redis url",
        load + QStringList{QStringLiteral("--agent"), QStringLiteral("--run-id"),
                           QStringLiteral("r"), QStringLiteral("--redis"),
                           QStringLiteral("http://x")},
        "--redis");
    row("agents without index",
        load + QStringList{QStringLiteral("--agent"), QStringLiteral("--run-id"),
                           QStringLiteral("r"), QStringLiteral("--redis"), url,
                           QStringLiteral("--agents"), QStringLiteral("3")},
        "--agent-index");
    row("index beyond agents",
        load + QStringList{QStringLiteral("--agent"), QStringLiteral("--run-id"),
                           QStringLiteral("r"), QStringLiteral("--redis"), url,
                           QStringLiteral("--agents"), QStringLiteral("3"),
                           QStringLiteral("--agent-index"), QStringLiteral("4")},
        "--agent-index");
    row("run id without agent", load + QStringList{QStringLiteral("--run-id"), QStringLiteral("r")},
        "--run-id");
    row("collect without redis", {QStringLiteral("--collect"), QStringLiteral("r")}, "--redis");
    row("bad collect timeout",
        {QStringLiteral("--collect"), QStringLiteral("r"), QStringLiteral("--redis"), url,
         QStringLiteral("--collect-timeout"), QStringLiteral("soon")},
        "--collect-timeout");
}

void TestBenchAgents::badInputFailsNamingTheFlag() {
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);
    const Run r = runSluice(args);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(mentions), qPrintable(r.err));
}

void TestBenchAgents::unreachableRedisFails() {
    const QString url = QStringLiteral("redis://127.0.0.1:%1").arg(closedPort());
    const Run agent =
        runSluice({QStringLiteral("bench"), QStringLiteral("--mock"), QStringLiteral("--rate"),
                   QStringLiteral("5"), QStringLiteral("--duration"), QStringLiteral("1s"),
                   QStringLiteral("--agent"), QStringLiteral("--run-id"), QStringLiteral("r"),
                   QStringLiteral("--redis"), url});
    QCOMPARE(agent.code, 1);
    QVERIFY2(agent.err.contains(QLatin1String("--redis")), qPrintable(agent.err));
    QVERIFY2(!agent.out.contains(QLatin1String("success")), qPrintable(agent.out)); // no run
    const Run collector = runSluice({QStringLiteral("bench"), QStringLiteral("--collect"),
                                     QStringLiteral("r"), QStringLiteral("--redis"), url});
    QCOMPARE(collector.code, 1);
    QVERIFY2(collector.err.contains(QLatin1String("--redis")), qPrintable(collector.err));
}

// Records that are not what an agent writes: the collector stops, naming the record and field;
// an agent number already taken is refused before any load is sent.
void TestBenchAgents::badRecordsFailTheCollector() {
    SKIP_WITHOUT_REDIS();
    RedisServer redis;
    QVERIFY(redis.start());
    RedisClientConfig config;
    config.url = RedisUrl::parse(redis.url()).value();
    RedisClient client(config);
    int answered = 0;
    auto send = [&](QList<QByteArray> args) {
        client.send(args, [&answered](Result<RedisReply> r) { answered += r ? 1 : 1000; });
    };
    const QByteArray stream = "sluice:bench:{bad}:stream";
    send({"XADD", stream, "*", "kind", "hello", "agent", "1", "data",
          R"({"agent":1,"agents":1,"started_ms":0})"});
    send({"XADD", stream, "*", "kind", "slice", "agent", "1", "data",
          R"({"agent":1,"seq":1,"unix_s":1,"counts":{},"histograms":{"e2e":"LH1 x"}})"});
    send({"HSET", "sluice:bench:{taken}:agents", "1", "joined"});
    QVERIFY(waitUntil([&] { return answered >= 3; }, 5000));
    QCOMPARE(answered, 3);

    const Run collector = runSluice({QStringLiteral("bench"), QStringLiteral("--collect"),
                                     QStringLiteral("bad"), QStringLiteral("--redis"), redis.url(),
                                     QStringLiteral("--collect-timeout"), QStringLiteral("5s")});
    QCOMPARE(collector.code, 1);
    QVERIFY2(collector.err.contains(QLatin1String("histograms.e2e")), qPrintable(collector.err));

    const Run agent =
        runSluice({QStringLiteral("bench"), QStringLiteral("--mock"), QStringLiteral("--rate"),
                   QStringLiteral("5"), QStringLiteral("--duration"), QStringLiteral("1s"),
                   QStringLiteral("--agent"), QStringLiteral("--run-id"), QStringLiteral("taken"),
                   QStringLiteral("--redis"), redis.url()});
    QCOMPARE(agent.code, 2);
    QVERIFY2(agent.err.contains(QLatin1String("--agent-index")), qPrintable(agent.err));
}

// One agent of two never comes: the collector waits --collect-timeout, then reports the one
// that finished, says who is missing, and fails.
void TestBenchAgents::missingAgentFailsAfterTheTimeoutWithAReport() {
    SKIP_WITHOUT_REDIS();
    RedisServer redis;
    QVERIFY(redis.start());
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const Run agent = runSluice({QStringLiteral("bench"),         QStringLiteral("--mock"),
                                 QStringLiteral("--mock-ttft"),   QStringLiteral("10ms"),
                                 QStringLiteral("--mock-tpot"),   QStringLiteral("1ms"),
                                 QStringLiteral("--rate"),        QStringLiteral("20"),
                                 QStringLiteral("--duration"),    QStringLiteral("1s"),
                                 QStringLiteral("--quiet"),       QStringLiteral("--agent"),
                                 QStringLiteral("--run-id"),      QStringLiteral("half"),
                                 QStringLiteral("--redis"),       redis.url(),
                                 QStringLiteral("--agents"),      QStringLiteral("2"),
                                 QStringLiteral("--agent-index"), QStringLiteral("1")});
    QVERIFY2(agent.code == 0, qPrintable(agent.err));
    QVERIFY2(agent.out.contains(QLatin1String("agent 1 of 2: 10/s of 20/s")),
             qPrintable(agent.out));
    const Run collector = runSluice(
        {QStringLiteral("bench"), QStringLiteral("--collect"), QStringLiteral("half"),
         QStringLiteral("--redis"), redis.url(), QStringLiteral("--collect-timeout"),
         QStringLiteral("1s"), QStringLiteral("--quiet"), QStringLiteral("--report"), dir.path()});
    QCOMPARE(collector.code, 1);
    QVERIFY2(collector.err.contains(QLatin1String("1 of 2 agents finished")),
             qPrintable(collector.err));
    const QJsonObject summary = readJson(dir.filePath(QStringLiteral("summary.json")));
    QCOMPARE(summary.value(QStringLiteral("counts")).toObject().value(QStringLiteral("submitted")),
             10);
    QCOMPARE(summary.value(QStringLiteral("verdict")).toObject().value(QStringLiteral("passed")),
             false);
}

QTEST_GUILESS_MAIN(TestBenchAgents)
#include "tst_benchagents.moc"
