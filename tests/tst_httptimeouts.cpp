// HttpServer's time limits on clients: header, body and idle time-outs, and that none of them
// cuts a response that is still being written. Short limits keep each case well under 2 s.

#include "core/server/httpresponder.h"
#include "core/server/httpserver.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <functional>

using namespace sluice;

namespace {

/// A raw client that keeps everything the server sends and when the server closed.
struct RawClient {
    QTcpSocket socket;
    QByteArray received;
    QElapsedTimer sinceStart;
    qint64 closedAtMs = -1;

    explicit RawClient(quint16 port) {
        QObject::connect(&socket, &QTcpSocket::readyRead, &socket,
                         [this] { received += socket.readAll(); });
        QObject::connect(&socket, &QTcpSocket::disconnected, &socket, [this] {
            received += socket.readAll();
            closedAtMs = sinceStart.elapsed();
        });
        sinceStart.start();
        socket.connectToHost(QHostAddress::LocalHost, port);
    }
    bool closed() const { return closedAtMs >= 0; }
};

/// Answers everything with 200 "ok"; a request the server could not read (parseError) is left
/// to the server's plain error answer. Records what it saw.
struct Recorder {
    int handled = 0;
    HttpRequest last;
    HttpHandler handler() {
        return [this](const HttpRequest& r, HttpResponder* w) {
            ++handled;
            last = r;
            if (r.parseError == 0) {
                w->respond(200, {}, "ok");
            }
        };
    }
};

} // namespace

class TestHttpTimeouts final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void slowlorisGets408();
    void slowBody408_data();
    void slowBody408();
    void silentNewConnectionIsClosedWithoutAnswer();
    void idleKeepAliveIsClosed();
    void longResponseIsNotCut();
};

// Header bytes every 200 ms never complete the head: the deadline counts from the start, it is
// not pushed back by each byte.
void TestHttpTimeouts::slowlorisGets408() {
    Recorder recorder;
    HttpServer server(recorder.handler());
    HttpServerLimits limits;
    limits.headerTimeoutMs = 1000;
    server.setLimits(limits);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));

    RawClient client(server.serverPort());
    QVERIFY(client.socket.waitForConnected(5000));
    const QByteArray head =
        "GET /slow HTTP/1.1\r\nHost: a\r\nX-Slow: " + QByteArray(200, 'x') + "\r\n\r\n";
    qsizetype sent = 0;
    QTimer drip;
    connect(&drip, &QTimer::timeout, &client.socket, [&] {
        if (client.socket.state() == QAbstractSocket::ConnectedState && sent < head.size()) {
            client.socket.write(head.mid(sent++, 1));
        }
    });
    drip.start(200);

    QTRY_VERIFY_WITH_TIMEOUT(client.closed(), 5000);
    QVERIFY2(client.received.startsWith("HTTP/1.1 408 Request Timeout\r\n"),
             client.received.constData());
    QVERIFY(client.received.contains("connection: close\r\n"));
    QVERIFY(client.received.contains("request head did not arrive within 1 s"));
    QVERIFY2(client.closedAtMs >= 900 && client.closedAtMs < 2500,
             QByteArray::number(client.closedAtMs).constData());
    QVERIFY(sent >= 3 && sent < head.size()); // it was still dripping when cut off
    QCOMPARE(recorder.handled, 1);            // the handler shaped the 408, nothing else
    QCOMPARE(recorder.last.parseError, 408);
    QTRY_COMPARE(server.connectionCount(), 0);
}

void TestHttpTimeouts::slowBody408_data() {
    QTest::addColumn<int>("dripMs"); // 0: the body stops after 10 bytes
    QTest::newRow("stalls") << 0;
    QTest::newRow("drips") << 100;
}

void TestHttpTimeouts::slowBody408() {
    QFETCH(int, dripMs);
    Recorder recorder;
    HttpServer server(recorder.handler());
    HttpServerLimits limits;
    limits.bodyTimeoutMs = 500;
    server.setLimits(limits);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));

    RawClient client(server.serverPort());
    QVERIFY(client.socket.waitForConnected(5000));
    client.socket.write("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" +
                        QByteArray(10, 'b'));
    QElapsedTimer sinceHead;
    sinceHead.start();
    QTimer drip;
    connect(&drip, &QTimer::timeout, &client.socket, [&] {
        if (client.socket.state() == QAbstractSocket::ConnectedState) {
            client.socket.write("b");
        }
    });
    if (dripMs > 0) {
        drip.start(dripMs);
    }

    QTRY_VERIFY_WITH_TIMEOUT(client.closed(), 5000);
    const qint64 elapsed = sinceHead.elapsed();
    QVERIFY2(client.received.startsWith("HTTP/1.1 408 "), client.received.constData());
    QVERIFY(client.received.contains("request body did not arrive within 500 ms"));
    QVERIFY2(elapsed >= 450 && elapsed < 2000, QByteArray::number(elapsed).constData());
    QCOMPARE(recorder.handled, 1);
    QCOMPARE(recorder.last.parseError, 408);
    QCOMPARE(recorder.last.method, QByteArray("POST")); // what was read is handed over
    QCOMPARE(recorder.last.path, QByteArray("/upload"));
    QTRY_COMPARE(server.connectionCount(), 0);
}

// Nothing was asked, so nothing is answered: a connection that never sends a byte is closed
// without a 408 once the header time-out has passed.
void TestHttpTimeouts::silentNewConnectionIsClosedWithoutAnswer() {
    Recorder recorder;
    HttpServer server(recorder.handler());
    HttpServerLimits limits;
    limits.headerTimeoutMs = 300;
    server.setLimits(limits);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));

    RawClient client(server.serverPort());
    QTRY_VERIFY_WITH_TIMEOUT(client.closed(), 5000);
    QVERIFY2(client.closedAtMs >= 250 && client.closedAtMs < 2000,
             QByteArray::number(client.closedAtMs).constData());
    QVERIFY2(client.received.isEmpty(), client.received.constData());
    QCOMPARE(recorder.handled, 0);
    QTRY_COMPARE(server.connectionCount(), 0);
}

void TestHttpTimeouts::idleKeepAliveIsClosed() {
    Recorder recorder;
    HttpServer server(recorder.handler());
    HttpServerLimits limits;
    limits.idleTimeoutMs = 300;
    server.setLimits(limits);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));

    RawClient client(server.serverPort());
    QElapsedTimer sinceAnswer;
    connect(&client.socket, &QTcpSocket::readyRead, &client.socket, [&] {
        if (!sinceAnswer.isValid() && client.received.endsWith("\r\n\r\nok")) {
            sinceAnswer.start();
        }
    });
    QVERIFY(client.socket.waitForConnected(5000));
    client.socket.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");

    QTRY_VERIFY_WITH_TIMEOUT(client.closed(), 5000);
    QVERIFY(sinceAnswer.isValid());
    const qint64 idle = sinceAnswer.elapsed();
    QVERIFY2(idle >= 250 && idle < 2000, QByteArray::number(idle).constData());
    QVERIFY(!client.received.contains("connection: close")); // it was kept alive, then idled
    QVERIFY2(client.received.endsWith("\r\n\r\nok"), client.received.constData()); // no 408
    QCOMPARE(recorder.handled, 1);
    QTRY_COMPARE(server.connectionCount(), 0);
}

// A handler that takes longer than every time-out to start answering, then streams with a gap
// longer than every time-out: the response arrives whole; only afterwards does idling count.
void TestHttpTimeouts::longResponseIsNotCut() {
    HttpServer server([](const HttpRequest&, HttpResponder* w) {
        QPointer<HttpResponder> guard(w);
        const auto at = [w, guard](int ms, std::function<void(HttpResponder*)> step) {
            QTimer::singleShot(ms, w, [guard, step] {
                if (guard) {
                    step(guard);
                }
            });
        };
        at(400, [](HttpResponder* r) {
            r->beginChunked(200, {{"content-type", "text/event-stream"}});
            r->write("data: a\n\n");
        });
        at(500, [](HttpResponder* r) { r->write("data: b\n\n"); });
        at(1000, [](HttpResponder* r) {
            r->write("data: c\n\n");
            r->end();
        });
    });
    HttpServerLimits limits;
    limits.headerTimeoutMs = 200;
    limits.bodyTimeoutMs = 200;
    limits.idleTimeoutMs = 200;
    server.setLimits(limits);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));

    RawClient client(server.serverPort());
    QVERIFY(client.socket.waitForConnected(5000));
    client.socket.write("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
    QTRY_VERIFY_WITH_TIMEOUT(client.received.endsWith("0\r\n\r\n") || client.closed(), 5000);
    QVERIFY2(!client.closed(), client.received.constData());
    QVERIFY(client.received.startsWith("HTTP/1.1 200 OK\r\n"));
    QVERIFY(client.received.contains("data: a\n\n") && client.received.contains("data: b\n\n") &&
            client.received.contains("data: c\n\n"));
    QVERIFY(client.sinceStart.elapsed() >= 950);
    // Kept alive and now idle: closed after the idle time-out.
    QTRY_VERIFY_WITH_TIMEOUT(client.closed(), 5000);
    QTRY_COMPARE(server.connectionCount(), 0);
}

QTEST_GUILESS_MAIN(TestHttpTimeouts)
#include "tst_httptimeouts.moc"
