// `sluice bench` and `sluice report` as a user runs them: flags, errors, exit codes, reports,
// secrets.
#include "tests/support/sluicecli.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestBenchCli final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void badArgumentsFailWithTheirName_data();
    void badArgumentsFailWithTheirName();
    void passingRunWritesAReportAndExitsZero();
    void failedSloExitsThree();
    void nothingSucceededExitsOne();
    void badScenarioNamesTheField();

private:
    using Result = sluice::test::CliRun;
    static Result run(const QStringList& args, int timeoutMs = 60000,
                      const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
        return sluice::test::runCli(args, timeoutMs, sluice::test::CliWait::Blocking, env);
    }
    static QStringList quickMock() {
        return {QStringLiteral("bench"),         QStringLiteral("--mock"),
                QStringLiteral("--mock-ttft"),   QStringLiteral("20ms"),
                QStringLiteral("--mock-tpot"),   QStringLiteral("2ms"),
                QStringLiteral("--mock-tokens"), QStringLiteral("5"),
                QStringLiteral("--quiet")};
    }
};

void TestBenchCli::badArgumentsFailWithTheirName_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");
    const auto row = [](const char* name, QStringList args, const char* mentions) {
        QTest::newRow(name) << (QStringList{QStringLiteral("bench")} + args)
                            << QString::fromLatin1(mentions);
    };
    row("no target",
        {QStringLiteral("--rate"), QStringLiteral("5"), QStringLiteral("--duration"),
         QStringLiteral("1s")},
        "target");
    row("rate and concurrency",
        {QStringLiteral("--mock"), QStringLiteral("--rate"), QStringLiteral("5"),
         QStringLiteral("--concurrency"), QStringLiteral("2"), QStringLiteral("--requests"),
         QStringLiteral("3")},
        "--concurrency");
    row("bad rate",
        {QStringLiteral("--mock"), QStringLiteral("--rate"), QStringLiteral("fast"),
         QStringLiteral("--requests"), QStringLiteral("3")},
        "--rate");
    row("no bound", {QStringLiteral("--mock"), QStringLiteral("--rate"), QStringLiteral("5")},
        "duration");
    row("bad slo",
        {QStringLiteral("--mock"), QStringLiteral("--requests"), QStringLiteral("3"),
         QStringLiteral("--slo"), QStringLiteral("ttft<fast")},
        "ttft<fast");
    row("bad ramp",
        {QStringLiteral("--mock"), QStringLiteral("--rate"), QStringLiteral("5"),
         QStringLiteral("--requests"), QStringLiteral("3"), QStringLiteral("--ramp"),
         QStringLiteral("10")},
        "--ramp");
    row("bad change knob",
        {QStringLiteral("--mock"), QStringLiteral("--requests"), QStringLiteral("3"),
         QStringLiteral("--change"), QStringLiteral("5s:speed=3")},
        "speed");
    row("mock option without mock",
        {QStringLiteral("--target"), QStringLiteral("http://127.0.0.1:9/v1"),
         QStringLiteral("--requests"), QStringLiteral("3"), QStringLiteral("--mock-capacity"),
         QStringLiteral("4")},
        "--mock");
    row("bad mock capacity",
        {QStringLiteral("--mock"), QStringLiteral("--requests"), QStringLiteral("3"),
         QStringLiteral("--mock-capacity"), QStringLiteral("0")},
        "--mock-capacity");
    row("not a url",
        {QStringLiteral("--target"), QStringLiteral("ftp://x"), QStringLiteral("--requests"),
         QStringLiteral("3")},
        "target");
    row("unknown flag", {QStringLiteral("--mock"), QStringLiteral("--bogus")}, "bogus");
}

void TestBenchCli::badArgumentsFailWithTheirName() {
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("OPENAI_BASE_URL"));
    const Result r = run(args, 20000, env);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(mentions), qPrintable(r.err));
}

void TestBenchCli::passingRunWritesAReportAndExitsZero() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile keys(dir.filePath(QStringLiteral("keys.txt")));
    QVERIFY(keys.open(QIODevice::WriteOnly));
    keys.write("# test keys\nsk-cli-secret-0000-abcd\n");
    keys.close();
    const QString a = dir.filePath(QStringLiteral("a"));
    const QString b = dir.filePath(QStringLiteral("b"));
    const QStringList common =
        quickMock() + QStringList{QStringLiteral("--keys-file"), keys.fileName(),
                                  QStringLiteral("--slo"), QStringLiteral("ttft:p95<2s")};
    Result r = run(common + QStringList{QStringLiteral("--concurrency"), QStringLiteral("4"),
                                        QStringLiteral("--requests"), QStringLiteral("40"),
                                        QStringLiteral("--report"), a});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains(QLatin1String("success     40 of 40")), qPrintable(r.out));
    QVERIFY(r.out.contains(QLatin1String("PASSED")));
    QVERIFY(r.out.contains(QLatin1String("sk-...abcd")));
    for (const QString& file : {QStringLiteral("summary.json"), QStringLiteral("requests.jsonl"),
                                QStringLiteral("timeseries.csv"), QStringLiteral("report.html")}) {
        QFile f(QDir(a).filePath(file));
        QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(file));
        QVERIFY2(!f.readAll().contains("sk-cli-secret-0000-abcd"), qPrintable(file));
    }
    QVERIFY(!r.out.contains(QLatin1String("sk-cli-secret-0000-abcd")));
    QVERIFY(!r.err.contains(QLatin1String("sk-cli-secret-0000-abcd")));
    r = run(common + QStringList{QStringLiteral("--rate"), QStringLiteral("40"),
                                 QStringLiteral("--duration"), QStringLiteral("1s"),
                                 QStringLiteral("--report"), b});
    QCOMPARE(r.code, 0);
    const QString compare = dir.filePath(QStringLiteral("compare.html"));
    r = run({QStringLiteral("report"), a, b, QStringLiteral("-o"), compare});
    QCOMPARE(r.code, 0);
    QFile html(compare);
    QVERIFY(html.open(QIODevice::ReadOnly));
    const QByteArray page = html.readAll();
    QVERIFY(page.contains("<svg"));
    QVERIFY(page.contains(">a<") || page.contains("a</"));
    // A directory that is not a report is refused, naming the file.
    r = run({QStringLiteral("report"), a, dir.path()});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(QLatin1String("summary.json")), qPrintable(r.err));
}

void TestBenchCli::failedSloExitsThree() {
    const Result r =
        run(quickMock() + QStringList{QStringLiteral("--concurrency"), QStringLiteral("2"),
                                      QStringLiteral("--requests"), QStringLiteral("10"),
                                      QStringLiteral("--slo"), QStringLiteral("ttft:p50<1us")});
    QCOMPARE(r.code, 3);
    QVERIFY(r.out.contains(QLatin1String("FAILED")));
    QVERIFY(r.out.contains(QLatin1String("ttft:p50<1us")));
}

void TestBenchCli::nothingSucceededExitsOne() {
    // Nothing listens on port 9 of the loopback: every request fails, fast.
    const Result r = run({QStringLiteral("bench"), QStringLiteral("--target"),
                          QStringLiteral("http://127.0.0.1:9/v1"), QStringLiteral("--requests"),
                          QStringLiteral("5"), QStringLiteral("--quiet")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.out.contains(QLatin1String("success     0 of 5")), qPrintable(r.out));
}

void TestBenchCli::badScenarioNamesTheField() {
    QTemporaryDir dir;
    QFile scenario(dir.filePath(QStringLiteral("s.json")));
    QVERIFY(scenario.open(QIODevice::WriteOnly));
    scenario.write(
        R"({"mock": true, "profile": {"kind": "constant", "rate": 0}, "duration": "1s"})");
    scenario.close();
    Result r = run({QStringLiteral("bench"), QStringLiteral("--scenario"), scenario.fileName()});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(QLatin1String("profile.rate")), qPrintable(r.err));
    QVERIFY(scenario.open(QIODevice::WriteOnly | QIODevice::Truncate));
    scenario.write("{ not json");
    scenario.close();
    r = run({QStringLiteral("bench"), QStringLiteral("--scenario"), scenario.fileName()});
    QCOMPARE(r.code, 2);
    // Where the JSON breaks, as line:column.
    QVERIFY2(r.err.contains(scenario.fileName() + QStringLiteral(":1:")), qPrintable(r.err));
    QVERIFY(scenario.open(QIODevice::WriteOnly | QIODevice::Truncate));
    scenario.write("{\"mock\": true,\n \"duration\": 5}");
    scenario.close();
    r = run({QStringLiteral("bench"), QStringLiteral("--scenario"), scenario.fileName()});
    QCOMPARE(r.code, 2); // a bare number: seconds or milliseconds? As on the command line, no.
    QVERIFY2(r.err.contains(QLatin1String("duration: must be a duration with a unit")),
             qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestBenchCli)
#include "tst_benchcli.moc"
