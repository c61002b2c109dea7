// `sluice bench` against small scripted servers and signals, as an operator meets them: every
// failure says why, junk is never success, interrupted runs never pass, --http2 always exits.
#include "tests/support/sluicecli.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

namespace {

/// Answers every request on a connection with one canned response, then closes; "silent" reads
/// and never answers. Runs in the test's thread: wait with QSignalSpy, not a blocking call.
class ScriptedServer final : public QTcpServer {
public:
    explicit ScriptedServer(QByteArray response)
        : m_response(std::move(response)) {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    m_buffer[s] += s->readAll();
                    const QByteArray& b = m_buffer[s];
                    const qsizetype end = b.indexOf("\r\n\r\n");
                    if (end < 0 || m_response.isEmpty()) {
                        return;
                    }
                    static const QRegularExpression length(
                        QStringLiteral("content-length:\\s*(\\d+)"),
                        QRegularExpression::CaseInsensitiveOption);
                    const auto m = length.match(QString::fromLatin1(b.left(end)));
                    const qsizetype body = m.hasMatch() ? m.captured(1).toLongLong() : 0;
                    if (b.size() < end + 4 + body) {
                        return;
                    }
                    m_buffer.remove(s);
                    s->write(m_response);
                    s->disconnectFromHost();
                });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }

    static QByteArray response(int status, const char* type, const QByteArray& body) {
        return QByteArrayLiteral("HTTP/1.1 ") + QByteArray::number(status) +
               QByteArrayLiteral(" X\r\nContent-Type: ") + type +
               QByteArrayLiteral("\r\nConnection: close\r\nContent-Length: ") +
               QByteArray::number(body.size()) + QByteArrayLiteral("\r\n\r\n") + body;
    }

private:
    QByteArray m_response;
    QHash<QTcpSocket*, QByteArray> m_buffer;
};

using Run = sluice::test::CliRun;

} // namespace

class TestBenchTrust final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void junkIsNeverSuccess_data();
    void junkIsNeverSuccess();
    void refusedPortSaysConnectionRefused();
    void silentTargetTimesOutBeforeHeaders();
    void httpErrorsAreCountedByStatus();
    void defaultErrorSloFailsAFaultyRun();
    void interruptedRunsExitNonZero_data();
    void interruptedRunsExitNonZero();
    void doubleInterruptCancelsWhatIsOut();
    void http2AgainstAnHttp1ServerExits();
    void stressEndsWithAVerdictLine();
    void flagsThatContradictAreRefused_data();
    void flagsThatContradictAreRefused();
    void readmeExamplesPassAgainstTheDefaultMock();
    void breakerAndErrorAlertsFire();

private:
    // Runs the CLI while this thread's event loop keeps serving scripted servers.
    static Run run(const QStringList& args, int timeoutMs = 60000) {
        return sluice::test::runCli(args, timeoutMs, sluice::test::CliWait::Serving);
    }
    static QJsonObject summaryIn(const QTemporaryDir& dir) {
        QFile f(dir.filePath(QStringLiteral("summary.json")));
        if (!f.open(QIODevice::ReadOnly)) {
            return {};
        }
        return QJsonDocument::fromJson(f.readAll()).object();
    }
    static QJsonObject topReason(const QJsonObject& summary) {
        return summary.value(QStringLiteral("failures"))
            .toObject()
            .value(QStringLiteral("by_reason"))
            .toArray()
            .first()
            .toObject();
    }
    static QStringList target(quint16 port, const QTemporaryDir& dir) {
        return {QStringLiteral("bench"),
                QStringLiteral("--target"),
                QStringLiteral("http://127.0.0.1:%1/v1").arg(port),
                QStringLiteral("--concurrency"),
                QStringLiteral("1"),
                QStringLiteral("--requests"),
                QStringLiteral("4"),
                QStringLiteral("--quiet"),
                QStringLiteral("--report"),
                dir.path()};
    }
    static QStringList quickMock() {
        return {QStringLiteral("bench"),         QStringLiteral("--mock"),
                QStringLiteral("--mock-ttft"),   QStringLiteral("20ms"),
                QStringLiteral("--mock-tpot"),   QStringLiteral("2ms"),
                QStringLiteral("--mock-tokens"), QStringLiteral("5")};
    }
};

void TestBenchTrust::junkIsNeverSuccess_data() {
    QTest::addColumn<QByteArray>("response");
    QTest::addColumn<bool>("stream");
    QTest::addColumn<QString>("says");
    QTest::newRow("html page, whole answer")
        << ScriptedServer::response(200, "text/html",
                                    "<!DOCTYPE html><html><body>Welcome to nginx!</body></html>")
        << false << QStringLiteral("not JSON");
    QTest::newRow("foreign json, whole answer")
        << ScriptedServer::response(200, "application/json", R"({"hello":"world"})") << false
        << QStringLiteral("without \"choices\"");
    QTest::newRow("junk event stream")
        << ScriptedServer::response(200, "text/event-stream",
                                    "data: not json\n\ndata: {\"hello\":1}\n\ndata: [DONE]\n\n")
        << true << QStringLiteral("no valid event");
    QTest::newRow("html page for a stream")
        << ScriptedServer::response(200, "text/html", "<html><body>login</body></html>") << true
        << QStringLiteral("text/html");
}

void TestBenchTrust::junkIsNeverSuccess() {
    QFETCH(QByteArray, response);
    QFETCH(bool, stream);
    QFETCH(QString, says);
    ScriptedServer server(response);
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QTemporaryDir dir;
    QStringList args = target(server.serverPort(), dir);
    if (!stream) {
        args << QStringLiteral("--no-stream");
    }
    const Run r = run(args);
    QCOMPARE(r.code, 1); // nothing succeeded
    QVERIFY2(r.out.contains(QLatin1String("malformed response")), qPrintable(r.out));
    QVERIFY2(!r.out.contains(QLatin1String("PASSED")), qPrintable(r.out));
    const QJsonObject summary = summaryIn(dir);
    QCOMPARE(
        summary.value(QStringLiteral("counts")).toObject().value(QStringLiteral("done")).toInt(),
        0);
    const QJsonObject top = topReason(summary);
    QCOMPARE(top.value(QStringLiteral("reason")).toString(), QStringLiteral("malformed_response"));
    QCOMPARE(top.value(QStringLiteral("count")).toInt(), 4);
    QVERIFY2(top.value(QStringLiteral("example")).toString().contains(says),
             qPrintable(top.value(QStringLiteral("example")).toString()));
    QFile html(dir.filePath(QStringLiteral("report.html")));
    QVERIFY(html.open(QIODevice::ReadOnly));
    const QString page = QString::fromUtf8(html.readAll());
    QVERIFY(page.contains(QLatin1String("Failures by reason")));
    QVERIFY(page.contains(QLatin1String("malformed response")));
    QVERIFY(page.contains(QLatin1String("fail_malformed")) ||
            page.contains(QLatin1String("Failures per second")));
}

void TestBenchTrust::refusedPortSaysConnectionRefused() {
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        port = probe.serverPort();
    } // closed: nothing listens there now
    QTemporaryDir dir;
    const Run r = run(target(port, dir));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.out.contains(QLatin1String("connection refused")), qPrintable(r.out));
    const QJsonObject top = topReason(summaryIn(dir));
    QCOMPARE(top.value(QStringLiteral("reason")).toString(), QStringLiteral("connection_refused"));
    QCOMPARE(top.value(QStringLiteral("group")).toString(), QStringLiteral("network"));
    QCOMPARE(top.value(QStringLiteral("count")).toInt(), 4);
}

void TestBenchTrust::silentTargetTimesOutBeforeHeaders() {
    ScriptedServer server({}); // reads, never answers
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QTemporaryDir dir;
    QStringList args = target(server.serverPort(), dir);
    args << QStringLiteral("--timeout") << QStringLiteral("1s");
    args[args.indexOf(QStringLiteral("--requests")) + 1] = QStringLiteral("2");
    args[args.indexOf(QStringLiteral("--concurrency")) + 1] = QStringLiteral("2"); // wait once
    const Run r = run(args, 30000);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.out.contains(QLatin1String("timeout before headers")), qPrintable(r.out));
    const QJsonObject summary = summaryIn(dir);
    QCOMPARE(topReason(summary).value(QStringLiteral("reason")).toString(),
             QStringLiteral("timeout_before_headers"));
    QCOMPARE(summary.value(QStringLiteral("counts"))
                 .toObject()
                 .value(QStringLiteral("cancelled"))
                 .toInt(),
             0);
}

void TestBenchTrust::httpErrorsAreCountedByStatus() {
    ScriptedServer server(ScriptedServer::response(
        501, "application/json",
        R"({"error":{"message":"chat is not implemented here","type":"not_implemented"}})"));
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QTemporaryDir dir;
    const Run r = run(target(server.serverPort(), dir));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.out.contains(QLatin1String("HTTP 501 not_implemented")), qPrintable(r.out));
    const QJsonObject top = topReason(summaryIn(dir));
    QCOMPARE(top.value(QStringLiteral("reason")).toString(),
             QStringLiteral("http_501:not_implemented"));
    QCOMPARE(top.value(QStringLiteral("status")).toInt(), 501);
    QCOMPARE(top.value(QStringLiteral("group")).toString(), QStringLiteral("http_5xx"));
}

void TestBenchTrust::defaultErrorSloFailsAFaultyRun() {
    QTemporaryDir dir;
    const QStringList faulty = quickMock() + QStringList{QStringLiteral("--mock-fault-rate"),
                                                         QStringLiteral("500=0.3"),
                                                         QStringLiteral("--concurrency"),
                                                         QStringLiteral("4"),
                                                         QStringLiteral("--requests"),
                                                         QStringLiteral("60"),
                                                         QStringLiteral("--seed"),
                                                         QStringLiteral("7"),
                                                         QStringLiteral("--quiet")};
    const Run failing = run(faulty + QStringList{QStringLiteral("--report"), dir.path()});
    QCOMPARE(failing.code, 3);
    QVERIFY2(failing.out.contains(QLatin1String("errors<1% (default)")), qPrintable(failing.out));
    QVERIFY(failing.out.contains(QLatin1String("HTTP 500")));
    const QJsonObject summary = summaryIn(dir);
    QVERIFY(summary.value(QStringLiteral("failures"))
                .toObject()
                .value(QStringLiteral("total"))
                .toInt() > 5);
    const Run allowed = run(faulty + QStringList{QStringLiteral("--no-default-slo")});
    QCOMPARE(allowed.code, 0);
    QVERIFY2(allowed.out.contains(QLatin1String("PASSED")), qPrintable(allowed.out));
}

void TestBenchTrust::interruptedRunsExitNonZero_data() {
    QTest::addColumn<int>("signal");
    QTest::addColumn<int>("code");
    QTest::newRow("SIGINT") << int(SIGINT) << 130;
    QTest::newRow("SIGTERM") << int(SIGTERM) << 143;
}

void TestBenchTrust::interruptedRunsExitNonZero() {
    QFETCH(int, signal);
    QFETCH(int, code);
    QTemporaryDir dir;
    QProcess p;
    p.start(QStringLiteral(SLUICE_BINARY),
            quickMock() + QStringList{QStringLiteral("--rate"), QStringLiteral("5"),
                                      QStringLiteral("--duration"), QStringLiteral("60s"),
                                      QStringLiteral("--report"), dir.path()});
    QVERIFY(p.waitForStarted());
    QString out;
    // The first live line (non-TTY: printed once the first second closes) means it is running.
    QTRY_VERIFY_WITH_TIMEOUT((out += QString::fromLocal8Bit(p.readAllStandardOutput()),
                              out.contains(QLatin1String("ok "))),
                             20000);
    ::kill(static_cast<pid_t>(p.processId()), signal);
    QSignalSpy done(&p, &QProcess::finished);
    QVERIFY(done.wait(30000));
    out += QString::fromLocal8Bit(p.readAllStandardOutput());
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), code);
    QVERIFY2(out.contains(QLatin1String("INTERRUPTED")), qPrintable(out));
    QVERIFY(!out.contains(QLatin1String("PASSED")));
    const QJsonObject verdict = summaryIn(dir).value(QStringLiteral("verdict")).toObject();
    QCOMPARE(verdict.value(QStringLiteral("passed")).toBool(), false);
    QCOMPARE(verdict.value(QStringLiteral("outcome")).toString(), QStringLiteral("interrupted"));
}

void TestBenchTrust::doubleInterruptCancelsWhatIsOut() {
    QTemporaryDir dir;
    QProcess p;
    p.start(QStringLiteral(SLUICE_BINARY),
            {QStringLiteral("bench"), QStringLiteral("--mock"), QStringLiteral("--mock-ttft"),
             QStringLiteral("20s"), QStringLiteral("--rate"), QStringLiteral("5"),
             QStringLiteral("--duration"), QStringLiteral("60s"), QStringLiteral("--report"),
             dir.path()});
    QVERIFY(p.waitForStarted());
    QString out, err;
    QTRY_VERIFY_WITH_TIMEOUT((out += QString::fromLocal8Bit(p.readAllStandardOutput()),
                              out.contains(QLatin1String("ok "))),
                             20000);
    ::kill(static_cast<pid_t>(p.processId()), SIGINT);
    QTRY_VERIFY_WITH_TIMEOUT((err += QString::fromLocal8Bit(p.readAllStandardError()),
                              err.contains(QLatin1String("again to cancel"))),
                             10000);
    ::kill(static_cast<pid_t>(p.processId()), SIGINT);
    QSignalSpy done(&p, &QProcess::finished);
    QVERIFY(done.wait(30000));
    out += QString::fromLocal8Bit(p.readAllStandardOutput());
    QCOMPARE(p.exitCode(), 130);
    QVERIFY2(out.contains(QLatin1String("INTERRUPTED")), qPrintable(out));
    const QJsonObject counts = summaryIn(dir).value(QStringLiteral("counts")).toObject();
    QVERIFY2(counts.value(QStringLiteral("cancelled")).toInt() >= 1, qPrintable(out));
}

void TestBenchTrust::http2AgainstAnHttp1ServerExits() {
    // A server that answers anything, the HTTP/2 preface included, in HTTP/1.1 and closes.
    ScriptedServer server(ScriptedServer::response(400, "text/plain", "HTTP/1.1 only"));
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QTemporaryDir dir;
    const Run r =
        run(target(server.serverPort(), dir) + QStringList{QStringLiteral("--http2")}, 40000);
    QCOMPARE(r.code, 1); // -1 would be a hang killed by the test
    QVERIFY2(r.err.contains(QLatin1String("--http2")), qPrintable(r.err));
    QVERIFY2(r.err.contains(QLatin1String("HTTP/2")), qPrintable(r.err));
    QVERIFY2(!r.err.contains(QLatin1String("qt.network")), qPrintable(r.err));
}

void TestBenchTrust::stressEndsWithAVerdictLine() {
    // 4 slots of ~100 ms: about 40 rps. Steps of 20 rps up to 80: the knee is 20 or more.
    const Run r =
        run({QStringLiteral("bench"), QStringLiteral("--mock"), QStringLiteral("--mock-capacity"),
             QStringLiteral("4"), QStringLiteral("--mock-ttft"), QStringLiteral("100ms"),
             QStringLiteral("--mock-tokens"), QStringLiteral("1"), QStringLiteral("--rate"),
             QStringLiteral("20"), QStringLiteral("--stress"), QStringLiteral("20:80:1s"),
             QStringLiteral("--slo"), QStringLiteral("ttft:p95<400ms"), QStringLiteral("--quiet")},
            90000);
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("\\nKNEE: \\d+(\\.\\d+)? rps"))),
             qPrintable(r.out));
    QVERIFY2(!r.out.contains(QLatin1String("FAILED  ttft")), qPrintable(r.out));
}

void TestBenchTrust::flagsThatContradictAreRefused_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("says");
    QTest::addColumn<QString>("never");
    QTest::newRow("mock and target")
        << QStringList{QStringLiteral("bench"),      QStringLiteral("--mock"),
                       QStringLiteral("--target"),   QStringLiteral("http://127.0.0.1:9/v1"),
                       QStringLiteral("--requests"), QStringLiteral("1")}
        << QStringLiteral("--mock and --target") << QString();
    QTest::newRow("fault share named once")
        << QStringList{QStringLiteral("bench"),
                       QStringLiteral("--mock"),
                       QStringLiteral("--mock-fault-rate"),
                       QStringLiteral("500=2"),
                       QStringLiteral("--requests"),
                       QStringLiteral("1")}
        << QStringLiteral("--mock-fault-rate '500=2': mock.faults.500")
        << QStringLiteral("--fault-rate");
}

void TestBenchTrust::flagsThatContradictAreRefused() {
    QFETCH(QStringList, args);
    QFETCH(QString, says);
    QFETCH(QString, never);
    const Run r = run(args, 20000);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(says), qPrintable(r.err));
    if (!never.isEmpty()) {
        QVERIFY2(!r.err.contains(never), qPrintable(r.err));
    }
}

// The README's `sluice bench --mock` examples, as written, pass against the default mock;
// shortened (durations and request counts) so the suite stays fast.
void TestBenchTrust::readmeExamplesPassAgainstTheDefaultMock() {
    QFile readme(QStringLiteral(SLUICE_SOURCE_DIR "/README.md"));
    QVERIFY(readme.open(QIODevice::ReadOnly));
    const QString text =
        QString::fromUtf8(readme.readAll()).replace(QLatin1String("\\\n"), QString());
    static const QRegularExpression example(QStringLiteral("^sluice bench --mock[^\n]*$"),
                                            QRegularExpression::MultilineOption);
    int examples = 0;
    for (auto it = example.globalMatch(text); it.hasNext();) {
        const QString line = it.next().captured(0).simplified();
        // splitCommand() knows double quotes only; the README quotes like a shell.
        QStringList args =
            QProcess::splitCommand(QString(line).replace(QLatin1Char('\''), QLatin1Char('"')))
                .mid(1);
        QTemporaryDir dir;
        for (int i = 0; i + 1 < args.size(); ++i) {
            if (args[i] == QLatin1String("--duration")) {
                args[i + 1] = QStringLiteral("2s");
            } else if (args[i] == QLatin1String("--requests")) {
                args[i + 1] = QStringLiteral("20");
            } else if (args[i] == QLatin1String("--report")) {
                args[i + 1] = dir.path();
            }
        }
        args << QStringLiteral("--quiet");
        const Run r = run(args, 120000);
        QVERIFY2(r.code == 0, qPrintable(line + QStringLiteral("\n") + r.out + r.err));
        QVERIFY2(r.out.contains(QLatin1String("\nPASSED")), qPrintable(r.out));
        ++examples;
    }
    QVERIFY2(examples >= 2, "the README's bench examples were not found");
}

// Traffic control with a breaker against a mock that only fails: the error alert and the
// breaker alert are raised, the breaker's opening is an event, fast failures count by reason.
void TestBenchTrust::breakerAndErrorAlertsFire() {
    QTemporaryDir dir;
    QFile scenario(dir.filePath(QStringLiteral("breaker.json")));
    QVERIFY(scenario.open(QIODevice::WriteOnly));
    scenario.write(R"({"mock": {"faults": {"500": 1.0}, "ttft_ms": 5, "rpm": 0, "tpm": 0},
        "traffic": {"breaker": true, "breaker_minimum_calls": 5, "breaker_open": "2s",
                    "retries": 0},
        "profile": {"kind": "constant", "rate": 20}, "duration": "4s"})");
    scenario.close();
    const Run r = run({QStringLiteral("bench"), QStringLiteral("--scenario"), scenario.fileName(),
                       QStringLiteral("--quiet"), QStringLiteral("--report"),
                       dir.filePath(QStringLiteral("report"))});
    QCOMPARE(r.code, 1); // nothing succeeded
    QFile f(dir.filePath(QStringLiteral("report/summary.json")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject summary = QJsonDocument::fromJson(f.readAll()).object();
    QStringList raised, events;
    for (const QJsonValue& a : summary.value(QStringLiteral("alerts")).toArray()) {
        if (a[QStringLiteral("state")].toString() == QLatin1String("raised")) {
            raised << a[QStringLiteral("rule")].toString();
        }
    }
    for (const QJsonValue& e : summary.value(QStringLiteral("events")).toArray()) {
        events << e[QStringLiteral("kind")].toString() + QLatin1Char(' ') +
                      e[QStringLiteral("text")].toString();
    }
    QVERIFY2(raised.contains(QStringLiteral("errors-critical")),
             qPrintable(raised.join(QLatin1Char(','))));
    QVERIFY2(raised.contains(QStringLiteral("breaker-open")),
             qPrintable(raised.join(QLatin1Char(','))));
    QVERIFY2(events.contains(QStringLiteral("breaker circuit closed -> open")),
             qPrintable(events.join(QLatin1Char('\n'))));
    QVERIFY(topReason(summary).value(QStringLiteral("reason")).toString() ==
            QLatin1String("circuit_open"));
}

QTEST_GUILESS_MAIN(TestBenchTrust)
#include "tst_benchtrust.moc"
