// How the native HTTP/1.1 client keeps its connections: one reused for requests in turn, a
// new one when the server closed an idle one, the idle cap under each event loop, and the idle
// timeout; the server's own count of connections where it has one.

#include "core/host/workerthread.h"
#include "core/net/http1pool.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/httptestclient.h"
#include "tests/support/mockfixture.h"
#include "tests/support/mockserverfixture.h"
#include "tests/support/scriptserver.h"

#include <QElapsedTimer>
#include <QTcpSocket>
#include <QTest>

#include <atomic>
#include <vector>

using namespace sluice;
using sluice::test::ScriptServer;

class TestHttp1Pool : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void keepAliveReusesOneConnection();
    void idleConnectionClosedByServerIsRetried();
    void twoHundredConcurrentRequests();
    void keepsEveryIdleConnectionUnderEpoll();
    void idleConnectionsCloseAfterTheTimeout();
};

void TestHttp1Pool::keepAliveReusesOneConnection() {
    MockServer mock(test::unlimitedMock(0, 0, 3));
    QVERIFY(mock.listen());
    Http1Pool pool;
    const QUrl url(mock.baseUrl().toString() + QStringLiteral("/v1/chat/completions"));
    for (int i = 0; i < 10; ++i) {
        const test::Response r =
            test::waitFor(pool.send(test::jsonRequest(url), "POST", test::chatBody()));
        QCOMPARE(r.error, QNetworkReply::NoError);
        QCOMPARE(r.status, 200);
        QVERIFY(r.json().contains(QStringLiteral("choices")));
    }
    QCOMPARE(mock.http().connectionsAccepted(), qint64(1));
    QCOMPARE(pool.connectionsOpened(), qint64(1));
}

void TestHttp1Pool::idleConnectionClosedByServerIsRetried() {
    // The first connection answers once, then closes on the next request without a byte.
    ScriptServer server([](QTcpSocket* s, int connection, int request) {
        if (connection == 0 && request == 1) {
            s->abort();
            return;
        }
        s->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    QVERIFY(server.listen());
    Http1Pool pool;
    for (int i = 0; i < 2; ++i) {
        const test::Response r =
            test::waitFor(pool.send(test::jsonRequest(server.url()), "POST", "{}"));
        QCOMPARE(r.error, QNetworkReply::NoError);
        QCOMPARE(r.body, QByteArray("ok"));
    }
    QCOMPARE(server.connections(), 2);
}

void TestHttp1Pool::twoHundredConcurrentRequests() {
    MockServer mock(test::unlimitedMock(50, 0, 2));
    QVERIFY(mock.listen());
    Http1Pool pool;
    const QUrl url(mock.baseUrl().toString() + QStringLiteral("/v1/chat/completions"));
    int ok = 0;
    int done = 0;
    for (int i = 0; i < 200; ++i) {
        QNetworkReply* reply = pool.send(test::jsonRequest(url), "POST", test::chatBody());
        QObject::connect(reply, &QNetworkReply::finished, this, [&ok, &done, reply] {
            ok += reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
            ++done;
            reply->deleteLater();
        });
    }
    QVERIFY(test::runUntil([&] { return done == 200; }, 20000));
    QCOMPARE(ok, 200);
    QCOMPARE(pool.connectionsOpened(), qint64(200));
    // All two hundred went back idle: the pool kept the most recently used kMaxIdle.
    QCOMPARE(pool.connectionsOpen(), static_cast<int>(Http1Pool::kMaxIdle));
}

void TestHttp1Pool::keepsEveryIdleConnectionUnderEpoll() {
    // The same two hundred, from a thread whose event loop is EpollDispatcher (the gateway's
    // and the benchmark's): every connection stays for the next burst.
    MockServer mock(test::unlimitedMock(50, 0, 2));
    QVERIFY(mock.listen());
    const QUrl url(mock.baseUrl().toString() + QStringLiteral("/v1/chat/completions"));
    std::atomic<int> ok{0};
    std::atomic<int> done{0};
    std::atomic<int> open{-1};
    std::atomic<qint64> opened{-1};
    std::atomic<std::size_t> cap{0};
    {
        WorkerThread worker(QStringLiteral("pool"), WorkerThread::Loop::Epoll);
        worker.post([&, context = worker.context()] {
            auto* pool = new Http1Pool(context);
            for (int i = 0; i < 200; ++i) {
                QNetworkReply* reply = pool->send(test::jsonRequest(url), "POST", test::chatBody());
                QObject::connect(reply, &QNetworkReply::finished, context, [&, pool, reply] {
                    ok += reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
                    reply->deleteLater();
                    if (++done == 200) {
                        // Released before finished() is emitted: all two hundred are idle.
                        open = pool->connectionsOpen();
                        opened = pool->connectionsOpened();
                        cap = pool->maxIdle();
                    }
                });
            }
        });
        QVERIFY(test::runUntil([&] { return open.load() >= 0; }, 20000));
    }
    QCOMPARE(ok.load(), 200);
    QCOMPARE(cap.load(), Http1Pool::kMaxIdleEpoll);
    QCOMPARE(opened.load(), qint64(200));
    QCOMPARE(open.load(), 200);
}

void TestHttp1Pool::idleConnectionsCloseAfterTheTimeout() {
    MockServer mock(test::unlimitedMock(0, 0, 1));
    QVERIFY(mock.listen());
    Http1Pool pool;
    pool.setIdleTimeout(300);
    const QUrl url(mock.baseUrl().toString() + QStringLiteral("/v1/chat/completions"));
    std::vector<QNetworkReply*> replies;
    for (int i = 0; i < 3; ++i) {
        replies.push_back(pool.send(test::jsonRequest(url), "POST", test::chatBody()));
    }
    QElapsedTimer idle;
    for (QNetworkReply* reply : replies) {
        QCOMPARE(test::waitFor(reply).status, 200);
    }
    idle.start();
    QCOMPARE(pool.connectionsOpen(), 3); // all three idle now
    QTRY_COMPARE_WITH_TIMEOUT(pool.connectionsOpen(), 0, 5000);
    QVERIFY2(idle.elapsed() >= 200, qPrintable(QString::number(idle.elapsed()))); // not before
    // Really closed: the next request opens a fourth.
    QCOMPARE(test::waitFor(pool.send(test::jsonRequest(url), "POST", test::chatBody())).status,
             200);
    QCOMPARE(pool.connectionsOpened(), qint64(4));
    QCOMPARE(mock.http().connectionsAccepted(), qint64(4));
}

QTEST_GUILESS_MAIN(TestHttp1Pool)
#include "tst_http1pool.moc"
