#include "core/net/http1connection.h"

#include "core/net/http1pool.h"
#include "core/net/http1reply.h"
#include "core/net/readscratch.h"
#include "core/net/receivestamp.h"

#include <QSslSocket>
#include <QTcpSocket>

#include <http_parser.h>

namespace sluice {

namespace {

Http1Connection* self(http_parser* p) {
    return static_cast<Http1Connection*>(p->data);
}

} // namespace

Http1Connection::Http1Connection(Http1Pool* pool, Origin origin)
    : QObject(pool)
    , m_pool(pool)
    , m_origin(std::move(origin))
    , m_parser(std::make_unique<http_parser>()) {
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &Http1Connection::onTimer);
    resetParser();
    connectSocket();
}

Http1Connection::~Http1Connection() {
    if (m_reply) {
        m_reply->setConnection(nullptr);
        m_reply = nullptr;
    }
    if (m_socket) {
        m_socket->disconnect(this);
        delete m_socket;
    }
}

void Http1Connection::connectSocket() {
    m_socket = makeOriginSocket(m_origin, QByteArrayLiteral("http/1.1"), this);
    if (auto* ssl = qobject_cast<QSslSocket*>(m_socket)) {
        connect(ssl, &QSslSocket::encrypted, this, &Http1Connection::onReady);
    }
    connect(m_socket, &QAbstractSocket::connected, this, &Http1Connection::onConnected);
    connect(m_socket, &QIODevice::readyRead, this, &Http1Connection::onReadyRead);
    connect(m_socket, &QAbstractSocket::errorOccurred, this, &Http1Connection::onSocketError);
    connect(m_socket, &QAbstractSocket::disconnected, this, &Http1Connection::onDisconnected);
    connectToOrigin(m_socket, m_origin, SocketBuffering::Unbuffered);
}

bool Http1Connection::isReusable() const {
    return !m_closed && m_ready && !m_reply && m_socket->state() == QAbstractSocket::ConnectedState;
}

void Http1Connection::start(Http1Reply* reply) {
    Q_ASSERT(!m_reply && !m_closed);
    m_reply = reply;
    reply->setConnection(this);
    m_reused = m_served > 0;
    m_gotBytes = false;
    m_timeoutMs = reply->request().transferTimeout();
    if (m_timeoutMs > 0) {
        m_sinceByte.start();
        m_timer.start(m_timeoutMs);
    }
    if (m_ready) {
        writeRequest();
    }
}

void Http1Connection::abandon(Http1Reply* reply) {
    if (m_reply != reply) {
        return;
    }
    m_reply = nullptr;
    closeNow();
}

void Http1Connection::onConnected() {
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    if (!m_origin.tls) {
        m_stamped = m_pool->receiveStamps() && enableReceiveStamps(m_socket->socketDescriptor());
        onReady();
    }
}

void Http1Connection::onReady() {
    m_ready = true;
    if (m_reply) {
        writeRequest();
    }
}

void Http1Connection::writeRequest() {
    Http1Reply* reply = m_reply;
    const QNetworkRequest request = reply->request();
    const QUrl url = request.url();
    QByteArray target =
        url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::RemoveFragment);
    if (!target.startsWith('/')) {
        target.prepend('/');
    }
    const QByteArray& body = reply->body();
    const QByteArray& method = reply->method();
    QByteArray out;
    out.reserve(512 + body.size());
    out.append(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ");
    const QByteArray host = url.host(QUrl::FullyEncoded).toLatin1();
    if (host.contains(':')) {
        out.append('[').append(host).append(']');
    } else {
        out.append(host);
    }
    if (m_origin.port != (m_origin.tls ? 443 : 80)) {
        out.append(':').append(QByteArray::number(m_origin.port));
    }
    out.append("\r\n");
    const QList<QByteArray> names = request.rawHeaderList();
    for (const QByteArray& name : names) {
        if (name.compare("host", Qt::CaseInsensitive) == 0 ||
            name.compare("content-length", Qt::CaseInsensitive) == 0) {
            continue;
        }
        out.append(name).append(": ").append(request.rawHeader(name)).append("\r\n");
    }
    if (!body.isEmpty() || method == "POST" || method == "PUT" || method == "PATCH") {
        out.append("Content-Length: ").append(QByteArray::number(body.size())).append("\r\n");
    }
    out.append("\r\n").append(body);
    m_socket->write(out);
    m_socket->flush(); // now, not on the next turn of the event loop
    if (m_reply == reply) {
        reply->markSent();
    }
}

void Http1Connection::onReadyRead() {
    if (m_closed) {
        return;
    }
    if (!m_reply) {
        closeNow(); // an idle connection has nothing to say unless it is closing
        return;
    }
    // Plain TCP is unbuffered (origin.h): every readyRead must read, and the read that meets
    // the peer's close returns -1 with no signal from Qt. TLS is buffered: read until Qt's
    // buffer is empty, since readyRead does not come again for bytes it already holds.
    const ReadScratch scratch;
    for (int reads = 0; reads < 64 && m_reply && !m_closed; ++reads) {
        // With receive stamps on, a peek first says when the waiting bytes arrived; the read
        // then takes exactly those bytes (Qt's read, which keeps its notifier and close state).
        qint64 want = ReadScratch::kSize;
        m_reply->setArrivedNs(0);
        if (m_stamped) {
            const PeekedBytes peeked =
                peekStamped(m_socket->socketDescriptor(), scratch.data(), ReadScratch::kSize);
            if (peeked.size > 0) {
                want = peeked.size;
                m_reply->setArrivedNs(peeked.arrivedNs);
            }
        }
        const qint64 n = m_socket->read(scratch.data(), want);
        if (n < 0) {
            feed(nullptr, 0); // the end of the stream ends a body read until close
            closeNow();
            return;
        }
        if (n == 0) {
            return;
        }
        m_gotBytes = true;
        if (m_timeoutMs > 0) {
            m_sinceByte.restart();
        }
        if (!feed(scratch.data(), n) || n < want || want < ReadScratch::kSize) {
            return;
        }
    }
}

bool Http1Connection::feed(const char* data, qsizetype size) {
    Http1Reply* reply = m_reply;
    const std::size_t used =
        http_parser_execute(m_parser.get(), &settings(), data, static_cast<std::size_t>(size));
    const auto error = static_cast<http_errno>(m_parser->http_errno);
    const bool bad = error != HPE_OK && error != HPE_PAUSED;
    // What arrived is delivered before how it ended, each step as its own signal; a handler
    // may abort the reply (m_reply changes), so every step checks.
    if (m_headDone) {
        m_headDone = false;
        reply->deliverHead(static_cast<int>(m_parser->status_code), m_reason, m_headers,
                           m_origin.tls, false);
        if (m_reply != reply) {
            return false;
        }
    }
    if (m_bodyNew) {
        m_bodyNew = false;
        reply->deliverReadyRead();
        if (m_reply != reply) {
            return false;
        }
    }
    if (bad) {
        if (size == 0) {
            failReply(QNetworkReply::RemoteHostClosedError,
                      tr("Connection closed before the response ended"));
        } else {
            failReply(QNetworkReply::ProtocolFailure,
                      tr("Invalid HTTP response: %1")
                          .arg(QString::fromLatin1(http_errno_description(error))));
        }
        return false;
    }
    if (m_complete) {
        if (used < static_cast<std::size_t>(size)) {
            m_served = -1; // bytes past the end of the answer: never reuse this connection
        }
        finishReply();
        return false;
    }
    if (size == 0) {
        failReply(QNetworkReply::RemoteHostClosedError, tr("Connection closed"));
        return false;
    }
    return true;
}

void Http1Connection::finishReply() {
    Http1Reply* reply = m_reply;
    m_reply = nullptr;
    reply->setConnection(nullptr);
    m_timer.stop();
    const bool keepAlive = m_served >= 0 && http_should_keep_alive(m_parser.get()) && !m_closed &&
                           m_socket->state() == QAbstractSocket::ConnectedState;
    if (keepAlive) {
        ++m_served;
        resetParser();
        m_pool->release(this); // warm for whoever the finished() handler sends next
    } else {
        closeNow();
    }
    reply->deliverFinished();
}

void Http1Connection::failReply(int code, const QString& message) {
    Http1Reply* reply = m_reply;
    if (!reply) {
        return;
    }
    m_reply = nullptr;
    reply->setConnection(nullptr);
    const auto error = static_cast<QNetworkReply::NetworkError>(code);
    // The server closed a kept-alive connection as the request went: QNAM sends it once more.
    const bool retry =
        m_reused && !m_gotBytes && !reply->retried() && error != QNetworkReply::TimeoutError;
    closeNow();
    if (retry) {
        reply->setRetried();
        m_pool->retry(reply);
    } else {
        reply->deliverError(error, message);
    }
}

void Http1Connection::onSocketError() {
    if (m_closed) {
        return;
    }
    const QAbstractSocket::SocketError error = m_socket->error();
    if (error == QAbstractSocket::RemoteHostClosedError) {
        onDisconnected();
        return;
    }
    // Never connected (refused, unreachable): nothing to read, and asking an unconnected
    // unbuffered socket what it holds only draws a warning from Qt.
    if (m_reply && m_socket->state() != QAbstractSocket::UnconnectedState &&
        m_socket->bytesAvailable() > 0) {
        onReadyRead(); // what came before the error is delivered first
    }
    if (!m_reply) {
        closeNow();
        return;
    }
    const QNetworkReply::NetworkError code = networkErrorOf(error);
    QString message = m_socket->errorString();
    if (code == QNetworkReply::SslHandshakeFailedError) {
        message = tr("SSL handshake failed: %1").arg(message);
    } else if (code == QNetworkReply::HostNotFoundError) {
        message = tr("Host %1 not found").arg(m_origin.host);
    }
    failReply(code, message);
}

void Http1Connection::onDisconnected() {
    if (m_closed) {
        return;
    }
    if (m_reply && m_socket->bytesAvailable() > 0) {
        onReadyRead();
    }
    if (m_reply && !m_closed) {
        feed(nullptr, 0); // the end of the stream ends a body read until close
    }
    closeNow();
}

void Http1Connection::onTimer() {
    if (!m_reply || m_timeoutMs <= 0) {
        return;
    }
    const qint64 left = m_timeoutMs - m_sinceByte.elapsed();
    if (left > 0) {
        m_timer.start(static_cast<int>(left));
        return;
    }
    failReply(QNetworkReply::TimeoutError, tr("Operation timed out"));
}

void Http1Connection::closeNow() {
    if (m_closed) {
        return;
    }
    m_closed = true;
    m_timer.stop();
    m_socket->disconnect(this);
    m_socket->abort();
    m_pool->drop(this);
}

void Http1Connection::resetParser() {
    http_parser_init(m_parser.get(), HTTP_RESPONSE);
    m_parser->data = this;
    m_reason.clear();
    m_headers.clear();
    m_inValue = m_headDone = m_bodyNew = m_complete = false;
}

const http_parser_settings& Http1Connection::settings() {
    static const http_parser_settings s = [] {
        http_parser_settings out;
        http_parser_settings_init(&out);
        out.on_status = &Http1Connection::onStatus;
        out.on_header_field = &Http1Connection::onHeaderField;
        out.on_header_value = &Http1Connection::onHeaderValue;
        out.on_headers_complete = &Http1Connection::onHeadersComplete;
        out.on_body = &Http1Connection::onBody;
        out.on_message_complete = &Http1Connection::onMessageComplete;
        return out;
    }();
    return s;
}

int Http1Connection::onStatus(http_parser* p, const char* at, size_t len) {
    self(p)->m_reason.append(at, static_cast<qsizetype>(len));
    return 0;
}

int Http1Connection::onHeaderField(http_parser* p, const char* at, size_t len) {
    Http1Connection* c = self(p);
    if (c->m_inValue || c->m_headers.isEmpty()) {
        c->m_headers.append({QByteArray(at, static_cast<qsizetype>(len)), QByteArray()});
        c->m_inValue = false;
    } else {
        c->m_headers.last().first.append(at, static_cast<qsizetype>(len));
    }
    return 0;
}

int Http1Connection::onHeaderValue(http_parser* p, const char* at, size_t len) {
    Http1Connection* c = self(p);
    if (c->m_headers.isEmpty()) {
        return 1;
    }
    c->m_headers.last().second.append(at, static_cast<qsizetype>(len));
    c->m_inValue = true;
    return 0;
}

int Http1Connection::onHeadersComplete(http_parser* p) {
    Http1Connection* c = self(p);
    if (p->status_code >= 100 && p->status_code < 200) {
        c->m_informational = true; // 100 Continue and the like: the real answer follows
        return 0;
    }
    c->m_headDone = true;
    return c->m_reply && c->m_reply->method() == "HEAD" ? 1 : 0; // 1: no body follows
}

int Http1Connection::onBody(http_parser* p, const char* at, size_t len) {
    Http1Connection* c = self(p);
    c->m_reply->appendBody(at, static_cast<qsizetype>(len));
    c->m_bodyNew = true;
    return 0;
}

int Http1Connection::onMessageComplete(http_parser* p) {
    Http1Connection* c = self(p);
    if (c->m_informational) {
        c->m_informational = false;
        c->m_reason.clear();
        c->m_headers.clear();
        c->m_inValue = false;
        return 0;
    }
    c->m_complete = true;
    http_parser_pause(p, 1); // one answer per request: parse nothing past it
    return 0;
}

} // namespace sluice
