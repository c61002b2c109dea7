// `sluice gateway`, `sluice stats` and `sluice config` as an operator runs them, against the
// mock in this process: flags refused with their name, the admin commands adding up with the
// mock's own counts, a limit set live.
#include "core/server/mock/mockserver.h"
#include "tests/support/httptestclient.h"

#include <QJsonDocument>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using namespace sluice;

class TestGatewayCli final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void badFlagsAreRefused_data();
    void badFlagsAreRefused();
    void statsAndConfigTalkToARunningGateway();

private:
    struct Run {
        int code = -1;
        QString out, err;
    };
    static Run run(const QStringList& args, int timeoutMs = 20000) {
        QProcess p;
        p.start(QStringLiteral(SLUICE_BINARY), args);
        QSignalSpy done(&p, &QProcess::finished);
        if (!done.wait(timeoutMs)) {
            p.kill();
            p.waitForFinished();
            return {};
        }
        return {p.exitCode(), QString::fromLocal8Bit(p.readAllStandardOutput()),
                QString::fromLocal8Bit(p.readAllStandardError())};
    }
    static quint16 freePort() {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost);
        return probe.serverPort();
    }
};

void TestGatewayCli::badFlagsAreRefused_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("says");
    const QString up = QStringLiteral("--upstream=http://127.0.0.1:9/v1");
    QTest::newRow("no upstream") << QStringList{QStringLiteral("gateway")}
                                 << QStringLiteral("--upstream");
    QTest::newRow("open listen without token")
        << QStringList{QStringLiteral("gateway"), up, QStringLiteral("--listen=0.0.0.0:8080")}
        << QStringLiteral("--admin-token");
    QTest::newRow("bad concurrency")
        << QStringList{QStringLiteral("gateway"), up, QStringLiteral("--max-concurrent=0")}
        << QStringLiteral("--max-concurrent");
    QTest::newRow("bad reject status")
        << QStringList{QStringLiteral("gateway"), up, QStringLiteral("--reject-status=500")}
        << QStringLiteral("--reject-status");
    QTest::newRow("missing key variable")
        << QStringList{QStringLiteral("gateway"), up,
                       QStringLiteral("--key-env=SLUICE_NO_SUCH_VAR")}
        << QStringLiteral("SLUICE_NO_SUCH_VAR");
    QTest::newRow("missing clients file")
        << QStringList{QStringLiteral("gateway"), up,
                       QStringLiteral("--clients=/nonexistent/clients.json")}
        << QStringLiteral("--clients");
    QTest::newRow("config without an action")
        << QStringList{QStringLiteral("config")} << QStringLiteral("show, get");
}

void TestGatewayCli::badFlagsAreRefused() {
    QFETCH(QStringList, args);
    QFETCH(QString, says);
    const Run r = run(args);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(says), qPrintable(r.err));
}

void TestGatewayCli::statsAndConfigTalkToARunningGateway() {
    MockConfig m;
    m.rpm = 0;
    m.tpm = 0;
    m.ttftMs = 10;
    m.tpotMs = 0;
    m.tokensMin = m.tokensMax = 1;
    MockServer mock(m);
    QVERIFY(mock.listen());
    const quint16 port = freePort();
    QProcess gateway;
    gateway.start(QStringLiteral(SLUICE_BINARY),
                  {QStringLiteral("gateway"), QStringLiteral("--listen"),
                   QStringLiteral("127.0.0.1:%1").arg(port), QStringLiteral("--upstream"),
                   mock.baseUrl().toString() + QStringLiteral("/v1"),
                   QStringLiteral("--max-concurrent"), QStringLiteral("4")});
    QString banner;
    QTRY_VERIFY_WITH_TIMEOUT((banner += QString::fromLocal8Bit(gateway.readAllStandardOutput()),
                              banner.contains(QLatin1String("Sluice gateway on"))),
                             10000);
    const QString gw = QStringLiteral("--gateway=127.0.0.1:%1").arg(port);
    QNetworkAccessManager nam;
    const QUrl chat(QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(port));
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(test::post(nam, chat, test::chatBody()).status, 200);
    }
    Run r = run({QStringLiteral("stats"), gw, QStringLiteral("--json")});
    QCOMPARE(r.code, 0);
    const QJsonObject stats = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(stats.value(QStringLiteral("done")).toInt(), 5);
    QCOMPARE(stats.value(QStringLiteral("done")).toInt(),
             mock.statsJson().value(QStringLiteral("requests")).toInt());
    r = run({QStringLiteral("config"), QStringLiteral("set"), QStringLiteral("max_concurrent"),
             QStringLiteral("7"), gw});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains(QLatin1String("config version 2")), qPrintable(r.out));
    r = run(
        {QStringLiteral("config"), QStringLiteral("get"), QStringLiteral("max_concurrent"), gw});
    QCOMPARE(r.out.trimmed(), QStringLiteral("7"));
    r = run({QStringLiteral("config"), QStringLiteral("set"), QStringLiteral("max_concurrent"),
             QStringLiteral("0"), gw});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("max_concurrent")), qPrintable(r.err));
    r = run({QStringLiteral("stats"), gw});
    QVERIFY2(r.out.contains(QLatin1String("in flight   0 / 7")), qPrintable(r.out));
    gateway.terminate();
    QSignalSpy ended(&gateway, &QProcess::finished);
    QVERIFY(ended.wait(10000));
    QCOMPARE(gateway.exitCode(), 0);
    r = run({QStringLiteral("stats"), gw});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("cannot reach the gateway")), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestGatewayCli)
#include "tst_gatewaycli.moc"
