#include "core/server/httpconnection.h"

#include "core/server/httpresponder.h"

#include <http_parser.h>

namespace sluice {

// The parsing half of HttpConnection: http_parser's callbacks, which build m_building and queue
// each whole request (httpconnection.cpp reads, dispatches, writes and closes).
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

int HttpConnection::onMessageBegin(http_parser* p) {
    HttpConnection* c = self(p);
    c->m_building = HttpRequest{};
    c->m_building.peer = c->m_socket->peerAddress();
    c->m_inField = false;
    c->m_inMessage = true;
    c->m_headDone = false;
    // A request begun behind one being answered is timed once the connection is free again.
    if (!c->busy()) {
        c->waitFor(Wait::Head);
    }
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
        c->writeBytes(QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"), Send::Now);
    }
    c->m_headDone = true;
    if (!c->busy()) {
        c->waitFor(Wait::Body);
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
    c->m_building.arrivedNs = c->m_inboxArrivedNs;
    c->m_pending.push_back(std::move(c->m_building));
    c->m_building = HttpRequest{};
    c->m_inMessage = false;
    c->m_headDone = false;
    c->waitFor(Wait::Nothing); // read in full: now it is our turn
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
    waitFor(Wait::Nothing); // the error answer is all that is left
    HttpRequest r = m_building;
    r.parseError = status;
    r.parseErrorMessage = message;
    r.keepAlive = false;
    if (r.method.isEmpty()) {
        r.method = "GET";
    }
    m_pending.push_back(std::move(r));
}

} // namespace sluice
