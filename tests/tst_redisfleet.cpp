// Shared limits across whole processes: four `sluice gateway --redis` processes in front of one
// mock, a real redis-server. The mock runs on a thread of its own and notes the time and token
// cost of every request it admits (its `charged` signal), so the windows are counted where a
// provider counts them, server side.
//
// Scaled windows: the gateways limit per minute (pacing at limit/(60 s + 0.6 s of margin) with
// no burst), so any 6 s window at the mock must hold at most a tenth of the per-minute limit.
// That is stricter than the minute itself (the margin in a tenth of the window is a tenth), and
// it keeps each case to a few seconds.
#include "core/server/mock/mockserver.h"
#include "tests/support/gatewayprocess.h"
#include "tests/support/httptestclient.h"
#include "tests/support/redisserver.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QMutex>
#include <QNetworkReply>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <vector>

using namespace sluice;

namespace {

constexpr int kGateways = 4;
constexpr qint64 kWindowUs = 6'000'000; // a tenth of the minute the gateways limit
constexpr int kRpm = 3000;              // so 300 requests in any window
constexpr int kTpm = 600'000;           // so 60,000 tokens in any window

/// The mock on a thread of its own: arrival times do not wait for this thread's load and
/// polling. Records every admitted request (microseconds since construction, tokens charged).
class ThreadedMock {
public:
    explicit ThreadedMock(const MockConfig& config) {
        m_clock.start();
        m_thread.start();
        m_context.moveToThread(&m_thread);
        QMetaObject::invokeMethod(
            &m_context,
            [this, config] {
                m_mock = new MockServer(config);
                QObject::connect(
                    m_mock, &MockServer::charged, m_mock,
                    [this](std::int64_t tokens) {
                        const QMutexLocker lock(&m_mutex);
                        m_events.push_back({m_clock.nsecsElapsed() / 1000, tokens});
                    },
                    Qt::DirectConnection);
                if (m_mock->listen()) {
                    m_baseUrl = m_mock->baseUrl().toString();
                }
            },
            Qt::BlockingQueuedConnection);
    }
    ~ThreadedMock() {
        QMetaObject::invokeMethod(
            &m_context, [this] { delete m_mock; }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    bool listening() const { return !m_baseUrl.isEmpty(); }
    QString upstream() const { return m_baseUrl + QStringLiteral("/v1"); }
    qint64 nowUs() const { return m_clock.nsecsElapsed() / 1000; }

    struct Event {
        qint64 atUs;
        std::int64_t tokens;
    };
    std::vector<Event> events() const {
        const QMutexLocker lock(&m_mutex);
        return m_events;
    }
    /// Requests that arrived in [fromUs, toUs).
    qint64 arrivalsBetween(qint64 fromUs, qint64 toUs) const {
        const auto all = events();
        return std::count_if(all.begin(), all.end(),
                             [&](const Event& e) { return e.atUs >= fromUs && e.atUs < toUs; });
    }

private:
    QElapsedTimer m_clock;
    QThread m_thread;
    QObject m_context;
    MockServer* m_mock = nullptr; // lives in m_thread
    QString m_baseUrl;
    mutable QMutex m_mutex;
    std::vector<Event> m_events;
};

/// The busiest window of kWindowUs anywhere, and the leanest one lying wholly in [fromUs, toUs),
/// in requests or tokens. Each window starts at an arrival (where the busiest one starts).
struct Windows {
    qint64 busiest = 0;
    qint64 leanest = std::numeric_limits<qint64>::max();
};
Windows windowsOf(const std::vector<ThreadedMock::Event>& events, bool tokens, qint64 fromUs,
                  qint64 toUs) {
    Windows w;
    std::size_t end = 0;
    qint64 sum = 0;
    for (std::size_t begin = 0; begin < events.size(); ++begin) {
        while (end < events.size() && events[end].atUs < events[begin].atUs + kWindowUs) {
            sum += tokens ? events[end].tokens : 1;
            ++end;
        }
        w.busiest = std::max(w.busiest, sum);
        if (events[begin].atUs >= fromUs && events[begin].atUs + kWindowUs <= toUs) {
            w.leanest = std::min(w.leanest, sum);
        }
        sum -= tokens ? events[begin].tokens : 1;
    }
    return w;
}

/// Keeps `depth` requests outstanding at every gateway until stop().
class Load final : public QObject {
public:
    Load(const std::array<quint16, kGateways>& ports, QByteArray body, int depth)
        : m_body(std::move(body)) {
        for (quint16 port : ports) {
            for (int i = 0; i < depth; ++i) {
                send(QUrl(QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(port)),
                     i % 2);
            }
        }
    }
    /// Sends no more; true once every request out has ended (within `timeoutMs`).
    bool stop(int timeoutMs) {
        m_running = false;
        return test::runUntil([this] { return m_outstanding == 0; }, timeoutMs);
    }
    int ok = 0;
    int failed = 0;

private:
    void send(const QUrl& url, int pool) {
        ++m_outstanding;
        QNetworkReply* reply = m_nam.post(test::jsonRequest(url, pool), m_body);
        connect(reply, &QNetworkReply::finished, this, [this, reply, url, pool] {
            --m_outstanding;
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            (status == 200 ? ok : failed) += 1;
            reply->deleteLater();
            if (m_running) {
                send(url, pool);
            }
        });
    }
    QNetworkAccessManager m_nam;
    QByteArray m_body;
    bool m_running = true;
    int m_outstanding = 0;
};

MockConfig fastMock() {
    MockConfig m;
    m.rpm = 0; // the mock only counts: the gateways alone must hold the limit
    m.tpm = 0;
    m.capacity = 1000;
    m.ttftMs = 0;
    m.tpotMs = 0;
    m.tokensMin = m.tokensMax = 5;
    return m;
}

} // namespace

class TestRedisFleet final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void cleanup() {
        for (QProcess& g : m_gateways) {
            (void)test::stopGateway(g);
        }
    }
    void fourGatewaysShareOneRpm_data();
    void fourGatewaysShareOneRpm();
    void fourGatewaysShareOneTpmWithLongAnswers();
    void redisKilledMidRun_data();
    void redisKilledMidRun();

private:
    bool startFleet(const ThreadedMock& mock, const QStringList& flags) {
        for (int i = 0; i < kGateways; ++i) {
            m_ports[i] = test::startGateway(m_gateways[i], mock.upstream(), flags);
            if (m_ports[i] == 0) {
                return false;
            }
        }
        return true;
    }
    void stopFleet() {
        for (QProcess& g : m_gateways) {
            QVERIFY(test::stopGateway(g));
        }
    }
    QJsonObject shared(int gateway) {
        const test::Response r = test::get(
            m_admin, QUrl(QStringLiteral("http://127.0.0.1:%1/admin/stats").arg(m_ports[gateway])));
        return r.json().value(QStringLiteral("shared")).toObject();
    }
    QByteArray metrics(int gateway) {
        return test::get(m_admin,
                         QUrl(QStringLiteral("http://127.0.0.1:%1/metrics").arg(m_ports[gateway])))
            .body;
    }
    /// Runs the event loop for `ms` (the load goes on meanwhile).
    static void runFor(int ms) {
        QElapsedTimer t;
        t.start();
        test::runUntil([&] { return t.elapsed() >= ms; }, ms + 1000);
    }
    /// Polls every gateway's /admin/stats until each says `alarm`; the slowest one's latency
    /// in ms since `sinceUs` on the mock's clock, or -1 when one did not within `timeoutMs`.
    qint64 waitForAlarm(const ThreadedMock& mock, qint64 sinceUs, bool alarm, int timeoutMs) {
        std::array<bool, kGateways> seen{};
        qint64 latestUs = -1;
        const bool all = test::runUntil(
            [&] {
                for (int i = 0; i < kGateways; ++i) {
                    if (!seen[i] && shared(i).value(QStringLiteral("alarm")).toBool() == alarm) {
                        seen[i] = true;
                        latestUs = mock.nowUs();
                    }
                }
                return std::all_of(seen.begin(), seen.end(), [](bool s) { return s; });
            },
            timeoutMs);
        return all ? (latestUs - sinceUs) / 1000 : -1;
    }

    QProcess m_gateways[kGateways];
    std::array<quint16, kGateways> m_ports{};
    QNetworkAccessManager m_admin; // its own connections, never queued behind the load
};

void TestRedisFleet::fourGatewaysShareOneRpm_data() {
    QTest::addColumn<bool>("scripts");
    QTest::newRow("scripted") << true;
    QTest::newRow("script-free") << false;
}

// 3000 rpm for the whole fleet, each gateway offered far more: no 6 s window at the mock over
// 300, and every window of the steady run at 97 % of it or more; with EVAL/EVALSHA renamed away
// the gateways switch to WATCH/MULTI and say so.
void TestRedisFleet::fourGatewaysShareOneRpm() {
    QFETCH(bool, scripts);
    SKIP_WITHOUT_REDIS();
    RedisServer redis(scripts ? QStringList() : RedisServer::withoutScripts());
    QVERIFY(redis.start());
    ThreadedMock mock(fastMock());
    QVERIFY(mock.listening());
    QVERIFY(startFleet(mock, {QStringLiteral("--rpm"), QString::number(kRpm),
                              QStringLiteral("--redis"), redis.url()}));
    const qint64 startUs = mock.nowUs();
    Load load(m_ports, test::chatBody(), 8);
    runFor(7500);
    const qint64 endUs = mock.nowUs();
    QVERIFY(load.stop(5000));
    const Windows w = windowsOf(mock.events(), false, startUs + 500'000, endUs);
    const int limit = kRpm / 10;
    qInfo("%s: busiest 6 s window %lld of %d, leanest in the steady run %lld (%.1f %%); %d ok",
          scripts ? "scripted" : "script-free", w.busiest, limit, w.leanest,
          100.0 * static_cast<double>(w.leanest) / limit, load.ok);
    QVERIFY2(w.busiest <= limit, qPrintable(QString::number(w.busiest)));
    QVERIFY2(w.leanest >= limit * 97 / 100, qPrintable(QString::number(w.leanest)));
    QCOMPARE(load.failed, 0);
    for (int i = 0; i < kGateways; ++i) {
        const QJsonObject s = shared(i);
        QCOMPARE(s.value(QStringLiteral("mode")).toString(),
                 scripts ? QStringLiteral("scripted") : QStringLiteral("script-free"));
        QCOMPARE(s.value(QStringLiteral("processes")).toInt(), kGateways);
        if (!scripts) {
            QVERIFY2(
                s.value(QStringLiteral("mode_reason")).toString().contains(QLatin1String("EVAL")),
                qPrintable(s.value(QStringLiteral("mode_reason")).toString()));
            QVERIFY(metrics(i).contains("\nsluice_shared_script_free 1\n"));
        }
    }
    stopFleet();
}

// 600,000 tpm for the whole fleet, answers of 100-180 tokens that take 250 ms each (the
// reservation, 200 + prompt, is reconciled when they end): no 6 s window over 60,000 tokens at
// the mock, every window of the steady run at 95 % of it or more. A tenth of the minute has a
// tenth of its margin (~600 tokens): a reservation must stay well under that, as a real one
// stays under a real minute's.
void TestRedisFleet::fourGatewaysShareOneTpmWithLongAnswers() {
    SKIP_WITHOUT_REDIS();
    RedisServer redis;
    QVERIFY(redis.start());
    MockConfig m = fastMock();
    m.ttftMs = 250; // the whole answer after 250 ms: reservations stay out that long
    m.tokensMin = 100;
    m.tokensMax = 180;
    ThreadedMock mock(m);
    QVERIFY(mock.listening());
    QVERIFY(startFleet(mock, {QStringLiteral("--tpm"), QString::number(kTpm),
                              QStringLiteral("--redis"), redis.url()}));
    const qint64 startUs = mock.nowUs();
    Load load(m_ports, test::chatBody(QStringLiteral("Hello there"), false, 200), 8);
    runFor(8000);
    const qint64 endUs = mock.nowUs();
    QVERIFY(load.stop(10000));
    const Windows w = windowsOf(mock.events(), true, startUs + 1'000'000, endUs);
    const int limit = kTpm / 10;
    qInfo("busiest 6 s window %lld tokens of %d, leanest in the steady run %lld (%.1f %%); %d ok",
          w.busiest, limit, w.leanest, 100.0 * static_cast<double>(w.leanest) / limit, load.ok);
    QVERIFY2(w.busiest <= limit, qPrintable(QString::number(w.busiest)));
    QVERIFY2(w.leanest >= limit * 95 / 100, qPrintable(QString::number(w.leanest)));
    QCOMPARE(load.failed, 0);
    stopFleet();
}

void TestRedisFleet::redisKilledMidRun_data() {
    QTest::addColumn<QString>("policy");
    QTest::newRow("closed") << QStringLiteral("closed");
    QTest::newRow("split") << QStringLiteral("split");
}

// Redis killed under load: every gateway raises the alarm within 1 s (stats and metrics);
// `closed` sends nothing to the mock until Redis is back, `split` keeps the fleet at or under
// the limit (each gateway at a quarter); Redis restarted on the same port: shared again, with
// no gateway restarted, and no window over the limit across the whole run.
void TestRedisFleet::redisKilledMidRun() {
    QFETCH(QString, policy);
    SKIP_WITHOUT_REDIS();
    RedisServer redis;
    QVERIFY(redis.start());
    ThreadedMock mock(fastMock());
    QVERIFY(mock.listening());
    QVERIFY(
        startFleet(mock, {QStringLiteral("--rpm"), QString::number(kRpm), QStringLiteral("--redis"),
                          redis.url(), QStringLiteral("--redis-policy"), policy}));
    Load load(m_ports, test::chatBody(), 8);
    runFor(1500);

    const qint64 killedUs = mock.nowUs();
    redis.kill();
    const qint64 alarmMs = waitForAlarm(mock, killedUs, true, 3000);
    qInfo("%s: every gateway's /admin/stats had the alarm %lld ms after the kill",
          qPrintable(policy), alarmMs);
    QVERIFY(alarmMs >= 0 && alarmMs <= 1000);
    for (int i = 0; i < kGateways; ++i) {
        QVERIFY(metrics(i).contains("sluice_shared_alarm{policy=\"" + policy.toLatin1() + "\"} 1"));
        QCOMPARE(shared(i).value(QStringLiteral("policy")).toString(), policy);
    }
    runFor(policy == QLatin1String("split") ? 3000 : 1500);

    const qint64 restartUs = mock.nowUs();
    QVERIFY(redis.start());
    const qint64 backMs = waitForAlarm(mock, restartUs, false, 5000);
    qInfo("%s: every gateway shared again %lld ms after Redis restarted", qPrintable(policy),
          backMs);
    QVERIFY(backMs >= 0);
    const qint64 downSent = mock.arrivalsBetween(killedUs, restartUs);
    const qint64 afterKillSent = mock.arrivalsBetween(killedUs + 100'000, restartUs);
    runFor(1500);
    const qint64 endUs = mock.nowUs();
    QVERIFY(load.stop(5000));
    const qint64 afterSent = mock.arrivalsBetween(restartUs, endUs);
    const Windows w = windowsOf(mock.events(), false, 0, 0);
    qInfo("%s: %lld sent while Redis was down (%lld after the first 100 ms), %lld after it "
          "returned; busiest 6 s window %d of %d",
          qPrintable(policy), downSent, afterKillSent, afterSent, int(w.busiest), kRpm / 10);
    if (policy == QLatin1String("closed")) {
        QCOMPARE(afterKillSent, 0);
    } else {
        // Each gateway at a quarter of the limit: about 3 s x 50/s, never more.
        const double downS = static_cast<double>(restartUs - killedUs) / 1e6;
        QVERIFY2(afterKillSent > 0 && afterKillSent <= downS * kRpm / 60 + kGateways,
                 qPrintable(QString::number(afterKillSent)));
    }
    QVERIFY2(afterSent > 0, "nothing sent once Redis was back");
    QVERIFY2(w.busiest <= kRpm / 10, qPrintable(QString::number(w.busiest)));
    QCOMPARE(load.failed, 0);
    for (int i = 0; i < kGateways; ++i) {
        const QJsonObject s = shared(i);
        QCOMPARE(s.value(QStringLiteral("connected")).toBool(), true);
        QCOMPARE(s.value(QStringLiteral("alarm")).toBool(), false);
        QVERIFY(s.value(QStringLiteral("alarms")).toInt() >= 1);
        QVERIFY(metrics(i).contains("sluice_shared_alarm{policy=\"" + policy.toLatin1() + "\"} 0"));
    }
    stopFleet();
}

QTEST_GUILESS_MAIN(TestRedisFleet)
#include "tst_redisfleet.moc"
