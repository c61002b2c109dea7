// One queue order across whole processes: two `sluice gateway --redis` processes sharing one
// rpm, requests sent to them in turn at three times that rate. A recorder upstream notes the
// order requests reach it (each carries its send sequence in a header); the test measures how
// far any request was overtaken by one sent after it.
#include "core/server/httpresponder.h"
#include "core/server/httpserver.h"
#include "tests/support/gatewayprocess.h"
#include "tests/support/httptestclient.h"
#include "tests/support/redisserver.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QTest>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <vector>

using namespace sluice;

namespace {

constexpr int kRpm = 1200;      // 20 a second for the fleet
constexpr int kSendPerSec = 60; // three times that
constexpr int kRequests = 180;  // 3 s of sending, ~9 s to serve

QByteArray completion() {
    return QByteArrayLiteral(
        R"({"id":"chatcmpl-1","object":"chat.completion","model":"m","choices":[{"index":0,)"
        R"("message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],)"
        R"("usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}})");
}

/// Where each of two gateways says the fleet's waiting requests are.
struct PositionAgreement {
    int compared = 0; ///< requests both placed
    int equal = 0;    ///< ... at the same place
    int worst = 0;    ///< the most places apart
    int missing = 0;  ///< waiting a while at one gateway, unknown to the other
    int held = 0;     ///< compared while still in its own gateway's queue (not at the gate)
    int unplaced = 0; ///< placed in the fleet by one, only among its gateway's by the other

    void compare(const QJsonArray& first, const QJsonArray& second) {
        const std::map<double, QJsonObject> a = byId(first);
        const std::map<double, QJsonObject> b = byId(second);
        for (const auto& [id, one] : a) {
            const auto other = b.find(id);
            if (other == b.end()) {
                // Only a request its own gateway (no as_of_ms) has held for a second must be
                // known to the other.
                missing += !one.contains(QStringLiteral("as_of_ms")) &&
                                   one.value(QStringLiteral("age_ms")).toDouble() > 1000
                               ? 1
                               : 0;
                continue;
            }
            const QJsonValue x = one.value(QStringLiteral("ahead"));
            const QJsonValue y = other->second.value(QStringLiteral("ahead"));
            if (!x.isDouble() || !y.isDouble()) {
                continue;
            }
            // Places that count different things (the fleet's requests, or only its gateway's
            // while the fleet's order is not known there) are not compared, only counted.
            const QString scope = one.value(QStringLiteral("ahead_scope")).toString();
            if (scope != other->second.value(QStringLiteral("ahead_scope")).toString() ||
                scope != QLatin1String("fleet")) {
                ++unplaced;
                continue;
            }
            const int apart = std::abs(x.toInt() - y.toInt());
            ++compared;
            held += one.value(QStringLiteral("at_shared_gate")).toBool(true) ? 0 : 1;
            equal += apart == 0 ? 1 : 0;
            worst = std::max(worst, apart);
        }
    }

    static std::map<double, QJsonObject> byId(const QJsonArray& list) {
        std::map<double, QJsonObject> out;
        for (const QJsonValue& v : list) {
            out.emplace(v[QStringLiteral("id")].toDouble(), v.toObject());
        }
        return out;
    }
};

} // namespace

class TestRedisOrder final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void cleanup() {
        for (QProcess& g : m_gateways) {
            (void)test::stopGateway(g);
        }
    }

    void twoGatewaysServeInArrivalOrder() {
        SKIP_WITHOUT_REDIS();
        RedisServer redis;
        QVERIFY(redis.start());
        std::vector<int> seen; // send sequences, in the order they reached the upstream
        HttpServer recorder([&seen](const HttpRequest& request, HttpResponder* responder) {
            bool ok = false;
            const int seq = request.header("x-test-seq").toInt(&ok);
            if (ok) {
                seen.push_back(seq);
            }
            responder->respond(200, {{"content-type", "application/json"}}, completion());
        });
        QVERIFY(recorder.listen(QHostAddress::LocalHost, 0));
        const QString upstream =
            QStringLiteral("http://127.0.0.1:%1/v1").arg(recorder.serverPort());
        std::array<quint16, 2> ports{};
        for (int i = 0; i < 2; ++i) {
            ports[i] = test::startGateway(m_gateways[i], upstream,
                                          {QStringLiteral("--rpm"), QString::number(kRpm),
                                           QStringLiteral("--redis"), redis.url()});
            QVERIFY(ports[i] != 0);
        }

        QNetworkAccessManager nam;
        int sent = 0;
        int ok = 0;
        int failed = 0;
        QTimer pace;
        pace.setTimerType(Qt::PreciseTimer);
        pace.setInterval(1000 / kSendPerSec);
        QObject::connect(&pace, &QTimer::timeout, &nam, [&] {
            if (sent == kRequests) {
                pace.stop();
                return;
            }
            const int seq = sent++;
            const QUrl url(
                QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(ports[seq % 2]));
            // Many connection pools: every request reaches its gateway when sent, none waits
            // in the client for a free connection.
            QNetworkRequest r = test::jsonRequest(url, seq % 48);
            r.setRawHeader("x-test-seq", QByteArray::number(seq));
            QNetworkReply* reply = nam.post(r, test::chatBody());
            QObject::connect(reply, &QNetworkReply::finished, &nam, [reply, &ok, &failed] {
                const int status =
                    reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                (status == 200 ? ok : failed) += 1;
                reply->deleteLater();
            });
        });
        // Meanwhile, both gateways are asked at the same moment where the waiting requests
        // are (each lists its own and the other's): the places they give are compared.
        PositionAgreement agreement;
        QTimer sampler;
        sampler.setInterval(200);
        int sampling = 0;
        std::array<QJsonArray, 2> lists;
        QObject::connect(&sampler, &QTimer::timeout, &nam, [&] {
            if (sampling > 0) {
                return;
            }
            sampling = 2;
            for (int i = 0; i < 2; ++i) {
                // A connection pool of its own: never behind a waiting completion.
                QNetworkReply* reply = nam.get(test::jsonRequest(
                    QUrl(QStringLiteral("http://127.0.0.1:%1/admin/requests?state=queued")
                             .arg(ports[i])),
                    100));
                QObject::connect(reply, &QNetworkReply::finished, &nam, [&, reply, i] {
                    lists[i] = QJsonDocument::fromJson(reply->readAll())
                                   .object()
                                   .value(QStringLiteral("requests"))
                                   .toArray();
                    reply->deleteLater();
                    if (--sampling == 0) {
                        agreement.compare(lists[0], lists[1]);
                    }
                });
            }
        });
        QElapsedTimer t;
        t.start();
        pace.start();
        sampler.start();
        QVERIFY(test::runUntil([&] { return ok + failed == kRequests; }, 30000));
        sampler.stop();
        const qint64 tookMs = t.elapsed();
        QCOMPARE(failed, 0);
        QCOMPARE(static_cast<int>(seen.size()), kRequests);

        // For each request: how many sent after it reached the upstream before it, and how far
        // after it the furthest of them was sent (in sequence numbers, 1000/60 ms apart).
        int worstCount = 0;
        int worstDistance = 0;
        int overtaken = 0;
        for (std::size_t i = 0; i < seen.size(); ++i) {
            int count = 0;
            int distance = 0;
            for (std::size_t j = 0; j < i; ++j) {
                if (seen[j] > seen[i]) {
                    ++count;
                    distance = std::max(distance, seen[j] - seen[i]);
                }
            }
            overtaken += count > 0 ? 1 : 0;
            worstCount = std::max(worstCount, count);
            worstDistance = std::max(worstDistance, distance);
        }
        qInfo("%d requests at %d/s to two gateways sharing %d rpm, served in %lld ms: %d "
              "overtaken by a later one; the worst by %d later requests, sent at most %d "
              "sequence numbers (%d ms) after it",
              kRequests, kSendPerSec, kRpm, static_cast<long long>(tookMs), overtaken, worstCount,
              worstDistance, worstDistance * 1000 / kSendPerSec);
        // Tolerance: requests sent within two send intervals (33 ms) of each other may swap
        // (the two gateways' clocks are read through Redis, and a request's arrival at its
        // gateway is the gateway's own); nothing further.
        QVERIFY2(worstDistance <= 2, qPrintable(QString::number(worstDistance)));

        qInfo("positions asked of both gateways at once: %d requests compared (%d of them still "
              "in their own gateway's queue), %d (%.0f %%) the same, the rest apart by at most "
              "%d places; %d not placed in the fleet by one of them",
              agreement.compared, agreement.held, agreement.equal,
              agreement.compared > 0 ? 100.0 * agreement.equal / agreement.compared : 0.0,
              agreement.worst, agreement.unplaced);
        // Every waiting request is known to both, and they agree within the admissions of half
        // a second (20 a second here): a gateway's word about its own requests reaches the
        // other within two tenths of a second, and each reads the others' places in the queue
        // every quarter of a second.
        QVERIFY(agreement.compared >= 50);
        QCOMPARE(agreement.missing, 0);
        // Requests still in their own gateway's queue are placed in the fleet as well, and
        // compared like the rest.
        QVERIFY(agreement.held > 0);
        QVERIFY2(agreement.unplaced <= agreement.compared / 50,
                 qPrintable(QString::number(agreement.unplaced)));
        QVERIFY2(agreement.worst <= kRpm / 60 / 2, qPrintable(QString::number(agreement.worst)));
        for (QProcess& g : m_gateways) {
            QVERIFY(test::stopGateway(g));
        }
    }

private:
    QProcess m_gateways[2];
};

QTEST_GUILESS_MAIN(TestRedisOrder)
#include "tst_redisorder.moc"
