// `sluice gateway`, `sluice stats` and `sluice config` as an operator runs them, against the
// mock in this process: flags refused with their name, the admin commands adding up with the
// mock's own counts, a limit set live.
#include "core/server/mock/mockserver.h"
#include "tests/support/gatewayprocess.h"
#include "tests/support/httptestclient.h"
#include "tests/support/redisserver.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <QTimer>

using namespace sluice;

class TestGatewayCli final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void badFlagsAreRefused_data();
    void badFlagsAreRefused();
    void statsAndConfigTalkToARunningGateway();
    void configSetUnderLoadReachesTheMockWithinASecond();
    void gatewayProcessesShareConcurrencyThroughRedis();

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
    /// Starts `sluice gateway` on a free port in front of `mock`; returns its port (0 on failure).
    static quint16 startGateway(QProcess& gateway, const MockServer& mock,
                                const QStringList& extra) {
        return test::startGateway(gateway, mock.baseUrl().toString() + QStringLiteral("/v1"),
                                  extra);
    }
    static void stopGateway(QProcess& gateway) { QVERIFY(test::stopGateway(gateway)); }
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
    QTest::newRow("bad redis url")
        << QStringList{QStringLiteral("gateway"), up, QStringLiteral("--redis=http://127.0.0.1:1")}
        << QStringLiteral("--redis");
    QTest::newRow("bad redis policy")
        << QStringList{QStringLiteral("gateway"), up, QStringLiteral("--redis=redis://127.0.0.1:1"),
                       QStringLiteral("--redis-policy=maybe")}
        << QStringLiteral("--redis-policy");
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
    QProcess gateway;
    const quint16 port =
        startGateway(gateway, mock, {QStringLiteral("--max-concurrent"), QStringLiteral("4")});
    QVERIFY(port != 0);
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
    stopGateway(gateway);
    r = run({QStringLiteral("stats"), gw});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("cannot reach the gateway")), qPrintable(r.err));
}

// A limit raised with `sluice config set` while requests queue reaches the upstream within a
// second (judged by the mock's own in-flight count), never overshoots, and loses nothing.
void TestGatewayCli::configSetUnderLoadReachesTheMockWithinASecond() {
    MockConfig m;
    m.rpm = 0;
    m.tpm = 0;
    m.capacity = 1000;
    m.ttftMs = 300;
    m.tpotMs = 0;
    m.tokensMin = m.tokensMax = 1;
    MockServer mock(m);
    QVERIFY(mock.listen());
    QProcess gateway;
    const quint16 port = startGateway(gateway, mock,
                                      {QStringLiteral("--max-concurrent"), QStringLiteral("4"),
                                       QStringLiteral("--queue-size"), QStringLiteral("1000"),
                                       QStringLiteral("--queue-timeout"), QStringLiteral("60s")});
    QVERIFY(port != 0);
    const auto inFlight = [&] {
        return mock.statsJson().value(QStringLiteral("concurrent")).toInt();
    };
    QNetworkAccessManager nam;
    const QUrl chat(QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(port));
    constexpr int kRequests = 80;
    int ok = 0, other = 0, peak = 0;
    for (int i = 0; i < kRequests; ++i) {
        QNetworkReply* reply = nam.post(test::jsonRequest(chat, i), test::chatBody());
        connect(reply, &QNetworkReply::finished, this, [&, reply] {
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            (status == 200 ? ok : other) += 1;
            reply->deleteLater();
        });
    }
    QVERIFY(test::runUntil([&] { return inFlight() == 4; }, 5000));
    // The mock's count is sampled every 5 ms from before the command starts, so the time
    // includes starting the `sluice` process, the admin call and the gateway's dispatch.
    QElapsedTimer sinceSet;
    qint64 reachedMs = -1;
    QTimer sampler;
    connect(&sampler, &QTimer::timeout, this, [&] {
        peak = std::max(peak, inFlight());
        if (reachedMs < 0 && peak >= 12) {
            reachedMs = sinceSet.elapsed();
        }
    });
    sampler.start(5);
    sinceSet.start();
    const Run r =
        run({QStringLiteral("config"), QStringLiteral("set"), QStringLiteral("max_concurrent"),
             QStringLiteral("12"), QStringLiteral("--gateway=127.0.0.1:%1").arg(port)});
    QCOMPARE(r.code, 0);
    QVERIFY(test::runUntil([&] { return reachedMs >= 0 || sinceSet.elapsed() > 1000; }, 2000));
    QVERIFY2(reachedMs >= 0 && reachedMs <= 1000,
             qPrintable(QStringLiteral("the mock saw %1 in flight, %2 ms after `config set` began")
                            .arg(peak)
                            .arg(reachedMs)));
    qInfo("the mock reached 12 in flight %lld ms after `config set` began", reachedMs);
    QVERIFY(test::runUntil(
        [&] {
            peak = std::max(peak, inFlight());
            return ok + other == kRequests;
        },
        30000));
    QCOMPARE(ok, kRequests);
    QCOMPARE(mock.statsJson().value(QStringLiteral("peak_concurrent")).toInt(), 12);
    QCOMPARE(mock.statsJson().value(QStringLiteral("requests")).toInt(), kRequests);
    stopGateway(gateway);
}

// Three `sluice gateway` processes with --redis and a fleet-wide concurrency of 6, each offered
// 6 slow requests at once: the mock never has more than 6 in flight, and does have 6; stats
// show the shared state.
void TestGatewayCli::gatewayProcessesShareConcurrencyThroughRedis() {
    SKIP_WITHOUT_REDIS();
    RedisServer redis;
    QVERIFY(redis.start());
    MockConfig m;
    m.rpm = 0;
    m.tpm = 0;
    m.ttftMs = 300;
    m.tpotMs = 0;
    m.tokensMin = m.tokensMax = 1;
    MockServer mock(m);
    QVERIFY(mock.listen());
    QProcess gateways[3];
    quint16 ports[3] = {};
    for (int i = 0; i < 3; ++i) {
        ports[i] = startGateway(gateways[i], mock,
                                {QStringLiteral("--max-concurrent"), QStringLiteral("6"),
                                 QStringLiteral("--redis"), redis.url()});
        QVERIFY(ports[i] != 0);
    }
    QNetworkAccessManager nam;
    int finished = 0;
    int ok = 0;
    for (int i = 0; i < 18; ++i) {
        QNetworkRequest request(
            QUrl(QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(ports[i % 3])));
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        QNetworkReply* reply = nam.post(request, test::chatBody());
        connect(reply, &QNetworkReply::finished, this, [reply, &finished, &ok] {
            ++finished;
            ok += reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
            reply->deleteLater();
        });
    }
    QVERIFY(test::runUntil([&] { return finished == 18; }, 30000));
    QCOMPARE(ok, 18);
    const QJsonObject stats = mock.statsJson();
    qInfo("mock: %d requests, peak concurrency %d", stats.value(QStringLiteral("requests")).toInt(),
          stats.value(QStringLiteral("peak_concurrent")).toInt());
    QCOMPARE(stats.value(QStringLiteral("peak_concurrent")).toInt(), 6);
    const Run r =
        run({QStringLiteral("stats"), QStringLiteral("--gateway=127.0.0.1:%1").arg(ports[0]),
             QStringLiteral("--json")});
    QCOMPARE(r.code, 0);
    const QJsonObject shared =
        QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("shared")).toObject();
    QCOMPARE(shared.value(QStringLiteral("mode")).toString(), QStringLiteral("scripted"));
    QCOMPARE(shared.value(QStringLiteral("alarm")).toBool(), false);
    QCOMPARE(shared.value(QStringLiteral("processes")).toInt(), 3);
    for (QProcess& g : gateways) {
        stopGateway(g);
    }
}

QTEST_GUILESS_MAIN(TestGatewayCli)
#include "tst_gatewaycli.moc"
