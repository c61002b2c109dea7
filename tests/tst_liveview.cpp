// The terminal pieces of `sluice bench`: a live line that fits any width, and the summary's
// verdict lines.
#include "app/liveview.h"
#include "app/summaryprint.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

using namespace sluice;

class TestLiveView final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void lineFitsTheWidth_data();
    void lineFitsTheWidth();
    void columnsFollowTheEnvironment();
    void verdictLines_data();
    void verdictLines();
    void summaryListsFailuresByReason();
};

namespace {

BenchProgress busy() {
    BenchProgress p;
    p.elapsed = 123;
    p.fraction = 0.41;
    p.phase = QStringLiteral("running");
    p.sentPerSecond = 1234.5;
    p.inFlight = 4321;
    p.queued = 199;
    p.ok = 123456;
    p.errors = 3051;
    p.rateLimited = 812;
    p.topFailure = QStringLiteral("connection refused");
    p.e2eP50 = 2966;
    p.e2eP95 = 3100;
    p.e2eP99 = 12345;
    p.ttftP50 = 131;
    return p;
}

} // namespace

void TestLiveView::lineFitsTheWidth_data() {
    QTest::addColumn<int>("width");
    QTest::addColumn<QStringList>("kept");
    const QStringList essentials{QStringLiteral("running 123s"), QStringLiteral("ok 123456"),
                                 QStringLiteral("err 3051")};
    QTest::newRow("40") << 40 << essentials;
    QTest::newRow("80") << 80 << essentials + QStringList{QStringLiteral("(connection refused)")};
    QTest::newRow("100") << 100
                         << essentials + QStringList{QStringLiteral("(connection refused)"),
                                                     QStringLiteral("sent 1234.5/s")};
    QTest::newRow("200") << 200
                         << essentials + QStringList{QStringLiteral("e2e p50/p99 2.97 s/12.35 s"),
                                                     QStringLiteral("429 812"),
                                                     QStringLiteral("fly 4321")};
}

void TestLiveView::lineFitsTheWidth() {
    QFETCH(int, width);
    QFETCH(QStringList, kept);
    const QString line = liveLine(busy(), width);
    QVERIFY2(line.size() < width, qPrintable(QStringLiteral("%1: %2").arg(line.size()).arg(line)));
    for (const QString& part : kept) {
        QVERIFY2(line.contains(part), qPrintable(line));
    }
}

void TestLiveView::columnsFollowTheEnvironment() {
    qputenv("COLUMNS", "93");
    QCOMPARE(terminalColumns(), 93);
    qunsetenv("COLUMNS");
    QVERIFY(terminalColumns() > 0);
}

void TestLiveView::verdictLines_data() {
    QTest::addColumn<QJsonObject>("summary");
    QTest::addColumn<QString>("line");
    auto verdict = [](bool passed, const char* outcome, QStringList failed, bool interrupted) {
        return QJsonObject{{QStringLiteral("passed"), passed},
                           {QStringLiteral("outcome"), QLatin1String(outcome)},
                           {QStringLiteral("interrupted"), interrupted},
                           {QStringLiteral("failed"), QJsonArray::fromStringList(failed)}};
    };
    QTest::newRow("passed") << QJsonObject{{QStringLiteral("verdict"),
                                            verdict(true, "passed", {}, false)}}
                            << QStringLiteral("PASSED");
    QTest::newRow("failed") << QJsonObject{{QStringLiteral("verdict"),
                                            verdict(false, "failed", {QStringLiteral("errors<1%")},
                                                    false)}}
                            << QStringLiteral("FAILED: errors<1%");
    QTest::newRow("interrupted")
        << QJsonObject{{QStringLiteral("end_reason"), QStringLiteral("interrupted (SIGINT)")},
                       {QStringLiteral("verdict"),
                        verdict(false, "interrupted", {QStringLiteral("interrupted")}, true)}}
        << QStringLiteral("INTERRUPTED: the run did not complete (interrupted (SIGINT))");
    const QJsonObject stress{{QStringLiteral("unit"), QStringLiteral("rps")},
                             {QStringLiteral("knee"), 40}};
    QTest::newRow("knee") << QJsonObject{{QStringLiteral("stress"), stress},
                                         {QStringLiteral("verdict"),
                                          verdict(true, "knee", {}, false)}}
                          << QStringLiteral("KNEE: 40 rps, the highest load that met every SLO");
    QTest::newRow("no knee")
        << QJsonObject{{QStringLiteral("stress"),
                        QJsonObject{{QStringLiteral("unit"), QStringLiteral("rps")},
                                    {QStringLiteral("knee"), QJsonValue()}}},
                       {QStringLiteral("verdict"), verdict(false, "no_knee", {}, false)}}
        << QStringLiteral("NO KNEE: no stress step met the SLOs");
}

void TestLiveView::verdictLines() {
    QFETCH(QJsonObject, summary);
    QFETCH(QString, line);
    QCOMPARE(verdictLine(summary), line);
}

void TestLiveView::summaryListsFailuresByReason() {
    const QJsonObject reason{
        {QStringLiteral("reason"), QStringLiteral("http_429:insufficient_quota")},
        {QStringLiteral("label"), QStringLiteral("HTTP 429 insufficient_quota")},
        {QStringLiteral("count"), 7},
        {QStringLiteral("example"), QStringLiteral("HTTP 429: quota")}};
    const QJsonObject s{
        {QStringLiteral("counts"), QJsonObject{{QStringLiteral("submitted"), 10}}},
        {QStringLiteral("failures"),
         QJsonObject{{QStringLiteral("by_reason"), QJsonArray{reason}}}},
        {QStringLiteral("verdict"), QJsonObject{{QStringLiteral("passed"), false}}}};
    const QString text = summaryText(s, {});
    QVERIFY2(text.contains(QLatin1String("Failures by reason:")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("7 ( 70.0%)  HTTP 429 insufficient_quota")),
             qPrintable(text));
}

QTEST_GUILESS_MAIN(TestLiveView)
#include "tst_liveview.moc"
