// The native HTTP/1.1 client against the in-process mock and against raw TCP servers that
// answer exactly what a test scripts: bodies of every framing, events as they arrive, and each
// way a request can fail named as QNAM names it. How it keeps connections: tst_http1pool.

#include "core/engine/clock.h"
#include "core/net/clientpool.h"
#include "core/net/http1pool.h"
#include "core/net/http1reply.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/httptestclient.h"
#include "tests/support/mockfixture.h"
#include "tests/support/mockserverfixture.h"
#include "tests/support/scriptserver.h"
#include "tests/support/tlsfront.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

#include <functional>
#include <memory>
#include <vector>

using namespace sluice;
using sluice::test::ScriptServer;

namespace {

QNetworkRequest request(const QUrl& url) {
    return test::jsonRequest(url);
}

} // namespace

class TestHttp1Client : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void writesTheRequestAsAsked();
    void streamedEventsArriveOneByOne();
    void arrivalIsTheKernelsStampNotOurRead();
    void noStampsWhenTurnedOff();
    void startQueuedWritesOnAnIdleConnectionAtOnce();
    void mockStampsWhenTheRequestArrived();
    void bodies_data();
    void bodies();
    void resetMidStreamDeliversWhatCameFirst();
    void refusedConnection();
    void abortFinishesAtOnce();
    void transferTimeout();
    void garbageIsAProtocolFailure();
    void clientPoolPicksTheClient();
    void httpsStreamsThroughTls();
    void untrustedCertificateFailsTheHandshake();
};

void TestHttp1Client::writesTheRequestAsAsked() {
    ScriptServer server([](QTcpSocket* s, int, int) {
        s->write("HTTP/1.1 204 No Content\r\nX-A: 1\r\nX-A: 2\r\n\r\n");
    });
    QVERIFY(server.listen());
    Http1Pool pool;
    QNetworkRequest rq(server.url(QStringLiteral("/v1/models?limit=2")));
    rq.setRawHeader("Authorization", "Bearer sk-test");
    const test::Response r = test::waitFor(pool.send(rq, "GET", {}));
    QCOMPARE(r.status, 204);
    QCOMPARE(r.header("x-a"), QByteArray("1, 2"));
    const QByteArray sent = server.lastRequest();
    QVERIFY2(sent.startsWith("GET /v1/models?limit=2 HTTP/1.1\r\n"), sent.constData());
    QVERIFY(sent.contains("\r\nHost: 127.0.0.1:"));
    QVERIFY(sent.contains("\r\nAuthorization: Bearer sk-test\r\n"));
    QVERIFY(!sent.toLower().contains("accept-encoding"));
}

void TestHttp1Client::streamedEventsArriveOneByOne() {
    MockConfig m = test::unlimitedMock(20, 60, 5);
    m.stamp = true;
    MockServer mock(m);
    QVERIFY(mock.listen());
    Http1Pool pool;
    QNetworkReply* reply =
        pool.send(request(QUrl(mock.baseUrl().toString() + QStringLiteral("/v1/chat/completions"))),
                  "POST", test::chatBody(QStringLiteral("hi"), true));
    std::vector<qint64> lateness; // our arrival minus the server's write stamp, per event
    test::collectLateness(reply, &lateness);
    const test::Response r = test::waitFor(reply);
    QCOMPARE(r.status, 200);
    // Each of five events 60 ms apart is read on its own, within milliseconds of its write.
    QCOMPARE(lateness.size(), std::size_t(5));
    for (const qint64 ns : lateness) {
        QVERIFY2(ns >= 0 && ns < 20'000'000, qPrintable(QString::number(ns)));
    }
}

void TestHttp1Client::arrivalIsTheKernelsStampNotOurRead() {
    // The server's answer reaches the kernel, then this thread is kept busy for 40 ms before it
    // can read (a loaded client): the reply says when the bytes arrived, not when we read them.
    constexpr qint64 kBusyNs = 40'000'000;
    bool busy = false;
    ScriptServer server([&](QTcpSocket* s, int, int) {
        s->write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        s->flush();
        QElapsedTimer spent;
        spent.start();
        while (busy && spent.nsecsElapsed() < kBusyNs) {
        }
    });
    QVERIFY(server.listen());
    Http1Pool pool;
    const auto send = [&](qint64* arrived, qint64* readAt) {
        auto* reply = qobject_cast<NativeReply*>(pool.send(request(server.url()), "POST", "{}"));
        QVERIFY(reply);
        connect(reply, &QNetworkReply::readyRead, reply, [=] {
            *arrived = reply->arrivedNs();
            *readAt = SteadyClock().now().count();
        });
        const test::Response r = test::waitFor(reply);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("hello"));
    };
    // Linux turns receive stamps on for the whole machine a moment after the first socket asks
    // (deferred work): answers on the kept-alive connection carry them once that is done.
    qint64 arrived = 0;
    qint64 readAt = 0;
    QElapsedTimer warming;
    warming.start();
    for (int i = 0; i < 2000 && arrived <= 0 && warming.elapsed() < 5000; ++i) {
        send(&arrived, &readAt);
    }
    QVERIFY2(arrived > 0, "no receive stamp on a plain-TCP reply");
    QCOMPARE(server.connections(), 1);
    busy = true;
    arrived = 0;
    send(&arrived, &readAt);
    QVERIFY(arrived > 0);
    const qint64 lag = readAt - arrived;
    QVERIFY2(lag >= kBusyNs * 3 / 4 && lag < 5 * kBusyNs, qPrintable(QString::number(lag)));
}

void TestHttp1Client::noStampsWhenTurnedOff() {
    // A proxy's pool: no peek per read, so no arrival stamp, while a default pool on the same
    // machine (stamps warmed up, as above) gets one on every answer.
    ScriptServer server([](QTcpSocket* s, int, int) {
        s->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    QVERIFY(server.listen());
    const auto arrivedOf = [&](Http1Pool& pool) -> qint64 {
        auto* reply = qobject_cast<NativeReply*>(pool.send(request(server.url()), "POST", "{}"));
        if (!reply) {
            return -1;
        }
        qint64 arrived = -1;
        connect(reply, &QNetworkReply::readyRead, reply, [&] { arrived = reply->arrivedNs(); });
        const test::Response r = test::waitFor(reply);
        return r.status == 200 ? arrived : -1;
    };
    Http1Pool stamped;
    qint64 arrived = 0;
    QElapsedTimer warming;
    warming.start();
    for (int i = 0; i < 2000 && arrived <= 0 && warming.elapsed() < 5000; ++i) {
        arrived = arrivedOf(stamped);
    }
    QVERIFY2(arrived > 0, "no receive stamp on a plain-TCP reply");
    Http1Pool plain;
    QVERIFY(plain.receiveStamps());
    plain.setReceiveStamps(false);
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(arrivedOf(plain), qint64(0));
        QVERIFY(arrivedOf(stamped) > 0);
    }
}

void TestHttp1Client::startQueuedWritesOnAnIdleConnectionAtOnce() {
    MockServer mock(test::unlimitedMock(0, 0, 3));
    QVERIFY(mock.listen());
    Http1Pool pool;
    const QUrl url(mock.baseUrl().toString() + QStringLiteral("/v1/chat/completions"));
    QCOMPARE(test::waitFor(pool.send(request(url), "POST", test::chatBody())).status, 200);
    // The connection is idle now. send() alone writes nothing before the next turn...
    QNetworkReply* reply = pool.send(request(url), "POST", test::chatBody());
    QSignalSpy sent(reply, &QNetworkReply::requestSent);
    QCOMPARE(sent.count(), 0);
    // ...startQueued() writes it before it returns, on the warm connection.
    pool.startQueued();
    QCOMPARE(sent.count(), 1);
    const test::Response r = test::waitFor(reply);
    QCOMPARE(r.status, 200);
    QCOMPARE(sent.count(), 1); // and the turn's own start did not send it again
    QCOMPARE(pool.connectionsOpened(), qint64(1));
    QCOMPARE(mock.statsJson()[QStringLiteral("requests")].toInt(), 2);
}

void TestHttp1Client::mockStampsWhenTheRequestArrived() {
    // The request reaches the mock's kernel, then the (shared) thread is kept busy for 40 ms
    // before the mock reads it: its stamped events say the request arrived before that wait, so
    // the server's own TTFT (first event's x_sent_ns - x_arrived_ns) includes it.
    constexpr qint64 kBusyNs = 40'000'000;
    MockConfig m = test::unlimitedMock(0, 0, 2);
    m.stamp = true;
    MockServer mock(m);
    QVERIFY(mock.listen());
    Http1Pool pool;
    const QUrl chat(mock.baseUrl().toString() + QStringLiteral("/v1/chat/completions"));
    // Linux turns receive stamps on a moment after the first socket asks (deferred work); a
    // request that arrives before that is stamped when it is read.
    qint64 serverTtft = 0;
    QElapsedTimer trying;
    trying.start();
    for (int i = 0; i < 100 && serverTtft < kBusyNs * 3 / 4 && trying.elapsed() < 5000; ++i) {
        QNetworkReply* reply =
            pool.send(request(chat), "POST", test::chatBody(QStringLiteral("hi"), true));
        connect(reply, &QNetworkReply::requestSent, reply, [] {
            QElapsedTimer busy;
            busy.start();
            while (busy.nsecsElapsed() < kBusyNs) {
            }
        });
        const test::Response r = test::waitFor(reply);
        QCOMPARE(r.status, 200);
        const auto field = [&](const char* name) {
            const QByteArray key = QByteArray("\"") + name + "\":";
            const qsizetype at = r.body.indexOf(key) + key.size();
            return r.body.mid(at, r.body.indexOf(',', at) - at).toLongLong();
        };
        QVERIFY(r.body.contains("x_arrived_ns"));
        serverTtft = field("x_sent_ns") - field("x_arrived_ns");
        QVERIFY2(serverTtft >= 0, qPrintable(QString::number(serverTtft)));
    }
    QVERIFY2(serverTtft >= kBusyNs * 3 / 4, qPrintable(QString::number(serverTtft)));
}

void TestHttp1Client::bodies_data() {
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<bool>("closeAfter");
    QTest::newRow("content-length")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello") << false;
    QTest::newRow("chunked") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                           "2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n")
                             << false;
    QTest::newRow("until close") << QByteArray("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello")
                                 << true;
    QTest::newRow("http/1.0") << QByteArray("HTTP/1.0 200 OK\r\n\r\nhello") << true;
}

void TestHttp1Client::bodies() {
    QFETCH(QByteArray, answer);
    QFETCH(bool, closeAfter);
    ScriptServer server([&](QTcpSocket* s, int, int) {
        s->write(answer);
        if (closeAfter) {
            s->disconnectFromHost();
        }
    });
    QVERIFY(server.listen());
    Http1Pool pool;
    for (int i = 0; i < 2; ++i) {
        const test::Response r = test::waitFor(pool.send(request(server.url()), "POST", "{}"));
        QCOMPARE(r.error, QNetworkReply::NoError);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("hello"));
    }
    QCOMPARE(server.connections(), closeAfter ? 2 : 1);
}

void TestHttp1Client::resetMidStreamDeliversWhatCameFirst() {
    ScriptServer server([](QTcpSocket* s, int, int) {
        s->write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\ndata: a\n\n\r\n");
        s->flush();
        s->abort();
    });
    QVERIFY(server.listen());
    Http1Pool pool;
    const test::Response r = test::waitFor(pool.send(request(server.url()), "POST", "{}"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.error, QNetworkReply::RemoteHostClosedError);
    QCOMPARE(r.body, QByteArray("data: a\n\n"));
}

void TestHttp1Client::refusedConnection() {
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost));
    const quint16 port = closed.serverPort();
    closed.close();
    Http1Pool pool;
    const test::Response r = test::waitFor(
        pool.send(request(QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(port))), "POST", "{}"));
    QCOMPARE(r.error, QNetworkReply::ConnectionRefusedError);
    QCOMPARE(r.status, 0);
}

void TestHttp1Client::abortFinishesAtOnce() {
    MockServer mock(test::unlimitedMock(5000, 0, 1));
    QVERIFY(mock.listen());
    Http1Pool pool;
    QNetworkReply* reply =
        pool.send(request(QUrl(mock.baseUrl().toString() + QStringLiteral("/v1/chat/completions"))),
                  "POST", test::chatBody());
    QSignalSpy sent(reply, &QNetworkReply::requestSent);
    QVERIFY(sent.wait(5000));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    reply->abort();
    QCOMPARE(finished.count(), 1);
    QVERIFY(reply->isFinished());
    QCOMPARE(reply->error(), QNetworkReply::OperationCanceledError);
    reply->abort(); // once only
    QCOMPARE(finished.count(), 1);
    delete reply;
    QTRY_COMPARE(pool.connectionsOpen(), 0);
}

void TestHttp1Client::transferTimeout() {
    ScriptServer server([](QTcpSocket*, int, int) {}); // reads, never answers
    QVERIFY(server.listen());
    Http1Pool pool;
    QNetworkRequest rq = request(server.url());
    rq.setTransferTimeout(200);
    QElapsedTimer clock;
    clock.start();
    const test::Response r = test::waitFor(pool.send(rq, "POST", "{}"));
    QCOMPARE(r.error, QNetworkReply::TimeoutError);
    QVERIFY2(clock.elapsed() >= 190, qPrintable(QString::number(clock.elapsed())));
}

void TestHttp1Client::garbageIsAProtocolFailure() {
    ScriptServer server([](QTcpSocket* s, int, int) { s->write("SSH-2.0-OpenSSH\r\n\r\n"); });
    QVERIFY(server.listen());
    Http1Pool pool;
    const test::Response r = test::waitFor(pool.send(request(server.url()), "POST", "{}"));
    QCOMPARE(r.error, QNetworkReply::ProtocolFailure);
}

void TestHttp1Client::clientPoolPicksTheClient() {
    MockServer mock(test::unlimitedMock(0, 0, 1));
    QVERIFY(mock.listen());
    const QUrl url(mock.baseUrl().toString() + QStringLiteral("/v1/chat/completions"));
    ClientPool pool(1);
    QNetworkReply* native = pool.post(pool.acquireSlot(), request(url), test::chatBody());
    QCOMPARE(qobject_cast<Http1Reply*>(native) != nullptr, pool.nativeHttp1());
    QCOMPARE(test::waitFor(native).status, 200);
    pool.setHttp2(true);
    QNetworkReply* qnam = pool.post(pool.acquireSlot(), request(url), test::chatBody());
    QVERIFY(!qobject_cast<Http1Reply*>(qnam)); // the mock speaks no HTTP/2: not sent further
    qnam->abort();
    delete qnam;
}

void TestHttp1Client::httpsStreamsThroughTls() {
    if (!QSslSocket::supportsSsl()) {
        QSKIP("no TLS backend");
    }
    MockServer mock(test::unlimitedMock(10, 10, 4));
    QVERIFY(mock.listen());
    test::TlsFront tls(mock.http().serverPort());
    QVERIFY(tls.listen());
    Http1Pool pool;
    // The same stream over plain HTTP is what TLS must deliver, event for event.
    const test::Response plain = test::waitFor(
        pool.send(request(QUrl(mock.baseUrl().toString() + QStringLiteral("/v1/chat/completions"))),
                  "POST", test::chatBody(QStringLiteral("hi"), true)));
    QCOMPARE(plain.status, 200);
    const qsizetype events = plain.body.count("data: {");
    QVERIFY(events >= 4); // one per token at least
    const QUrl url(QStringLiteral("https://127.0.0.1:%1/v1/chat/completions").arg(tls.port()));
    for (int i = 0; i < 3; ++i) {
        QNetworkRequest rq = request(url);
        rq.setSslConfiguration(test::trustingTestCertificate());
        rq.setPeerVerifyName(QStringLiteral("localhost")); // Qt 6.4 matches names, not IPs
        const test::Response r =
            test::waitFor(pool.send(rq, "POST", test::chatBody(QStringLiteral("hi"), true)));
        QCOMPARE(r.error, QNetworkReply::NoError);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body.count("data: {"), events);
        QVERIFY(r.body.endsWith("data: [DONE]\n\n"));
    }
    // One TLS connection kept alive for all three, as over plain HTTP.
    QCOMPARE(tls.handshakes(), 1);
    QCOMPARE(pool.connectionsOpened(), qint64(2)); // the plain one and the TLS one
    QCOMPARE(mock.http().connectionsAccepted(), qint64(2));
}

void TestHttp1Client::untrustedCertificateFailsTheHandshake() {
    if (!QSslSocket::supportsSsl()) {
        QSKIP("no TLS backend");
    }
    MockServer mock(test::unlimitedMock(0, 0, 1));
    QVERIFY(mock.listen());
    test::TlsFront tls(mock.http().serverPort());
    QVERIFY(tls.listen());
    Http1Pool pool;
    // The system's trust store does not know the test certificate.
    const test::Response r = test::waitFor(pool.send(
        request(QUrl(QStringLiteral("https://127.0.0.1:%1/v1/chat/completions").arg(tls.port()))),
        "POST", test::chatBody()));
    QCOMPARE(r.error, QNetworkReply::SslHandshakeFailedError);
    QCOMPARE(r.status, 0);
    QCOMPARE(mock.http().connectionsAccepted(), qint64(0)); // nothing was piped to it
}

QTEST_GUILESS_MAIN(TestHttp1Client)
#include "tst_http1client.moc"
