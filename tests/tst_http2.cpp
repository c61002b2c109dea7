// HTTP/2 end to end: the server side (Http2Session behind HttpServer, here the mock) and the
// native client (Http2Pool) against each other, against curl, and against bad input.

#include "core/engine/clock.h"
#include "core/net/clientpool.h"
#include "core/net/http2pool.h"
#include "core/net/http2reply.h"
#include "core/server/httpserver.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/heldstream.h"
#include "tests/support/httptestclient.h"
#include "tests/support/mockfixture.h"
#include "tests/support/mockserverfixture.h"

#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <vector>

using namespace sluice;

namespace {

const QByteArray kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

QUrl chatUrl(const MockServer& mock) {
    return QUrl(mock.baseUrl().toString() + QStringLiteral("/v1/chat/completions"));
}

QJsonObject http2Stats(MockServer& mock) {
    return mock.statsJson().value(QStringLiteral("http2")).toObject();
}

/// The frame types in a run of HTTP/2 frames (server to client: no preface), in order.
std::vector<int> frameTypes(const QByteArray& bytes) {
    std::vector<int> types;
    qsizetype at = 0;
    for (int i = 0; i < 1000 && at + 9 <= bytes.size(); ++i) {
        const auto* p = reinterpret_cast<const uchar*>(bytes.constData() + at);
        const qsizetype length = (qsizetype(p[0]) << 16) | (qsizetype(p[1]) << 8) | p[2];
        types.push_back(p[3]);
        at += 9 + length;
    }
    return types;
}

/// One HTTP/2 frame: 9-byte header, then the payload.
QByteArray frame(int type, int flags, quint32 stream, const QByteArray& payload) {
    QByteArray f;
    const auto n = static_cast<quint32>(payload.size());
    f += char(n >> 16);
    f += char(n >> 8);
    f += char(n);
    f += char(type);
    f += char(flags);
    f += char(stream >> 24);
    f += char(stream >> 16);
    f += char(stream >> 8);
    f += char(stream);
    return f + payload;
}

QByteArray u32(quint32 v) {
    QByteArray b;
    for (int shift = 24; shift >= 0; shift -= 8) {
        b += char(v >> shift);
    }
    return b;
}

/// An HPACK literal header field without indexing, new name, no Huffman (lengths < 127).
QByteArray literal(const QByteArray& name, const QByteArray& value) {
    return QByteArray(1, '\0') + char(name.size()) + name + char(value.size()) + value;
}

/// DATA payload bytes on `stream`, and whether its END_STREAM came, in server-sent frames.
struct DataSeen {
    qsizetype bytes = 0;
    bool ended = false;
};
DataSeen dataOn(const QByteArray& bytes, quint32 stream) {
    DataSeen seen;
    qsizetype at = 0;
    for (int i = 0; i < 10000 && at + 9 <= bytes.size(); ++i) {
        const auto* p = reinterpret_cast<const uchar*>(bytes.constData() + at);
        const qsizetype length = (qsizetype(p[0]) << 16) | (qsizetype(p[1]) << 8) | p[2];
        const quint32 id =
            (quint32(p[5] & 0x7f) << 24) | (quint32(p[6]) << 16) | (quint32(p[7]) << 8) | p[8];
        if (p[3] == 0 && id == stream) {
            seen.bytes += length;
            seen.ended = seen.ended || (p[4] & 0x1);
        }
        at += 9 + length;
    }
    return seen;
}

} // namespace

class TestHttp2 : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void requestsShareOneConnection();
    void streamedEventsArriveOneByOne();
    void thousandConcurrentStreamsOverFewConnections();
    void clientPoolSendsHttp2WhenAsked();
    void http1StillServedOnTheSamePort();
    void curlWithPriorKnowledge();
    void malformedFramesGetGoaway();
    void streamingRespectsFlowControl();
    void abortResetsOnlyItsStream();
    void callerResetBeforeTheServerReadsItIsGone();
    void serverWithoutHttp2IsAProtocolFailure();
    void refusedConnectionFailsOnce();
};

void TestHttp2::requestsShareOneConnection() {
    MockServer mock(test::unlimitedMock(0, 0, 3));
    QVERIFY(mock.listen());
    Http2Pool pool;
    for (int i = 0; i < 10; ++i) {
        QNetworkReply* reply =
            pool.send(test::jsonRequest(chatUrl(mock)), "POST", test::chatBody());
        const test::Response r = test::waitFor(reply);
        QCOMPARE(r.error, QNetworkReply::NoError);
        QCOMPARE(r.status, 200);
        QVERIFY(r.json().contains(QStringLiteral("choices")));
    }
    const QJsonObject h2 = http2Stats(mock);
    QCOMPARE(h2.value(QStringLiteral("connections")).toInteger(), 1);
    QCOMPARE(h2.value(QStringLiteral("streams")).toInteger(), 10);
    QCOMPARE(pool.connectionsOpened(), qint64(1));
    QCOMPARE(mock.http().connectionsAccepted(), qint64(1));
}

void TestHttp2::streamedEventsArriveOneByOne() {
    MockConfig m = test::unlimitedMock(20, 60, 5);
    m.stamp = true;
    MockServer mock(m);
    QVERIFY(mock.listen());
    Http2Pool pool;
    QNetworkReply* reply = pool.send(test::jsonRequest(chatUrl(mock)), "POST",
                                     test::chatBody(QStringLiteral("hi"), true));
    std::vector<qint64> lateness; // our arrival minus the server's write stamp, per event
    test::collectLateness(reply, &lateness);
    const test::Response r = test::waitFor(reply);
    QCOMPARE(r.status, 200);
    QVERIFY(reply->attribute(QNetworkRequest::Http2WasUsedAttribute).toBool());
    // Each of five events 60 ms apart is a DATA frame read on its own, within ms of its write.
    QCOMPARE(lateness.size(), std::size_t(5));
    for (const qint64 ns : lateness) {
        QVERIFY2(ns >= 0 && ns < 20'000'000, qPrintable(QString::number(ns)));
    }
}

void TestHttp2::thousandConcurrentStreamsOverFewConnections() {
    // Every stream stays open 1.5 s before its answer, so all 1,000 are open at once.
    MockServer mock(test::unlimitedMock(1500, 0, 2, 1000));
    QVERIFY(mock.listen());
    Http2Pool pool;
    int ok = 0;
    int done = 0;
    for (int i = 0; i < 1000; ++i) {
        QNetworkReply* reply =
            pool.send(test::jsonRequest(chatUrl(mock)), "POST", test::chatBody());
        QObject::connect(reply, &QNetworkReply::finished, this, [&ok, &done, reply] {
            ok += reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
            ++done;
            reply->deleteLater();
        });
    }
    QVERIFY(test::runUntil([&] { return done == 1000; }, 60000));
    QCOMPARE(ok, 1000);
    // The server's own count: 1,000 streams open at once on 4 connections (its limit is 256
    // streams per connection, HttpServerLimits::http2MaxStreams).
    const QJsonObject h2 = http2Stats(mock);
    QCOMPARE(h2.value(QStringLiteral("streams")).toInteger(), 1000);
    QCOMPARE(h2.value(QStringLiteral("peak_streams_open")).toInteger(), 1000);
    QCOMPARE(h2.value(QStringLiteral("connections")).toInteger(), 4);
    QCOMPARE(h2.value(QStringLiteral("peak_streams_per_connection")).toInteger(), 256);
    QCOMPARE(mock.http().connectionsAccepted(), qint64(4));
    QCOMPARE(pool.connectionsOpened(), qint64(4));
    QCOMPARE(mock.statsJson().value(QStringLiteral("peak_concurrent")).toInt(), 1000);
}

void TestHttp2::clientPoolSendsHttp2WhenAsked() {
    MockServer mock(test::unlimitedMock(0, 0, 1));
    QVERIFY(mock.listen());
    ClientPool pool(1);
    if (!pool.nativeHttp1()) {
        QSKIP("SLUICE_HTTP_CLIENT=qnam: QNAM carries HTTP/2");
    }
    pool.setHttp2(true);
    QNetworkReply* reply =
        pool.post(pool.acquireSlot(), test::jsonRequest(chatUrl(mock)), test::chatBody());
    QVERIFY(qobject_cast<Http2Reply*>(reply));
    QCOMPARE(test::waitFor(reply).status, 200);
    QCOMPARE(http2Stats(mock).value(QStringLiteral("streams")).toInteger(), 1);
}

void TestHttp2::http1StillServedOnTheSamePort() {
    MockServer mock(test::unlimitedMock(0, 0, 1));
    QVERIFY(mock.listen());
    QNetworkAccessManager nam;
    const test::Response r = test::post(nam, chatUrl(mock), test::chatBody());
    QCOMPARE(r.status, 200);
    QCOMPARE(http2Stats(mock).value(QStringLiteral("connections")).toInteger(), 0);
    // "PRI" that is not the whole preface is an HTTP/1 request like any other: answered, no h2.
    const test::RawResult raw =
        test::rawExchange(mock.port(), "PRI * HTTP/2.0\r\nHost: x\r\n\r\nXX\r\n\r\n");
    QVERIFY2(raw.data.startsWith("HTTP/1.1 "), raw.data.constData());
}

void TestHttp2::curlWithPriorKnowledge() {
    const QString curl = QStandardPaths::findExecutable(QStringLiteral("curl"));
    if (curl.isEmpty()) {
        QSKIP("curl is not installed");
    }
    QProcess version;
    version.start(curl, {QStringLiteral("-V")});
    QVERIFY(version.waitForFinished(10000));
    if (!version.readAllStandardOutput().contains("HTTP2")) {
        QSKIP("this curl has no HTTP/2");
    }
    MockServer mock(test::unlimitedMock(10, 10, 4));
    QVERIFY(mock.listen());
    QProcess p;
    p.start(curl,
            {QStringLiteral("-sS"), QStringLiteral("--http2-prior-knowledge"), QStringLiteral("-N"),
             QStringLiteral("-H"), QStringLiteral("content-type: application/json"),
             QStringLiteral("-d"), QString::fromUtf8(test::chatBody(QStringLiteral("hi"), true)),
             QStringLiteral("-w"), QStringLiteral("\nversion=%{http_version}"),
             chatUrl(mock).toString()});
    QVERIFY(test::runUntil([&] { return p.state() == QProcess::NotRunning; }, 15000));
    const QByteArray out = p.readAllStandardOutput();
    QCOMPARE(p.exitCode(), 0);
    QVERIFY2(out.contains("data: [DONE]"), out.constData());
    QVERIFY2(out.endsWith("version=2"), out.constData());
    QCOMPARE(http2Stats(mock).value(QStringLiteral("streams")).toInteger(), 1);
}

void TestHttp2::malformedFramesGetGoaway() {
    MockServer mock(test::unlimitedMock(0, 0, 1));
    QVERIFY(mock.listen());
    // The preface, then a HEADERS frame on stream 0, which RFC 9113 makes a connection error.
    QByteArray bad = kPreface;
    bad += QByteArray::fromHex("000000040000000000"); // empty SETTINGS
    bad += QByteArray::fromHex("000005010400000000") + QByteArray(5, '\x7f');
    const test::RawResult raw = test::rawExchange(mock.port(), bad, 5000, 2000);
    QVERIFY(raw.closedByServer || raw.reset);
    const std::vector<int> types = frameTypes(raw.data);
    QVERIFY2(std::find(types.begin(), types.end(), 0x7) != types.end(), // GOAWAY
             raw.data.toHex().constData());
    // Garbage after the preface: the same, and the server goes on serving.
    const test::RawResult junk =
        test::rawExchange(mock.port(), kPreface + QByteArray(64, '\xff'), 5000, 2000);
    QVERIFY(junk.closedByServer || junk.reset);
    const std::vector<int> junkTypes = frameTypes(junk.data);
    QVERIFY(std::find(junkTypes.begin(), junkTypes.end(), 0x7) != junkTypes.end());
    QTRY_COMPARE(http2Stats(mock).value(QStringLiteral("connections_open")).toInt(), 0);
    QVERIFY(http2Stats(mock).value(QStringLiteral("protocol_errors")).toInteger() >= 2);
    Http2Pool pool;
    QCOMPARE(
        test::waitFor(pool.send(test::jsonRequest(chatUrl(mock)), "POST", test::chatBody())).status,
        200);
}

void TestHttp2::streamingRespectsFlowControl() {
    MockServer mock(test::unlimitedMock(0, 0, 20));
    QVERIFY(mock.listen());
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, mock.port());
    QVERIFY(socket.waitForConnected(5000));
    QByteArray in;
    QObject::connect(&socket, &QTcpSocket::readyRead, this, [&] { in += socket.readAll(); });
    // A client whose streams take 100 bytes before it sends WINDOW_UPDATE.
    const QByteArray body = test::chatBody(QStringLiteral("hi"), true);
    const QByteArray head = literal(":method", "POST") + literal(":scheme", "http") +
                            literal(":authority", "127.0.0.1") +
                            literal(":path", "/v1/chat/completions") +
                            literal("content-type", "application/json");
    socket.write(kPreface + frame(0x4, 0, 0, QByteArray::fromHex("0004") + u32(100)) +
                 frame(0x1, 0x4, 1, head) + frame(0x0, 0x1, 1, body));
    QVERIFY(test::runUntil([&] { return dataOn(in, 1).bytes >= 100; }, 5000));
    socket.write(frame(0x4, 0x1, 0, {})); // SETTINGS ACK
    // The stream is 20 events, thousands of bytes, all written at once by the mock: the server
    // holds them back at the window. Nothing more comes while the window stays shut.
    QVERIFY(!test::runUntil([&] { return dataOn(in, 1).bytes > 100; }, 300));
    QCOMPARE(dataOn(in, 1).bytes, qsizetype(100));
    QVERIFY(!dataOn(in, 1).ended);
    socket.write(frame(0x8, 0, 1, u32(1 << 20))); // open the stream's window
    QVERIFY(test::runUntil([&] { return dataOn(in, 1).ended; }, 5000));
    QVERIFY(in.contains("data: [DONE]"));
    QVERIFY(dataOn(in, 1).bytes > 1000);
}

void TestHttp2::abortResetsOnlyItsStream() {
    MockServer mock(test::unlimitedMock(300, 0, 1));
    QVERIFY(mock.listen());
    Http2Pool pool;
    QNetworkReply* a = pool.send(test::jsonRequest(chatUrl(mock)), "POST", test::chatBody());
    QNetworkReply* b = pool.send(test::jsonRequest(chatUrl(mock)), "POST", test::chatBody());
    QTRY_COMPARE(http2Stats(mock).value(QStringLiteral("streams_open")).toInt(), 2);
    a->abort();
    QVERIFY(a->isFinished());
    QCOMPARE(a->error(), QNetworkReply::OperationCanceledError);
    QCOMPARE(test::waitFor(b).status, 200);
    QTRY_COMPARE(http2Stats(mock).value(QStringLiteral("streams_open")).toInt(), 0);
    QCOMPARE(http2Stats(mock).value(QStringLiteral("connections")).toInteger(), 1);
    delete a;
}

// A client that resets its connection while the server still has a stream to write, before
// the server has read the reset: the failed write ends the session (the socket layer closes
// itself without a signal), so the stream's handler hears its client left and the connection
// goes, instead of waiting on a socket that will never report anything again.
void TestHttp2::callerResetBeforeTheServerReadsItIsGone() {
    QTest::failOnWarning(QRegularExpression(QStringLiteral("uninitialized socket")));
    test::HeldStream stream;
    HttpServer server(stream.handler(this));
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QVERIFY(socket.waitForConnected(5000));
    QByteArray in;
    QObject::connect(&socket, &QTcpSocket::readyRead, this, [&] { in += socket.readAll(); });
    const QByteArray head = literal(":method", "GET") + literal(":scheme", "http") +
                            literal(":authority", "127.0.0.1") + literal(":path", "/");
    socket.write(kPreface + frame(0x4, 0, 0, {}) + frame(0x1, 0x5, 1, head));
    QVERIFY(test::runUntil([&] { return dataOn(in, 1).bytes >= 5; }, 5000));
    QVERIFY(!stream.responder.isNull());
    QVERIFY(test::abortWithReset(socket));
    stream.responder->write("second");
    stream.responder->write("third");
    QTRY_VERIFY(stream.gone);
    QTRY_COMPARE(server.connectionCount(), 0);
}

void TestHttp2::serverWithoutHttp2IsAProtocolFailure() {
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QObject::connect(&server, &QTcpServer::newConnection, this, [&server] {
        QTcpSocket* s = server.nextPendingConnection();
        QObject::connect(s, &QTcpSocket::readyRead, s, [s] {
            s->readAll();
            s->write("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        });
    });
    Http2Pool pool;
    const QUrl url(QStringLiteral("http://127.0.0.1:%1/v1/x").arg(server.serverPort()));
    const test::Response r = test::waitFor(pool.send(test::jsonRequest(url), "POST", "{}"));
    QCOMPARE(r.error, QNetworkReply::ProtocolFailure);
}

void TestHttp2::refusedConnectionFailsOnce() {
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost));
    const quint16 port = closed.serverPort();
    closed.close();
    Http2Pool pool;
    const QUrl url(QStringLiteral("http://127.0.0.1:%1/v1/x").arg(port));
    const test::Response r = test::waitFor(pool.send(test::jsonRequest(url), "POST", "{}"));
    QCOMPARE(r.error, QNetworkReply::ConnectionRefusedError);
    QCOMPARE(pool.connectionsOpened(), qint64(1));
}

QTEST_GUILESS_MAIN(TestHttp2)
#include "tst_http2.moc"
