#include "core/server/httpconnection.h"

#include "core/server/httpresponder.h"

#include <QTcpSocket>

#include <sys/socket.h>

namespace sluice {

namespace {
constexpr qint64 kSocketReadBuffer = 256 * 1024;
constexpr qsizetype kInboxWhenFull = 64 * 1024;
constexpr int kDrainTimeoutMs = 30'000; // to write out the last response
constexpr int kLingerMs = 2'000;        // to read what the client still sends after our FIN
} // namespace

const http_parser_settings& HttpConnection::parserSettings() {
    static const http_parser_settings settings = [] {
        http_parser_settings s;
        http_parser_settings_init(&s);
        s.on_message_begin = &HttpConnection::onMessageBegin;
        s.on_url = &HttpConnection::onUrl;
        s.on_header_field = &HttpConnection::onHeaderField;
        s.on_header_value = &HttpConnection::onHeaderValue;
        s.on_headers_complete = &HttpConnection::onHeadersComplete;
        s.on_body = &HttpConnection::onBody;
        s.on_message_complete = &HttpConnection::onMessageComplete;
        return s;
    }();
    return settings;
}

namespace {

HttpConnection* self(http_parser* p) {
    return static_cast<HttpConnection*>(p->data);
}

void splitTarget(HttpRequest& r) {
    QByteArray target = r.target;
    // Absolute form ("http://host/path") as proxies receive it: keep only the path.
    if (target.startsWith("http://") || target.startsWith("https://")) {
        const qsizetype slash = target.indexOf('/', target.indexOf("//") + 2);
        target = slash < 0 ? QByteArrayLiteral("/") : target.mid(slash);
    }
    const qsizetype q = target.indexOf('?');
    r.path = q < 0 ? target : target.left(q);
    r.query = q < 0 ? QByteArray() : target.mid(q + 1);
    const qsizetype hash = r.query.indexOf('#');
    if (hash >= 0) {
        r.query.truncate(hash);
    }
}

} // namespace

HttpConnection::HttpConnection(QTcpSocket* socket, HttpHandler handler, HttpServerLimits limits,
                               QObject* parent)
    : QObject(parent)
    , m_socket(socket)
    , m_handler(std::move(handler))
    , m_limits(limits) {
    m_socket->setParent(this);
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    http_parser_init(&m_parser, HTTP_REQUEST);
    m_parser.data = this;

    m_idle.setSingleShot(true);
    m_idle.setInterval(m_limits.idleTimeoutMs);
    connect(&m_idle, &QTimer::timeout, this, &HttpConnection::closeAfterWrite);
    m_linger.setSingleShot(true);
    connect(&m_linger, &QTimer::timeout, this, &HttpConnection::abandon);
    m_socket->setReadBufferSize(kSocketReadBuffer);
    connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnection::readAvailable);
    connect(m_socket, &QTcpSocket::disconnected, this, &HttpConnection::onDisconnected);
    m_idle.start();
    if (m_socket->bytesAvailable() > 0) {
        readAvailable();
    }
}

HttpConnection::~HttpConnection() {
    if (m_socket) {
        m_socket->disconnect(this);
    }
}

int HttpConnection::onMessageBegin(http_parser* p) {
    HttpConnection* c = self(p);
    c->m_building = HttpRequest{};
    c->m_building.peer = c->m_socket->peerAddress();
    c->m_inField = false;
    return 0;
}

int HttpConnection::onUrl(http_parser* p, const char* at, size_t len) {
    self(p)->m_building.target.append(at, static_cast<qsizetype>(len));
    return 0;
}

int HttpConnection::onHeaderField(http_parser* p, const char* at, size_t len) {
    // http-parser may split a name or value across callbacks: a field after a value starts a
    // new header, a field after a field continues the name.
    HttpConnection* c = self(p);
    if (!c->m_inField) {
        c->m_building.headers.append({QByteArray(), QByteArray()});
        c->m_inField = true;
    }
    c->m_building.headers.last().first.append(
        QByteArray(at, static_cast<qsizetype>(len)).toLower());
    return 0;
}

int HttpConnection::onHeaderValue(http_parser* p, const char* at, size_t len) {
    HttpConnection* c = self(p);
    c->m_inField = false;
    if (c->m_building.headers.isEmpty()) {
        return 1;
    }
    c->m_building.headers.last().second.append(at, static_cast<qsizetype>(len));
    return 0;
}

int HttpConnection::onHeadersComplete(http_parser* p) {
    HttpConnection* c = self(p);
    HttpRequest& r = c->m_building;
    r.method = http_method_str(static_cast<http_method>(p->method));
    r.httpMajor = p->http_major;
    r.httpMinor = p->http_minor;
    r.keepAlive = http_should_keep_alive(p) != 0;
    for (auto& header : r.headers) {
        header.second = header.second.trimmed();
    }
    splitTarget(r);
    if (p->method == HTTP_CONNECT) {
        c->failParse(405, "CONNECT is not supported: this is not a proxy");
        return 3;
    }
    // We never switch protocols (h2c, websocket): treat an upgrade request as a plain request,
    // body included, and answer it in HTTP/1.1.
    p->upgrade = 0;
    if (p->http_major != 1) {
        c->failParse(505, "HTTP/" + QByteArray::number(p->http_major) + '.' +
                              QByteArray::number(p->http_minor) +
                              " is not supported; use HTTP/1.1");
        return 3; // an error: stop parsing
    }
    if (p->content_length != ULLONG_MAX &&
        p->content_length > static_cast<quint64>(c->m_limits.maxBodyBytes)) {
        c->failParse(413, "request body of " + QByteArray::number(qulonglong(p->content_length)) +
                              " bytes is larger than the limit of " +
                              QByteArray::number(c->m_limits.maxBodyBytes) + " bytes");
        return 3; // any value but 0, 1 and 2 is an error: stop parsing
    }
    // "Expect: 100-continue" (curl sends it for bodies over 1 KB): invite the body at once, unless
    // an earlier pipelined response is still being written, which the interim answer would split.
    if (r.httpMinor >= 1 && r.header("expect").compare("100-continue", Qt::CaseInsensitive) == 0 &&
        !c->m_active && c->m_pending.empty()) {
        c->m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    }
    return 0;
}

int HttpConnection::onBody(http_parser* p, const char* at, size_t len) {
    HttpConnection* c = self(p);
    if (c->m_building.body.size() + static_cast<qint64>(len) > c->m_limits.maxBodyBytes) {
        c->failParse(413, "request body is larger than the limit of " +
                              QByteArray::number(c->m_limits.maxBodyBytes) + " bytes");
        return 1;
    }
    c->m_building.body.append(at, static_cast<qsizetype>(len));
    return 0;
}

int HttpConnection::onMessageComplete(http_parser* p) {
    HttpConnection* c = self(p);
    c->m_pending.push_back(std::move(c->m_building));
    c->m_building = HttpRequest{};
    if (static_cast<int>(c->m_pending.size()) >= c->m_limits.maxPipelined) {
        http_parser_pause(p, 1); // parse no further until responses make room
    }
    return 0;
}

void HttpConnection::failParse(int status, const QByteArray& message) {
    if (m_parseFailed) {
        return;
    }
    m_parseFailed = true;
    HttpRequest r = m_building;
    r.parseError = status;
    r.parseErrorMessage = message;
    r.keepAlive = false;
    if (r.method.isEmpty()) {
        r.method = "GET";
    }
    m_pending.push_back(std::move(r));
}

void HttpConnection::readAvailable() {
    if (m_closing) {
        m_socket->readAll(); // lingering close: drain what the client still sends
        return;
    }
    if (m_parseFailed) {
        m_socket->readAll();
        dispatchNext(); // answer what was parsed before the error, then the error itself
        return;
    }
    // With the pipeline full, leave further bytes in the socket: its bounded read buffer turns
    // that into TCP back-pressure on the client.
    const bool full = static_cast<int>(m_pending.size()) >= m_limits.maxPipelined;
    if (!full || m_inbox.size() < kInboxWhenFull) {
        m_inbox += m_socket->readAll();
    }
    parseInbox();
    dispatchNext();
}

void HttpConnection::parseInbox() {
    qsizetype offset = 0;
    while (offset < m_inbox.size() && !m_parseFailed &&
           static_cast<int>(m_pending.size()) < m_limits.maxPipelined) {
        const size_t parsed =
            http_parser_execute(&m_parser, &parserSettings(), m_inbox.constData() + offset,
                                static_cast<size_t>(m_inbox.size() - offset));
        offset += static_cast<qsizetype>(parsed);
        const auto err = static_cast<http_errno>(m_parser.http_errno);
        if (err == HPE_PAUSED) {
            http_parser_pause(&m_parser, 0); // paused at a full pipeline: resume later
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
    if (!m_inbox.isEmpty() || !m_pending.empty()) {
        m_idle.stop();
    }
}

void HttpConnection::dispatchNext() {
    if (m_active || m_closing) {
        return;
    }
    if (m_pending.empty()) {
        if (!m_parseFailed) {
            m_idle.start();
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

void HttpConnection::writeBytes(const QByteArray& bytes) {
    if (!m_closing && m_socket->state() == QAbstractSocket::ConnectedState) {
        m_socket->write(bytes);
    }
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
    m_closing = true;
    m_idle.stop();
    // A client that stops reading cannot hold the connection: give up after a while.
    m_linger.start(kDrainTimeoutMs);
    if (m_socket->bytesToWrite() == 0) {
        lingerClose();
    } else {
        connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
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
    m_idle.stop();
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
    m_idle.stop();
    m_linger.stop();
    if (m_active) {
        m_active->markClientGone();
    }
    Q_EMIT closed();
    deleteLater();
}

} // namespace sluice
