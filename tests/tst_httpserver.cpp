#include "core/server/httpresponder.h"
#include "core/server/httpserver.h"
#include "tests/support/heldstream.h"
#include "tests/support/httptestclient.h"

#include <QNetworkAccessManager>
#include <QPointer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <memory>
#include <random>

using namespace sluice;
using namespace sluice::test;

namespace {

/// Connects `socket` to the server on this machine and sends one GET for "/".
bool sendGet(QTcpSocket& socket, quint16 port) {
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(5000)) {
        return false;
    }
    socket.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    return true;
}

} // namespace

class TestHttpServer final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesRequestFields();
    void chunkedRequestBody();
    void keepAliveAndPipelining();
    void pipelinedAnswersKeepOrderWhenFirstIsSlow();
    void streamsChunkedResponses();
    void garbageGets400AndServerKeepsServing();
    void oversizedBodyGets413();
    void hugeHeadersGet431();
    void http10StreamIsCloseDelimited();
    void resetConnectionResets();
    void clientGoneIsSignalled();
    void writesAfterTheCallerResetStopQuietly();
    void idleConnectionsAreClosed();
    void randomBytesNeverHurtTheServer();
    void headGetsHeadersOnly();
    void expectContinueInvitesTheBody();
    void deepPipelineIsServedInFull();
    void parseErrorBehindPendingRequestsIsAnswered();
    void upgradeRequestBodyArrivingLaterIsKept();
    void connectIsRefused();
    void oversizedUploadSeesItsAnswer();
};

void TestHttpServer::parsesRequestFields() {
    HttpRequest seen;
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        seen = r;
        w->respond(201, {{"content-type", "text/plain"}, {"x-extra", "yes"}}, "made");
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QNetworkAccessManager nam;
    QNetworkRequest request = jsonRequest(
        QUrl(QStringLiteral("http://127.0.0.1:%1/a/b%20c?x=1&y=2").arg(server.serverPort())));
    request.setRawHeader("X-Custom-Header", "Value 1");
    const Response r = waitFor(nam.post(request, QByteArray("payload")));
    QCOMPARE(r.status, 201);
    QCOMPARE(r.body, QByteArray("made"));
    QCOMPARE(r.header("x-extra"), QByteArray("yes"));
    QCOMPARE(seen.method, QByteArray("POST"));
    QCOMPARE(seen.path, QByteArray("/a/b%20c"));
    QCOMPARE(seen.query, QByteArray("x=1&y=2"));
    QCOMPARE(seen.header("x-custom-header"), QByteArray("Value 1"));
    QCOMPARE(seen.header("X-CUSTOM-HEADER"), QByteArray("Value 1"));
    QCOMPARE(seen.body, QByteArray("payload"));
    QCOMPARE(seen.peer, QHostAddress(QHostAddress::LocalHost));
}

void TestHttpServer::chunkedRequestBody() {
    QByteArray body;
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        body = r.body;
        w->respond(200, {}, "ok");
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const RawResult raw = rawExchange(
        server.serverPort(), "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    QVERIFY(raw.data.startsWith("HTTP/1.1 200 OK\r\n"));
    QCOMPARE(body, QByteArray("hello world"));
}

void TestHttpServer::keepAliveAndPipelining() {
    int n = 0;
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        w->respond(200, {}, r.path + '#' + QByteArray::number(++n));
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const RawResult raw =
        rawExchange(server.serverPort(), "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
                                         "GET /two HTTP/1.1\r\nHost: a\r\n\r\n"
                                         "GET /three HTTP/1.1\r\nHost: a\r\n\r\n");
    QVERIFY(!raw.closedByServer); // keep-alive: the server leaves the connection open
    QCOMPARE(raw.data.count("HTTP/1.1 200 OK"), 3);
    const qsizetype one = raw.data.indexOf("/one#1");
    const qsizetype two = raw.data.indexOf("/two#2");
    const qsizetype three = raw.data.indexOf("/three#3");
    QVERIFY(one > 0 && two > one && three > two);
    QCOMPARE(server.connectionsAccepted(), 1);
}

void TestHttpServer::pipelinedAnswersKeepOrderWhenFirstIsSlow() {
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        if (r.path == "/slow") {
            QPointer<HttpResponder> guard(w);
            QTimer::singleShot(100, w, [guard] {
                if (guard) {
                    guard->respond(200, {}, "slow");
                }
            });
            return;
        }
        w->respond(200, {}, "fast");
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const RawResult raw = rawExchange(
        server.serverPort(),
        "GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\n\r\n", 5000, 500);
    QVERIFY(raw.data.indexOf("slow") > 0);
    QVERIFY(raw.data.indexOf("fast") > raw.data.indexOf("slow"));
}

void TestHttpServer::streamsChunkedResponses() {
    HttpServer server([&](const HttpRequest&, HttpResponder* w) {
        w->beginChunked(200, {{"content-type", "text/event-stream"}});
        w->write("data: 1\n\n");
        QPointer<HttpResponder> guard(w);
        QTimer::singleShot(20, w, [guard] {
            if (guard) {
                guard->write("data: 2\n\n");
                guard->end();
            }
        });
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QNetworkAccessManager nam;
    const Response r =
        get(nam, QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(server.serverPort())));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("data: 1\n\ndata: 2\n\n"));
    const RawResult raw = rawExchange(server.serverPort(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    QVERIFY(raw.data.contains("transfer-encoding: chunked\r\n"));
    QVERIFY(raw.data.endsWith("0\r\n\r\n"));
}

void TestHttpServer::garbageGets400AndServerKeepsServing() {
    int handled = 0;
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        ++handled;
        if (r.parseError) {
            w->respond(r.parseError, {{"content-type", "application/json"}}, "{\"error\":\"bad\"}");
            return;
        }
        w->respond(200, {}, "fine");
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    for (const QByteArray& garbage :
         {QByteArray("GARBAGE\r\n\r\n"), QByteArray("\x01\x02\x03\xff\r\n\r\n"),
          QByteArray("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n")}) {
        const RawResult raw = rawExchange(server.serverPort(), garbage);
        QVERIFY2(raw.data.startsWith("HTTP/1.1 400 Bad Request\r\n"), raw.data.constData());
        QVERIFY(raw.data.contains("connection: close"));
        QVERIFY(raw.closedByServer);
    }
    const RawResult version = rawExchange(server.serverPort(), "GET / HTTP/2.0\r\nHost: a\r\n\r\n");
    QVERIFY2(version.data.contains(" 505 "), version.data.constData());
    QNetworkAccessManager nam;
    const Response r =
        get(nam, QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(server.serverPort())));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("fine"));
    QCOMPARE(handled, 5); // three garbage, one bad version, one good
}

void TestHttpServer::oversizedBodyGets413() {
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        w->respond(r.parseError ? r.parseError : 200, {}, r.parseErrorMessage);
    });
    HttpServerLimits limits;
    limits.maxBodyBytes = 1024;
    server.setLimits(limits);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QNetworkAccessManager nam;
    QNetworkRequest request =
        jsonRequest(QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(server.serverPort())));
    const Response big = waitFor(nam.post(request, QByteArray(4096, 'x')));
    QCOMPARE(big.status, 413);
    QVERIFY(big.body.contains("1024"));
    // Chunked bodies are counted too.
    QByteArray chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) {
        chunked += "200\r\n" + QByteArray(512, 'y') + "\r\n";
    }
    chunked += "0\r\n\r\n";
    QVERIFY(rawExchange(server.serverPort(), chunked).data.startsWith("HTTP/1.1 413 "));
    const Response small = waitFor(nam.post(request, QByteArray(1000, 'x')));
    QCOMPARE(small.status, 200);
}

void TestHttpServer::hugeHeadersGet431() {
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        w->respond(r.parseError ? r.parseError : 200, {}, {});
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const QByteArray request =
        "GET / HTTP/1.1\r\nX-Big: " + QByteArray(200 * 1024, 'h') + "\r\n\r\n";
    const RawResult raw = rawExchange(server.serverPort(), request);
    QVERIFY2(raw.data.startsWith("HTTP/1.1 431 "), raw.data.left(100).constData());
}

void TestHttpServer::http10StreamIsCloseDelimited() {
    HttpServer server([&](const HttpRequest&, HttpResponder* w) {
        w->beginChunked(200, {});
        w->write("part1 ");
        w->write("part2");
        w->end();
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const RawResult raw = rawExchange(server.serverPort(), "GET / HTTP/1.0\r\n\r\n");
    QVERIFY(raw.data.startsWith("HTTP/1.0 200 OK\r\n"));
    QVERIFY(!raw.data.contains("transfer-encoding"));
    QVERIFY(raw.data.endsWith("\r\n\r\npart1 part2"));
    QVERIFY(raw.closedByServer);
}

void TestHttpServer::resetConnectionResets() {
    HttpServer server([&](const HttpRequest&, HttpResponder* w) { w->resetConnection(); });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QNetworkAccessManager nam;
    const Response r =
        get(nam, QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(server.serverPort())));
    QCOMPARE(r.status, 0);
    QVERIFY(r.error != QNetworkReply::NoError);
    const RawResult raw = rawExchange(server.serverPort(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    QVERIFY(raw.data.isEmpty());
    QVERIFY(raw.closedByServer);
    QTRY_COMPARE(server.connectionCount(), 0);
}

void TestHttpServer::clientGoneIsSignalled() {
    HeldStream stream;
    HttpServer server(stream.handler(this));
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    {
        QTcpSocket socket;
        QVERIFY(sendGet(socket, server.serverPort()));
        QTRY_VERIFY(!stream.responder.isNull());
        QTRY_COMPARE(server.connectionCount(), 1);
        socket.abort();
    }
    QTRY_VERIFY(stream.gone);
    QTRY_COMPARE(server.connectionCount(), 0);
    QTRY_VERIFY(stream.responder.isNull()); // deleted with its connection
}

// A caller that resets its connection mid-stream, before the server has read the reset: the
// first write fails (the socket layer closes itself), and what the responder writes after it
// is dropped, not handed to a closed socket (Qt warns "uninitialized socket device" then). The
// caller is reported gone at the next turn and the connection goes.
void TestHttpServer::writesAfterTheCallerResetStopQuietly() {
    QTest::failOnWarning(QRegularExpression(QStringLiteral("uninitialized socket")));
    HeldStream stream;
    HttpServer server(stream.handler(this));
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QTcpSocket socket;
    QVERIFY(sendGet(socket, server.serverPort()));
    QByteArray seen;
    QTRY_VERIFY((seen += socket.readAll()).contains("first"));
    QVERIFY(!stream.responder.isNull());
    QVERIFY(abortWithReset(socket));
    // No turn of the event loop in between: the server has not seen the reset yet.
    stream.responder->write("second");
    stream.responder->write("third");
    QVERIFY(!stream.gone); // told at the next turn, not inside the writes
    QTRY_VERIFY(stream.gone);
    QTRY_COMPARE(server.connectionCount(), 0);
}

void TestHttpServer::idleConnectionsAreClosed() {
    HttpServer server([&](const HttpRequest&, HttpResponder* w) { w->respond(200, {}, {}); });
    HttpServerLimits limits;
    limits.idleTimeoutMs = 200;
    server.setLimits(limits);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QTcpSocket socket;
    QSignalSpy closed(&socket, &QTcpSocket::disconnected);
    socket.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QVERIFY(socket.waitForConnected(5000));
    QVERIFY(closed.wait(5000));
    QTRY_COMPARE(server.connectionCount(), 0);
}

// Seeded random garbage, truncated requests and requests cut off mid-body: each connection ends
// (an error answer or a close), nothing crashes, and a well-formed request still works after.
void TestHttpServer::randomBytesNeverHurtTheServer() {
    int handled = 0;
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        ++handled;
        w->respond(r.parseError ? r.parseError : 200, {}, "ok");
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    std::mt19937 rng(20261123);
    const QByteArray valid =
        "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789";
    std::vector<std::unique_ptr<QTcpSocket>> sockets;
    for (int i = 0; i < 60; ++i) {
        QByteArray payload;
        switch (i % 3) {
        case 0: // pure noise
            payload.resize(1 + static_cast<int>(rng() % 600));
            for (char& c : payload) {
                c = static_cast<char>(rng() & 0xff);
            }
            break;
        case 1: // a valid request with bytes flipped
            payload = valid;
            for (int k = 0; k < 3; ++k) {
                payload[static_cast<qsizetype>(rng() % payload.size())] =
                    static_cast<char>(rng() & 0xff);
            }
            break;
        case 2: // a valid request cut short
            payload = valid.left(static_cast<qsizetype>(rng() % valid.size()));
            break;
        }
        // All at once: an incomplete request gets no answer and is given up after 250 ms, and
        // one at a time those waits add up to seconds.
        auto socket = std::make_unique<QTcpSocket>();
        socket->connectToHost(QHostAddress::LocalHost, server.serverPort());
        QVERIFY(socket->waitForConnected(5000));
        socket->write(payload);
        sockets.push_back(std::move(socket));
    }
    // Each is answered, closed by the server, or still waiting for bytes that never come (then
    // the wait ends false after 250 ms, as intended).
    static_cast<void>(QTest::qWaitFor(
        [&] {
            return std::all_of(sockets.begin(), sockets.end(), [](const auto& s) {
                return s->bytesAvailable() > 0 || s->state() != QAbstractSocket::ConnectedState;
            });
        },
        250));
    sockets.clear(); // the client gives up on every one
    QTRY_COMPARE(server.connectionCount(), 0);
    QNetworkAccessManager nam;
    const Response r =
        get(nam, QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(server.serverPort())));
    QCOMPARE(r.status, 200);
    QVERIFY(handled >= 1);
}

void TestHttpServer::headGetsHeadersOnly() {
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        if (r.path == "/stream") {
            w->beginChunked(200, {});
            w->write("never sent");
            w->end();
            return;
        }
        w->respond(200, {{"content-type", "text/plain"}}, "twelve bytes");
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const RawResult raw =
        rawExchange(server.serverPort(), "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"
                                         "HEAD /stream HTTP/1.1\r\nHost: a\r\n\r\n"
                                         "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    QVERIFY(raw.data.startsWith("HTTP/1.1 200 OK\r\n"));
    QVERIFY(raw.data.contains("content-length: 12\r\n"));
    QCOMPARE(raw.data.count("twelve bytes"), 1); // only the GET carries the body
    QVERIFY(!raw.data.contains("never sent"));
    QVERIFY(raw.data.endsWith("\r\n\r\ntwelve bytes"));
}

void TestHttpServer::expectContinueInvitesTheBody() {
    QByteArray seen;
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        seen = r.body;
        w->respond(200, {}, "got it");
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QVERIFY(socket.waitForConnected(5000));
    socket.write("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    QByteArray data;
    QTRY_VERIFY((data += socket.readAll()).contains("\r\n\r\n"));
    QCOMPARE(data, QByteArray("HTTP/1.1 100 Continue\r\n\r\n"));
    socket.write("hello");
    QTRY_VERIFY((data += socket.readAll()).endsWith("got it"));
    QVERIFY(data.contains("HTTP/1.1 200 OK"));
    QCOMPARE(seen, QByteArray("hello"));
}

void TestHttpServer::deepPipelineIsServedInFull() {
    int n = 0;
    HttpServer server([&](const HttpRequest&, HttpResponder* w) {
        w->respond(200, {}, QByteArray::number(++n));
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QByteArray many;
    for (int i = 0; i < 100; ++i) { // three times the read-ahead limit
        many += "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    }
    const RawResult raw = rawExchange(server.serverPort(), many, 5000, 500);
    QCOMPARE(raw.data.count("HTTP/1.1 200 OK"), 100);
    QVERIFY(raw.data.endsWith("\r\n\r\n100"));
}

void TestHttpServer::parseErrorBehindPendingRequestsIsAnswered() {
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        if (r.parseError) {
            w->respond(r.parseError, {}, "bad");
            return;
        }
        QPointer<HttpResponder> guard(w);
        QTimer::singleShot(r.path == "/slow" ? 50 : 0, w, [guard, path = r.path] {
            if (guard) {
                guard->respond(200, {}, path);
            }
        });
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const RawResult raw = rawExchange(server.serverPort(), "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"
                                                           "GET /next HTTP/1.1\r\nHost: a\r\n\r\n"
                                                           "\x01garbage\r\n\r\n");
    QCOMPARE(raw.data.count("HTTP/1.1 "), 3);
    QVERIFY(raw.data.indexOf("/slow") < raw.data.indexOf("/next"));
    QVERIFY(raw.data.contains("HTTP/1.1 400 "));
    QVERIFY(raw.closedByServer);
}

void TestHttpServer::upgradeRequestBodyArrivingLaterIsKept() {
    QByteArray body;
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        body = r.body;
        w->respond(200, {}, "plain http/1.1");
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QVERIFY(socket.waitForConnected(5000));
    socket.write("POST / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                 "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"
                 "Content-Length: 10\r\n\r\n01234");
    QVERIFY(socket.waitForBytesWritten(5000));
    QTRY_COMPARE(server.connectionCount(), 1);
    QTest::qWait(0); // let the server read the first part on its own
    socket.write("56789");
    QByteArray data;
    QTRY_VERIFY((data += socket.readAll()).endsWith("plain http/1.1"));
    QVERIFY(data.startsWith("HTTP/1.1 200 OK"));
    QCOMPARE(body, QByteArray("0123456789"));
}

void TestHttpServer::connectIsRefused() {
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        w->respond(r.parseError ? r.parseError : 200, {}, {});
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const RawResult raw = rawExchange(
        server.serverPort(), "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n");
    QVERIFY2(raw.data.startsWith("HTTP/1.1 405 "), raw.data.constData());
    QVERIFY(raw.closedByServer);
}

// The server refuses a large upload early; the client, still sending, must get the 413 rather
// than a connection reset (the server lingers, reading, after its answer).
void TestHttpServer::oversizedUploadSeesItsAnswer() {
    HttpServer server([&](const HttpRequest& r, HttpResponder* w) {
        w->respond(r.parseError ? r.parseError : 200, {}, r.parseErrorMessage);
    });
    HttpServerLimits limits;
    limits.maxBodyBytes = 1024;
    server.setLimits(limits);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const QByteArray upload = QByteArray(4 * 1024 * 1024, 'z');
    const RawResult raw = rawExchange(server.serverPort(),
                                      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " +
                                          QByteArray::number(upload.size()) + "\r\n\r\n" + upload,
                                      10000, 3000);
    QVERIFY2(raw.data.startsWith("HTTP/1.1 413 "), raw.data.left(80).constData());
    QVERIFY(raw.closedByServer);
    QTRY_COMPARE(server.connectionCount(), 0);
}

QTEST_GUILESS_MAIN(TestHttpServer)
#include "tst_httpserver.moc"
