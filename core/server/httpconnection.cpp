#include "core/server/httpconnection.h"

#include "core/net/readscratch.h"
#include "core/net/receivestamp.h"
#include "core/server/http2session.h"
#include "core/server/httpresponder.h"

#include <QAbstractSocket>
#include <QVariant>

#include <http_parser.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>

namespace sluice {

namespace {
constexpr qsizetype kInboxWhenFull = 64 * 1024;
constexpr int kDrainTimeoutMs = 30'000; // to write out the last response
constexpr int kLingerMs = 2'000;        // to read what the client still sends after our FIN

QByteArray describeMs(int ms) {
    return ms % 1000 == 0 ? QByteArray::number(ms / 1000) + " s" : QByteArray::number(ms) + " ms";
}
} // namespace

qint64 HttpConnection::nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

HttpConnection::HttpConnection(QAbstractSocket* socket, HttpHandler handler,
                               HttpServerLimits limits, QObject* parent, Http2Stats* http2Stats)
    : QObject(parent)
    , m_socket(socket)
    , m_handler(std::move(handler))
    , m_limits(limits)
    , m_parser(std::make_unique<http_parser>())
    , m_http2Stats(http2Stats) {
    m_socket->setParent(this);
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    http_parser_init(m_parser.get(), HTTP_REQUEST);
    m_parser->data = this;

    m_linger.setSingleShot(true);
    connect(&m_linger, &QTimer::timeout, this, &HttpConnection::abandon);
    // The socket is unbuffered (HttpServer opens it so): bytes go from the kernel through one
    // per-thread buffer into the inbox, and an idle connection holds none of Qt's 16 KB read
    // and write blocks. Every readyRead must read (the notifier stays off until a read), and
    // the client's close shows as a read of -1 with no signal.
    connect(m_socket, &QAbstractSocket::readyRead, this, &HttpConnection::readAvailable);
    connect(m_socket, &QAbstractSocket::disconnected, this, &HttpConnection::onDisconnected);
    waitFor(Wait::FirstByte);
    // No read here: the server has not yet connected to closed(), and bytes already waiting
    // wake the read notifier on the next turn anyway.
}

HttpConnection::~HttpConnection() {
    if (m_socket) {
        m_socket->disconnect(this);
    }
}

bool HttpConnection::drainClosed() {
    const ReadScratch scratch;
    for (int reads = 0; reads < 64; ++reads) {
        const qint64 n = m_socket->read(scratch.data(), ReadScratch::kSize);
        if (n < 0) {
            return true;
        }
        if (n < ReadScratch::kSize) {
            return false;
        }
    }
    return false;
}

void HttpConnection::readAvailable() {
    if (m_gone) {
        return;
    }
    if (m_closing || m_parseFailed) {
        // Lingering close, or a request that could not be parsed: what the client still sends
        // is dropped; an answer for what was parsed before the error still goes out.
        const bool closed = drainClosed();
        if (m_parseFailed && !m_closing) {
            dispatchNext();
        }
        if (closed) {
            onDisconnected();
        }
        return;
    }
    // With the pipeline full, leave further bytes in the socket: the notifier stays off until
    // the next read (responseDone() reads again), which turns into TCP back-pressure on the
    // client.
    bool closed = false;
    const bool full = static_cast<int>(m_pending.size()) >= m_limits.maxPipelined;
    if (!full || m_inbox.size() < kInboxWhenFull) {
        const ReadScratch scratch;
        for (int reads = 0; reads < 64; ++reads) {
            // A peek first says when the waiting bytes arrived (receivestamp.h); the read then
            // takes exactly those (Qt's read keeps its notifier and its view of the close).
            const PeekedBytes peeked =
                m_limits.receiveStamps
                    ? peekStamped(m_socket->socketDescriptor(), scratch.data(), ReadScratch::kSize)
                    : PeekedBytes{};
            const qint64 want = peeked.size > 0 ? peeked.size : ReadScratch::kSize;
            const qint64 n = m_socket->read(scratch.data(), want);
            if (n < 0) {
                closed = true;
                break;
            }
            if (n > 0) {
                m_inboxArrivedNs = peeked.size > 0 ? peeked.arrivedNs : 0;
            }
            m_inbox.append(scratch.data(), n);
            if (n < want || want < ReadScratch::kSize || m_inbox.size() >= kInboxWhenFull) {
                break;
            }
        }
    }
    if (m_sniffing && !m_inbox.isEmpty() && sniffHttp2()) {
        if (closed) {
            onDisconnected();
        }
        return;
    }
    parseInbox();
    dispatchNext();
    // What came before the close is parsed and answered first, as a buffered socket would.
    if (closed) {
        onDisconnected();
    }
}

bool HttpConnection::sniffHttp2() {
    switch (Http2Session::matchPreface(m_inbox)) {
    case Http2Session::Preface::No:
        m_sniffing = false;
        return false;
    case Http2Session::Preface::Partial:
        return true; // the head time-out still runs
    case Http2Session::Preface::Yes:
        break;
    }
    m_sniffing = false;
    m_wait = Wait::Nothing; // the session has its own rules
    disconnect(m_socket, &QAbstractSocket::readyRead, this, &HttpConnection::readAvailable);
    m_http2 = new Http2Session(m_socket, m_handler, m_limits, m_http2Stats, this);
    connect(m_http2, &Http2Session::closeRequested, this, &HttpConnection::closeAfterWrite);
    connect(m_http2, &Http2Session::peerClosed, this, &HttpConnection::onDisconnected);
    m_http2->start(std::exchange(m_inbox, QByteArray()));
    return true;
}

void HttpConnection::parseInbox() {
    qsizetype offset = 0;
    while (offset < m_inbox.size() && !m_parseFailed &&
           static_cast<int>(m_pending.size()) < m_limits.maxPipelined) {
        const size_t parsed =
            http_parser_execute(m_parser.get(), &parserSettings(), m_inbox.constData() + offset,
                                static_cast<size_t>(m_inbox.size() - offset));
        offset += static_cast<qsizetype>(parsed);
        const auto err = static_cast<http_errno>(m_parser->http_errno);
        if (err == HPE_PAUSED) {
            http_parser_pause(m_parser.get(), 0); // paused at a full pipeline: resume later
            continue;
        }
        if (err != HPE_OK) {
            if (err == HPE_HEADER_OVERFLOW) {
                failParse(431, "request headers are too large");
            } else {
                failParse(400,
                          QByteArray("malformed HTTP request: ") + http_errno_description(err));
            }
            offset = m_inbox.size();
            break;
        }
        if (parsed == 0) {
            break;
        }
    }
    m_inbox.remove(0, offset);
}

void HttpConnection::dispatchNext() {
    if (m_active || m_closing) {
        return;
    }
    if (m_pending.empty()) {
        // Free again after answering: whatever the client still owes is timed from now. Only
        // here, at a change of state, never per read: a slowloris must not push its deadline.
        if (!m_parseFailed && m_wait == Wait::Nothing) {
            waitFor(m_inMessage ? (m_headDone ? Wait::Body : Wait::Head) : Wait::Idle);
        }
        return;
    }
    HttpRequest request = std::move(m_pending.front());
    m_pending.pop_front();
    auto* responder =
        new HttpResponder(this, request.httpMinor, request.keepAlive, request.method == "HEAD");
    m_active = responder;
    if (m_handler) {
        m_handler(request, responder);
    }
    // A malformed request the handler left unanswered (or no handler at all) gets a plain answer.
    if (m_active == responder && !responder->headersSent() &&
        (request.parseError != 0 || !m_handler)) {
        const QByteArray body = "{\"error\":{\"message\":\"" + request.parseErrorMessage +
                                "\",\"type\":\"invalid_request_error\"}}";
        responder->respond(request.parseError ? request.parseError : 500,
                           {{"content-type", "application/json"}}, body);
    }
}

void HttpConnection::waitFor(Wait wait) {
    // A connection's first request head is timed from the accept, not from its first byte, so
    // a client cannot double its allowance by waiting before it starts to drip.
    if (wait == Wait::Head && m_wait == Wait::FirstByte && m_limits.headerTimeoutMs > 0) {
        m_wait = Wait::Head;
        m_deadline = m_waitingSince + m_limits.headerTimeoutMs;
        return;
    }
    const auto shorter = [](int a, int b) { return a <= 0 ? b : (b <= 0 ? a : std::min(a, b)); };
    int ms = 0;
    switch (wait) {
    case Wait::Nothing:
        break;
    case Wait::FirstByte:
        // Silent so far: both idle and owing a request head; the shorter limit applies.
        ms = shorter(m_limits.headerTimeoutMs, m_limits.idleTimeoutMs);
        break;
    case Wait::Head:
        ms = m_limits.headerTimeoutMs;
        break;
    case Wait::Body:
        ms = m_limits.bodyTimeoutMs;
        break;
    case Wait::Idle:
        ms = m_limits.idleTimeoutMs;
        break;
    }
    m_wait = ms > 0 ? wait : Wait::Nothing;
    if (ms > 0) {
        m_waitingSince = nowMs();
        m_deadline = m_waitingSince + ms;
    }
}

void HttpConnection::expire() {
    const Wait wait = m_closing ? Wait::Nothing : m_wait;
    m_wait = Wait::Nothing;
    switch (wait) {
    case Wait::Nothing:
        return;
    case Wait::FirstByte:
    case Wait::Idle:
        // Nothing was asked, so nothing is answered (as nginx does): a client reusing the
        // connection just then sees a close, which HTTP clients retry, not a stray 408.
        closeAfterWrite();
        return;
    case Wait::Head:
        failParse(408,
                  "the request head did not arrive within " + describeMs(m_limits.headerTimeoutMs));
        break;
    case Wait::Body:
        failParse(408, "the request body did not arrive within " +
                           describeMs(m_limits.bodyTimeoutMs) + " of its head");
        break;
    }
    // Deadlines run only while no response is under way, so the 408 is the first byte written
    // for this request; the handler shapes it like any parse error, then the connection closes.
    dispatchNext();
}

void HttpConnection::writeBytes(const QByteArray& bytes, Send send) {
    if (m_closing || m_writeFailed || m_socket->state() != QAbstractSocket::ConnectedState) {
        return;
    }
    // The socket is unbuffered: a write goes to the kernel at once (what the kernel does not
    // take waits in Qt's buffer for a write notification). Bytes sent Soon (a head and what
    // follows it in this turn) gather here and go in one write at the start of the next turn,
    // before it polls; bytes sent Now take whatever gathered with them.
    if (send == Send::Soon) {
        m_out.append(bytes);
        if (!m_flushQueued) {
            m_flushQueued = true;
            QMetaObject::invokeMethod(this, &HttpConnection::flushWrites, Qt::QueuedConnection);
        }
        return;
    }
    if (m_out.isEmpty()) {
        writeToSocket(bytes);
        return;
    }
    m_out.append(bytes);
    flushWrites();
}

void HttpConnection::writeToSocket(const QByteArray& bytes) {
    if (m_socket->write(bytes) >= 0) {
        return;
    }
    // The peer is gone (EPIPE, a reset): the socket layer closed itself, with no disconnected
    // signal to follow, and the socket still reads as connected. Nothing more is written; the
    // caller is told it left at the next turn, not inside whoever was writing (a responder, a
    // completion).
    m_writeFailed = true;
    QMetaObject::invokeMethod(this, &HttpConnection::abandon, Qt::QueuedConnection);
}

void HttpConnection::flushWrites() {
    m_flushQueued = false;
    if (m_out.isEmpty()) {
        return;
    }
    if (!m_gone && !m_writeFailed && m_socket->state() == QAbstractSocket::ConnectedState) {
        writeToSocket(m_out);
    }
    m_out = QByteArray(); // no block kept for an idle connection
}

void HttpConnection::responseDone(HttpResponder* responder, bool keepAlive) {
    if (m_active == responder) {
        m_active = nullptr;
    }
    responder->deleteLater();
    if (!keepAlive || m_closing) {
        closeAfterWrite();
        return;
    }
    // Pipelined requests may already be waiting, or unread because we paused reading.
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (!m_closing) {
                readAvailable();
            }
        },
        Qt::QueuedConnection);
}

void HttpConnection::closeAfterWrite() {
    if (m_closing) {
        return;
    }
    flushWrites(); // before m_closing stops writes
    m_closing = true;
    m_wait = Wait::Nothing;
    // A client that stops reading cannot hold the connection: give up after a while.
    m_linger.start(kDrainTimeoutMs);
    if (m_socket->bytesToWrite() == 0) {
        lingerClose();
    } else {
        connect(m_socket, &QAbstractSocket::bytesWritten, this, [this] {
            if (m_socket->bytesToWrite() == 0) {
                lingerClose();
            }
        });
    }
}

void HttpConnection::lingerClose() {
    if (m_lingering || m_gone) {
        return;
    }
    m_lingering = true;
    // Lingering close: send FIN but keep reading (and discarding) for a moment. Closing with
    // unread request bytes in the kernel would send RST, and the client would lose the answer
    // it has not read yet (a 413 for an oversized upload, say).
    const qintptr fd = m_socket->socketDescriptor();
    if (fd >= 0) {
        ::shutdown(static_cast<int>(fd), SHUT_WR);
    }
    m_linger.start(kLingerMs);
    readAvailable();
}

void HttpConnection::abandon() {
    if (m_gone) {
        return;
    }
    m_socket->abort();
    onDisconnected();
}

void HttpConnection::resetNow() {
    m_closing = true;
    m_wait = Wait::Nothing;
    const qintptr fd = m_socket->socketDescriptor();
    if (fd >= 0) {
        linger lin{1, 0}; // close with RST instead of FIN
        ::setsockopt(static_cast<int>(fd), SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
    }
    m_socket->abort();
    onDisconnected();
}

void HttpConnection::onDisconnected() {
    if (m_gone) {
        return;
    }
    m_gone = true;
    m_closing = true;
    m_wait = Wait::Nothing;
    m_linger.stop();
    if (m_active) {
        m_active->markClientGone();
    }
    Q_EMIT closed();
    deleteLater();
}

} // namespace sluice
