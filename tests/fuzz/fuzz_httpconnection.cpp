// Fuzzes the HTTP/1.x request parsing the mock and the gateway share (HttpServer and
// HttpConnection, with http-parser underneath): the input is what a client sends on one
// connection — any number of pipelined requests, possibly malformed — fed through a real
// loopback connection, in pieces, to the real connection code. Every request gets a reply
// from a small handler, as the mock's and gateway's would: a fixed answer, a chunked one, or
// none at all (the connection is closed under it).

#include "core/server/httpresponder.h"
#include "core/server/httpserver.h"
#include "tests/fuzz/fuzzinput.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QTcpSocket>

#include <cstdlib>

using namespace sluice;

namespace {

void handle(const HttpRequest& request, HttpResponder* responder) {
    if (request.parseError != 0) {
        responder->respond(request.parseError, {{"content-type", "text/plain"}},
                           request.parseErrorMessage);
        return;
    }
    const QByteArray summary = request.method + ' ' + request.path + " q=" + request.query +
                               " h=" + QByteArray::number(request.headers.size()) +
                               " b=" + QByteArray::number(request.body.size()) + ' ' +
                               request.header("content-type");
    if (request.path.endsWith("/stream")) {
        responder->beginChunked(200, {{"content-type", "text/event-stream"}});
        responder->write("data: " + summary + "\n\n");
        responder->end();
        return;
    }
    responder->respond(200, {{"content-type", "text/plain"}}, summary);
}

struct Loopback {
    Loopback()
        : server(&handle) {
        HttpServerLimits limits;
        limits.maxBodyBytes = 4096; // small, so the 413 paths are reached
        limits.maxPipelined = 4;    // and the paused-pipeline path
        server.setLimits(limits);
        if (!server.listen(QHostAddress::LocalHost, 0)) {
            std::abort();
        }
    }
    HttpServer server;
};

QCoreApplication& app() {
    static int argc = 1;
    static char name[] = "fuzz_httpconnection";
    static char* argv[] = {name, nullptr};
    static QCoreApplication instance(argc, argv);
    return instance;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    app();
    static Loopback loop;
    fuzz::FuzzInput in(data, size);
    const std::uint8_t split = in.byte();
    const QByteArrayView bytes = in.rest();

    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, loop.server.serverPort());
    if (!client.waitForConnected(5000)) {
        std::abort();
    }
    // Each piece is written and delivered on its own, so the server reads the stream in parts.
    fuzz::feedInPieces(bytes, split, [&](QByteArrayView piece) {
        client.write(piece.data(), piece.size());
        client.flush();
        QCoreApplication::processEvents();
        client.readAll();
    });
    client.disconnectFromHost();
    // The server must let go of the connection once the client has; a connection it keeps is
    // a hang (libFuzzer's -timeout reports it).
    const QDeadlineTimer deadline(10'000);
    while (loop.server.connectionCount() > 0 && !deadline.hasExpired()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }
    if (loop.server.connectionCount() > 0) {
        std::abort();
    }
    return 0;
}
