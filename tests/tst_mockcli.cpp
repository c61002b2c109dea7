// The `sluice mock` command as a user runs it: flags, errors, exit codes, serving, stopping.

#include "tests/support/httptestclient.h"

#include <QNetworkAccessManager>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using namespace sluice::test;

class TestMockCli final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void badArgumentsFailWithTheirName_data();
    void badArgumentsFailWithTheirName();
    void helpAndVersion();
    void servesUntilTerminated();
    void exitsAfterGivenTime();
    void timeoutFlagsApply();
    void busyPortIsReported();
    void consoleWithoutDisplayExplains();

private:
    static QString binary() { return QStringLiteral(SLUICE_BINARY); }
};

void TestMockCli::badArgumentsFailWithTheirName_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");
    const auto row = [](const char* name, QStringList args, const char* mentions) {
        QTest::newRow(name) << args << QString::fromLatin1(mentions);
    };
    row("duration without unit",
        {QStringLiteral("mock"), QStringLiteral("--ttft"), QStringLiteral("200")}, "--ttft");
    row("bad duration", {QStringLiteral("mock"), QStringLiteral("--tpot"), QStringLiteral("fast")},
        "--tpot");
    row("port out of range",
        {QStringLiteral("mock"), QStringLiteral("--port"), QStringLiteral("99999")}, "--port");
    row("inverted tokens",
        {QStringLiteral("mock"), QStringLiteral("--tokens"), QStringLiteral("200..50")},
        "--tokens");
    row("unknown fault",
        {QStringLiteral("mock"), QStringLiteral("--fault-rate"), QStringLiteral("boom=0.1")},
        "boom");
    row("fault share",
        {QStringLiteral("mock"), QStringLiteral("--fault-rate"), QStringLiteral("500=3")},
        "--fault-rate");
    row("unknown flag", {QStringLiteral("mock"), QStringLiteral("--bogus")}, "bogus");
    row("stray argument", {QStringLiteral("mock"), QStringLiteral("extra")}, "extra");
    row("unknown command", {QStringLiteral("frobnicate")}, "frobnicate");
    row("bad host", {QStringLiteral("mock"), QStringLiteral("--host"), QStringLiteral("nohost")},
        "--host");
    row("zero capacity",
        {QStringLiteral("mock"), QStringLiteral("--capacity"), QStringLiteral("0")}, "--capacity");
    row("negative rpm", {QStringLiteral("mock"), QStringLiteral("--rpm"), QStringLiteral("-5")},
        "--rpm");
    row("jitter", {QStringLiteral("mock"), QStringLiteral("--jitter"), QStringLiteral("2")},
        "--jitter");
    row("missing value", {QStringLiteral("mock"), QStringLiteral("--rpm")}, "rpm");
    row("header timeout",
        {QStringLiteral("mock"), QStringLiteral("--header-timeout"), QStringLiteral("10")},
        "--header-timeout");
    row("body timeout",
        {QStringLiteral("mock"), QStringLiteral("--body-timeout"), QStringLiteral("soon")},
        "--body-timeout");
    row("idle timeout",
        {QStringLiteral("mock"), QStringLiteral("--idle-timeout"), QStringLiteral("2h")},
        "--idle-timeout");
}

void TestMockCli::badArgumentsFailWithTheirName() {
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);
    QProcess p;
    p.start(binary(), args);
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 2);
    const QString err = QString::fromLocal8Bit(p.readAllStandardError());
    QVERIFY2(err.contains(mentions), qPrintable(err));
    QVERIFY(p.readAllStandardOutput().isEmpty() || !err.isEmpty());
}

void TestMockCli::helpAndVersion() {
    QProcess p;
    p.start(binary(), {QStringLiteral("--help")});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(p.readAllStandardOutput().contains("mock"));
    p.start(binary(), {QStringLiteral("mock"), QStringLiteral("--help")});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 0);
    const QByteArray help = p.readAllStandardOutput();
    QVERIFY(help.contains("--rpm") && help.contains("--fault-rate") && help.contains("--capacity"));
    QVERIFY(help.contains("--header-timeout") && help.contains("--body-timeout") &&
            help.contains("--idle-timeout"));
    p.start(binary(), {QStringLiteral("--version")});
    QVERIFY(p.waitForFinished(10000));
    QVERIFY(p.readAllStandardOutput().startsWith("sluice "));
}

static QUrl waitForListening(QProcess& p, QByteArray* out) {
    static const QRegularExpression re(
        QStringLiteral("listening on (http://127\\.0\\.0\\.1:\\d+)"));
    for (int i = 0; i < 100 && p.state() == QProcess::Running; ++i) {
        const auto m = re.match(QString::fromLocal8Bit(*out));
        if (m.hasMatch()) {
            return QUrl(m.captured(1));
        }
        QSignalSpy ready(&p, &QProcess::readyReadStandardOutput);
        ready.wait(200);
        *out += p.readAllStandardOutput();
    }
    return {};
}

void TestMockCli::servesUntilTerminated() {
    QProcess p;
    p.start(binary(), {QStringLiteral("mock"), QStringLiteral("--port"), QStringLiteral("0"),
                       QStringLiteral("--rpm"), QStringLiteral("2"), QStringLiteral("--ttft"),
                       QStringLiteral("10ms"), QStringLiteral("--tpot"), QStringLiteral("1ms"),
                       QStringLiteral("--tokens"), QStringLiteral("4"),
                       QStringLiteral("--exit-after"), QStringLiteral("60s")});
    QVERIFY(p.waitForStarted(10000));
    QByteArray out;
    const QUrl base = waitForListening(p, &out);
    QVERIFY2(base.isValid(), out.constData());
    QNetworkAccessManager nam;
    const QUrl chat(base.toString() + QStringLiteral("/v1/chat/completions"));
    const Response first = post(nam, chat, chatBody());
    QCOMPARE(first.status, 200);
    QCOMPARE(first.json()[QStringLiteral("usage")][QStringLiteral("completion_tokens")].toInt(), 4);
    QCOMPARE(post(nam, chat, chatBody()).status, 200);
    QCOMPARE(post(nam, chat, chatBody()).status, 429); // --rpm 2
    p.terminate();                                     // SIGTERM: a clean stop
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(p.readAllStandardOutput().contains("Stopping."));
}

void TestMockCli::exitsAfterGivenTime() {
    QProcess p;
    p.start(binary(), {QStringLiteral("mock"), QStringLiteral("--port"), QStringLiteral("0"),
                       QStringLiteral("--exit-after"), QStringLiteral("300ms")});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 0);
}

void TestMockCli::timeoutFlagsApply() {
    QProcess p;
    p.start(binary(), {QStringLiteral("mock"), QStringLiteral("--port"), QStringLiteral("0"),
                       QStringLiteral("--header-timeout"), QStringLiteral("300ms"),
                       QStringLiteral("--body-timeout"), QStringLiteral("400ms"),
                       QStringLiteral("--idle-timeout"), QStringLiteral("500ms"),
                       QStringLiteral("--exit-after"), QStringLiteral("60s")});
    QVERIFY(p.waitForStarted(10000));
    QByteArray out;
    const QUrl base = waitForListening(p, &out);
    QVERIFY2(base.isValid(), out.constData());
    const auto port = static_cast<quint16>(base.port());

    const RawResult head = rawExchange(port, "GET /v1/models HTTP/1.1\r\nHo", 5000, 3000);
    QVERIFY2(head.data.startsWith("HTTP/1.1 408 "), head.data.constData());
    QVERIFY(head.data.contains("within 300 ms"));
    QVERIFY(head.closedByServer);
    const RawResult body = rawExchange(
        port, "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\n\r\n{\"m",
        5000, 3000);
    QVERIFY2(body.data.startsWith("HTTP/1.1 408 "), body.data.constData());
    QVERIFY(body.data.contains("within 400 ms"));
    QVERIFY(body.closedByServer);
    const RawResult idle = rawExchange(port, "GET /health HTTP/1.1\r\nHost: a\r\n\r\n", 5000, 3000);
    QVERIFY2(idle.data.startsWith("HTTP/1.1 200 "), idle.data.constData());
    QVERIFY(idle.closedByServer); // kept alive, then closed after 500 ms idle (before 3 s quiet)
    p.terminate();
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 0);
}

void TestMockCli::busyPortIsReported() {
    QTcpServer busy;
    QVERIFY(busy.listen(QHostAddress::LocalHost, 0));
    QProcess p;
    p.start(binary(),
            {QStringLiteral("mock"), QStringLiteral("--port"), QString::number(busy.serverPort())});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(p.readAllStandardError().contains("cannot listen"));
}

void TestMockCli::consoleWithoutDisplayExplains() {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) {
        env.remove(QLatin1String(name));
    }
    p.setProcessEnvironment(env);
    p.start(binary(), {});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(p.readAllStandardError().contains("sluice demo"));
}

QTEST_GUILESS_MAIN(TestMockCli)
#include "tst_mockcli.moc"
