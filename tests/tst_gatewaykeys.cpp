// The gateway's upstream key pool against the in-process mock with per-key limits, judged by
// the mock's own per-key counters: four keys reach the sum of their limits without a 429, and
// a key the provider revokes is retired with an alarm while the others carry on.
#include "core/server/gateway/gatewayserver.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/httptestclient.h"
#include "tests/support/timedtest.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTest>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

const QList<QByteArray> kKeys = {"sk-pool-key-aaaa0001", "sk-pool-key-bbbb0002",
                                 "sk-pool-key-cccc0003", "sk-pool-key-dddd0004"};

MockConfig perKeyMock(std::int64_t rpm) {
    MockConfig m;
    m.rpm = rpm;
    m.tpm = 0;
    m.perKey = true;
    m.capacity = 1000;
    m.ttftMs = 5;
    m.tpotMs = 1;
    m.tokensMin = m.tokensMax = 3;
    return m;
}

GatewayConfig poolGateway(const MockServer& mock, QList<QByteArray> keys) {
    GatewayConfig c;
    c.port = 0;
    c.upstream = QUrl(mock.baseUrl().toString() + QStringLiteral("/v1"));
    c.maxConcurrent = 16;
    c.queueSize = 1000;
    c.queueTimeout = std::chrono::hours(1);
    c.keys = std::move(keys);
    return c;
}

QUrl url(const GatewayServer& g, const char* path) {
    return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(g.port()).arg(QLatin1String(path)));
}

// The mock's per-key counters by masked key.
QMap<QString, QJsonObject> perKey(MockServer& mock) {
    QMap<QString, QJsonObject> out;
    for (const QJsonValue& v : mock.statsJson().value(QStringLiteral("per_key")).toArray()) {
        out.insert(v[QStringLiteral("key")].toString(), v.toObject());
    }
    return out;
}

} // namespace

class TestGatewayKeys final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fourKeysReachTheSumWithoutA429();
    void revokedKeyIsRetiredWithAnAlarm();
};

void TestGatewayKeys::fourKeysReachTheSumWithoutA429() {
    SLUICE_SKIP_IF_UNTIMED(); // a limit kept to the request on a 10x clock
    // Four keys at 60 rpm each, the mock limiting each key on its own: the pool must reach
    // 240 rpm. A minute of limits passes in 6 real seconds (both sides on one scaled clock),
    // and the run lasts two such minutes.
    constexpr double kSpeed = 10.0;
    ScaledClock clock(kSpeed);
    MockServer mock(perKeyMock(60), nullptr, &clock);
    QVERIFY(mock.listen());
    GatewayServer gateway(poolGateway(mock, kKeys), &clock);
    QVERIFY(gateway.listen().ok());

    // A closed loop of 16 callers, each sending again as soon as it is answered: more than the
    // pool can take, so the gateway's queue always has someone waiting.
    QNetworkAccessManager nam;
    bool stop = false;
    int answered = 0, notOk = 0;
    std::function<void(int)> send = [&](int caller) {
        QNetworkReply* reply =
            nam.post(test::jsonRequest(url(gateway, "/v1/chat/completions"), caller % 4),
                     test::chatBody(QStringLiteral("hi"), false));
        connect(reply, &QNetworkReply::finished, this, [&, reply, caller] {
            reply->deleteLater();
            if (stop) {
                return;
            }
            ++answered;
            if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 200) {
                ++notOk;
            }
            send(caller);
        });
    };
    const Nanos start = clock.now();
    for (int caller = 0; caller < 16; ++caller) {
        send(caller);
    }
    const Nanos end = start + 2min;
    QVERIFY(test::runUntil([&] { return clock.now() >= end; }, 30'000));
    const QMap<QString, QJsonObject> keys = perKey(mock);
    const double minutes = toSeconds(clock.now() - start) / 60.0;
    stop = true;

    std::int64_t served = 0, rateLimited = 0;
    for (const QByteArray& key : kKeys) {
        const QJsonObject k = keys.value(maskKey(key));
        QVERIFY2(!k.isEmpty(), qPrintable(maskKey(key)));
        const auto requests = k[QStringLiteral("requests")].toInteger();
        const auto limited = k[QStringLiteral("rate_limited")].toInteger();
        qInfo("key %s: %lld requests, %lld x 429, peak concurrency %d", qPrintable(maskKey(key)),
              static_cast<long long>(requests), static_cast<long long>(limited),
              k[QStringLiteral("peak_concurrent")].toInt());
        served += requests - limited;
        rateLimited += limited;
    }
    const double rpm = static_cast<double>(served) / minutes;
    qInfo("pool: %lld served in %.2f min = %.1f rpm of 240 (%.1f%%), %lld x 429; callers got %d "
          "answers, %d not 200",
          static_cast<long long>(served), minutes, rpm, rpm / 2.4,
          static_cast<long long>(rateLimited), answered, notOk);
    QCOMPARE(rateLimited, 0);
    QCOMPARE(notOk, 0);
    QVERIFY2(rpm >= 0.95 * 240, qPrintable(QString::number(rpm)));
    // The gateway's own figures agree: per-key requests, no 429 on any key.
    const QJsonObject stats = gateway.statsJson();
    const QJsonArray poolKeys = stats.value(QStringLiteral("keys")).toArray();
    QCOMPARE(poolKeys.size(), 4);
    for (const QJsonValue& k : poolKeys) {
        QCOMPARE(k[QStringLiteral("rate_limited")].toInt(), 0);
        QCOMPARE(k[QStringLiteral("limit_requests")].toInt(), 60);
        QVERIFY(k[QStringLiteral("key")].toString().startsWith(QLatin1String("sk-...")));
    }
    QCOMPARE(stats.value(QStringLiteral("key_pool"))[QStringLiteral("limit_rpm")].toInt(), 240);
}

void TestGatewayKeys::revokedKeyIsRetiredWithAnAlarm() {
    MockServer mock(perKeyMock(0));
    QVERIFY(mock.listen());
    const QList<QByteArray> keys = kKeys.mid(0, 3);
    mock.revokeKey(keys[1]);
    GatewayServer gateway(poolGateway(mock, keys));
    QVERIFY(gateway.listen().ok());
    QSignalSpy alarms(&gateway, &GatewayServer::alarm);

    QNetworkAccessManager nam;
    QNetworkRequest eventsRequest(url(gateway, "/admin/events"));
    QNetworkReply* events = nam.get(eventsRequest);
    QByteArray eventBytes;
    connect(events, &QNetworkReply::readyRead, this, [&] { eventBytes += events->readAll(); });
    QVERIFY(test::runUntil([&] { return eventBytes.contains("request states"); }, 5000));

    // Every caller is answered 200: the one whose attempt met the revoked key goes again on
    // another key.
    for (int i = 0; i < 12; ++i) {
        const test::Response r =
            test::post(nam, url(gateway, "/v1/chat/completions"), test::chatBody(), i % 4);
        QCOMPARE(r.status, 200);
    }
    QCOMPARE(alarms.count(), 1);
    const QString alarm = alarms.at(0).at(0).toString();
    QVERIFY2(alarm.contains(maskKey(keys[1])), qPrintable(alarm));
    QVERIFY(!alarm.contains(QString::fromLatin1(keys[1])));
    QVERIFY(test::runUntil([&] { return eventBytes.contains("event: alarm"); }, 5000));
    QVERIFY(eventBytes.contains(maskKey(keys[1]).toUtf8()));
    QVERIFY(!eventBytes.contains(keys[1]));

    // The mock saw the revoked key once; the others carried everything.
    const QMap<QString, QJsonObject> seen = perKey(mock);
    QCOMPARE(seen.value(maskKey(keys[1]))[QStringLiteral("unauthorized")].toInt(), 1);
    QCOMPARE(seen.value(maskKey(keys[1]))[QStringLiteral("requests")].toInt(), 1);
    QCOMPARE(seen.value(maskKey(keys[0]))[QStringLiteral("served")].toInt() +
                 seen.value(maskKey(keys[2]))[QStringLiteral("served")].toInt(),
             12);

    const QJsonObject stats = gateway.statsJson();
    const QJsonArray poolKeys = stats.value(QStringLiteral("keys")).toArray();
    QVERIFY(poolKeys.at(1)[QStringLiteral("retired")].toBool());
    QVERIFY(!poolKeys.at(0)[QStringLiteral("retired")].toBool());
    QCOMPARE(stats.value(QStringLiteral("key_pool"))[QStringLiteral("live")].toInt(), 2);
    QCOMPARE(stats.value(QStringLiteral("alarms")).toArray().size(), 1);
    const test::Response metrics = test::get(nam, url(gateway, "/metrics"));
    QVERIFY(
        metrics.body.contains("sluice_key_retired{key=\"" + maskKey(keys[1]).toUtf8() + "\"} 1"));
    QVERIFY(!metrics.body.contains("sk-pool-key"));
    events->abort();
}

QTEST_GUILESS_MAIN(TestGatewayKeys)
#include "tst_gatewaykeys.moc"
