#include "core/net/http2connection.h"

#include "core/net/http2pool.h"
#include "core/net/http2reply.h"
#include "core/net/http2requesthead.h"

#include <QSslSocket>
#include <QTcpSocket>

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

namespace sluice {

namespace {
// Large receive windows: streamed answers are never held back by WINDOW_UPDATE round trips.
constexpr std::int32_t kStreamWindow = 1 << 20;
constexpr std::int32_t kConnectionWindow = 64 << 20;
// A server that sets no limit still gets no more than this many streams per connection.
constexpr std::uint32_t kMaxStreamsPerConnection = 1000;

QNetworkReply::NetworkError networkErrorOf(QAbstractSocket::SocketError error) {
    switch (error) {
    case QAbstractSocket::ConnectionRefusedError:
        return QNetworkReply::ConnectionRefusedError;
    case QAbstractSocket::HostNotFoundError:
        return QNetworkReply::HostNotFoundError;
    case QAbstractSocket::RemoteHostClosedError:
        return QNetworkReply::RemoteHostClosedError;
    case QAbstractSocket::SocketTimeoutError:
        return QNetworkReply::TimeoutError;
    case QAbstractSocket::SslHandshakeFailedError:
    case QAbstractSocket::SslInternalError:
    case QAbstractSocket::SslInvalidUserDataError:
        return QNetworkReply::SslHandshakeFailedError;
    default:
        return QNetworkReply::UnknownNetworkError;
    }
}

qint64 nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace

/// One request's stream and what happened on it, not yet delivered.
struct Http2Connection::Stream {
    std::int32_t id = 0;
    QPointer<Http2Reply> reply;
    qsizetype uploaded = 0; ///< request body bytes framed
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers;
    bool sent = false;    ///< HEADERS written, requestSent() not delivered yet
    bool headIn = false;  ///< final head received, not delivered yet
    bool gotHead = false; ///< a final head was received at all
    bool bodyNew = false; ///< DATA received, readyRead() not delivered yet
    bool closed = false;  ///< the stream ended, not delivered yet
    std::uint32_t errorCode = 0;
    bool touched = false;
    int timeoutMs = 0; ///< the request's transferTimeout(); 0: none
    qint64 lastMs = 0; ///< nowMs() when the request went or its last bytes came
};

struct Http2Connection::Callbacks {
    static Http2Connection* self(void* user) { return static_cast<Http2Connection*>(user); }

    static int header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                      std::size_t nameLen, const std::uint8_t* value, std::size_t valueLen,
                      std::uint8_t, void* user) {
        if (frame->hd.type != NGHTTP2_HEADERS) {
            return 0;
        }
        Stream* s = self(user)->find(frame->hd.stream_id);
        if (!s || s->gotHead) {
            return 0; // trailers are dropped, as QNAM drops them
        }
        const QByteArrayView n(name, static_cast<qsizetype>(nameLen));
        const QByteArray v(reinterpret_cast<const char*>(value), static_cast<qsizetype>(valueLen));
        if (n == ":status") {
            s->status = v.toInt();
        } else if (!n.startsWith(':')) {
            s->headers.append({n.toByteArray(), v});
        }
        return 0;
    }

    static int frameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
        Http2Connection* c = self(user);
        switch (frame->hd.type) {
        case NGHTTP2_SETTINGS:
            if (!(frame->hd.flags & NGHTTP2_FLAG_ACK) && !c->m_ready) {
                c->m_ready = true;
                c->m_readyNew = true;
            }
            c->m_capacity = static_cast<int>(
                std::min(nghttp2_session_get_remote_settings(
                             c->m_session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS),
                         kMaxStreamsPerConnection));
            return 0;
        case NGHTTP2_GOAWAY:
            c->m_goingAway = true;
            return 0;
        case NGHTTP2_HEADERS: {
            Stream* s = c->find(frame->hd.stream_id);
            if (!s || s->gotHead) {
                return 0;
            }
            if (s->status >= 100 && s->status < 200) {
                s->status = 0; // an interim answer: the real head follows
                s->headers.clear();
                return 0;
            }
            s->gotHead = true;
            s->headIn = true;
            c->touch(s);
            return 0;
        }
        default:
            return 0;
        }
    }

    static int dataChunk(nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                         std::size_t len, void* user) {
        Http2Connection* c = self(user);
        Stream* s = c->find(id);
        if (!s || !s->reply) {
            return 0;
        }
        s->reply->appendBody(reinterpret_cast<const char*>(data), static_cast<qsizetype>(len));
        s->bodyNew = true;
        c->touch(s);
        return 0;
    }

    static int frameSend(nghttp2_session*, const nghttp2_frame* frame, void* user) {
        if (frame->hd.type == NGHTTP2_HEADERS) {
            Http2Connection* c = self(user);
            if (Stream* s = c->find(frame->hd.stream_id)) {
                s->sent = true;
                c->touch(s);
            }
        }
        return 0;
    }

    static int streamClose(nghttp2_session*, std::int32_t id, std::uint32_t errorCode, void* user) {
        Http2Connection* c = self(user);
        auto it = c->m_streams.find(id);
        if (it == c->m_streams.end()) {
            return 0;
        }
        it->second->closed = true;
        it->second->errorCode = errorCode;
        c->touch(it->second.get());
        c->m_ended.push_back(std::move(it->second));
        c->m_streams.erase(it);
        return 0;
    }

    static ssize_t readBody(nghttp2_session*, std::int32_t id, std::uint8_t* buf,
                            std::size_t length, std::uint32_t* flags, nghttp2_data_source*,
                            void* user) {
        Stream* s = self(user)->find(id);
        if (!s || !s->reply) {
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        const QByteArray& body = s->reply->body();
        const auto n = static_cast<std::size_t>(
            std::min<qsizetype>(body.size() - s->uploaded, static_cast<qsizetype>(length)));
        std::memcpy(buf, body.constData() + s->uploaded, n);
        s->uploaded += static_cast<qsizetype>(n);
        if (s->uploaded == body.size()) {
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        }
        return static_cast<ssize_t>(n);
    }
};

Http2Connection::Http2Connection(Http2Pool* pool, Origin origin)
    : QObject(pool)
    , m_pool(pool)
    , m_origin(std::move(origin)) {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, &Callbacks::header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &Callbacks::frameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &Callbacks::dataChunk);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, &Callbacks::frameSend);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, &Callbacks::streamClose);
    nghttp2_session_client_new(&m_session, cb, this);
    nghttp2_session_callbacks_del(cb);
    connect(&m_sweep, &QTimer::timeout, this, &Http2Connection::sweepTimeouts);

    if (m_origin.tls) {
        auto* socket = new QSslSocket(this);
        QSslConfiguration ssl = m_origin.ssl;
        ssl.setAllowedNextProtocols({QByteArrayLiteral("h2")});
        socket->setSslConfiguration(ssl);
        connect(socket, &QSslSocket::encrypted, this, &Http2Connection::onEncrypted);
        m_socket = socket;
    } else {
        m_socket = new QTcpSocket(this);
    }
    connect(m_socket, &QAbstractSocket::connected, this, &Http2Connection::onConnected);
    connect(m_socket, &QIODevice::readyRead, this, &Http2Connection::onReadyRead);
    connect(m_socket, &QAbstractSocket::errorOccurred, this, &Http2Connection::onSocketError);
    connect(m_socket, &QAbstractSocket::disconnected, this, &Http2Connection::onDisconnected);
    if (m_origin.tls) {
        static_cast<QSslSocket*>(m_socket)->connectToHostEncrypted(
            m_origin.host, m_origin.port,
            m_origin.peerVerifyName.isEmpty() ? m_origin.host : m_origin.peerVerifyName);
    } else {
        m_socket->connectToHost(m_origin.host, m_origin.port);
    }
}

Http2Connection::~Http2Connection() {
    for (auto& [id, s] : m_streams) {
        if (s->reply) {
            s->reply->setConnection(nullptr);
        }
    }
    if (m_socket) {
        m_socket->disconnect(this);
    }
    nghttp2_session_del(m_session);
}

Http2Connection::Stream* Http2Connection::find(std::int32_t id) const {
    auto it = m_streams.find(id);
    return it == m_streams.end() ? nullptr : it->second.get();
}

void Http2Connection::touch(Stream* stream) {
    if (!stream->touched) {
        stream->touched = true;
        m_touched.push_back(stream->id);
    }
}

void Http2Connection::onConnected() {
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    if (!m_origin.tls) {
        beginSession();
    }
}

void Http2Connection::onEncrypted() {
    const QByteArray alpn =
        static_cast<QSslSocket*>(m_socket)->sslConfiguration().nextNegotiatedProtocol();
    if (alpn != "h2") {
        failAll(QNetworkReply::ProtocolFailure,
                tr("%1 does not offer HTTP/2 over TLS (ALPN chose \"%2\")")
                    .arg(m_origin.host, QString::fromLatin1(alpn)));
        return;
    }
    beginSession();
}

void Http2Connection::beginSession() {
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(kStreamWindow)},
    };
    nghttp2_submit_settings(m_session, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    nghttp2_session_set_local_window_size(m_session, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
    flush();
}

void Http2Connection::start(Http2Reply* reply) {
    const QNetworkRequest request = reply->request();
    const QByteArray& body = reply->body();
    // nghttp2_nv points into `head`, which lives until nghttp2 has copied it (submit_request).
    const QList<QPair<QByteArray, QByteArray>> head =
        http2RequestHead(request, reply->method(), m_origin.tls, body.size());
    std::vector<nghttp2_nv> nva;
    nva.reserve(static_cast<std::size_t>(head.size()));
    for (const auto& [name, value] : head) {
        nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.constData())),
                       reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.constData())),
                       static_cast<std::size_t>(name.size()),
                       static_cast<std::size_t>(value.size()), NGHTTP2_NV_FLAG_NONE});
    }
    auto stream = std::make_unique<Stream>();
    stream->reply = reply;
    nghttp2_data_provider provider{};
    provider.read_callback = &Callbacks::readBody;
    const std::int32_t id = nghttp2_submit_request(m_session, nullptr, nva.data(), nva.size(),
                                                   body.isEmpty() ? nullptr : &provider, nullptr);
    if (id < 0) {
        reply->deliverError(
            QNetworkReply::ProtocolFailure,
            tr("HTTP/2 request not sent: %1").arg(QString::fromLatin1(nghttp2_strerror(id))));
        return;
    }
    stream->id = id;
    stream->timeoutMs = request.transferTimeout();
    stream->lastMs = nowMs();
    if (stream->timeoutMs > 0) {
        const int period = std::clamp(stream->timeoutMs / 10, 5, 1000);
        if (!m_sweep.isActive() || period < m_sweep.interval()) {
            m_sweep.start(period);
        }
    }
    reply->setConnection(this);
    m_streams[id] = std::move(stream);
    scheduleFlush();
}

void Http2Connection::abandon(Http2Reply* reply) {
    for (auto& [id, s] : m_streams) {
        if (s->reply == reply) {
            s->reply = nullptr;
            if (!m_closed) {
                nghttp2_submit_rst_stream(m_session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
                scheduleFlush();
            }
            return;
        }
    }
}

void Http2Connection::onReadyRead() {
    if (m_closed) {
        m_socket->readAll();
        return;
    }
    while (m_socket->bytesAvailable() > 0) {
        char buf[32768];
        const qint64 n = m_socket->read(buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        m_inSession = true;
        const ssize_t rv = nghttp2_session_mem_recv(
            m_session, reinterpret_cast<const std::uint8_t*>(buf), static_cast<std::size_t>(n));
        m_inSession = false;
        if (rv < 0) {
            failAll(QNetworkReply::ProtocolFailure,
                    tr("%1 did not answer in HTTP/2: %2")
                        .arg(m_origin.host, QString::fromLatin1(nghttp2_strerror(int(rv)))));
            return;
        }
    }
    flush(); // window updates, and requests submitted meanwhile
}

void Http2Connection::scheduleFlush() {
    if (m_flushQueued || m_closed || m_inSession) {
        return; // inside nghttp2, flush() follows anyway
    }
    m_flushQueued = true;
    QMetaObject::invokeMethod(this, &Http2Connection::flush, Qt::QueuedConnection);
}

void Http2Connection::flush() {
    m_flushQueued = false;
    if (m_closed) {
        return;
    }
    const bool connected = m_socket->state() == QAbstractSocket::ConnectedState &&
                           (!m_origin.tls || static_cast<QSslSocket*>(m_socket)->isEncrypted());
    if (connected) {
        m_inSession = true;
        for (;;) {
            const std::uint8_t* data = nullptr;
            const ssize_t n = nghttp2_session_mem_send(m_session, &data);
            if (n <= 0) {
                break;
            }
            m_socket->write(reinterpret_cast<const char*>(data), n);
        }
        m_inSession = false;
    }
    const QPointer<Http2Connection> guard(this);
    deliver();
    if (!guard || m_closed) {
        return;
    }
    if (!nghttp2_session_want_read(m_session) && !nghttp2_session_want_write(m_session)) {
        // The session is over: the server said GOAWAY and every stream ended, or what came was
        // not HTTP/2 at all (nghttp2 gave up on it).
        if (m_ready) {
            failAll(QNetworkReply::RemoteHostClosedError,
                    tr("%1 ended the HTTP/2 connection").arg(m_origin.host));
        } else {
            failAll(QNetworkReply::ProtocolFailure,
                    tr("%1 did not answer in HTTP/2").arg(m_origin.host));
        }
    } else if (m_goingAway && m_streams.empty()) {
        failAll(QNetworkReply::RemoteHostClosedError, tr("the server closed the connection"));
    }
}

void Http2Connection::deliver() {
    const bool encrypted = m_origin.tls;
    bool freed = false;
    std::vector<std::int32_t> touched;
    touched.swap(m_touched);
    std::vector<std::unique_ptr<Stream>> ended;
    ended.swap(m_ended);
    const QPointer<Http2Connection> guard(this);
    const qint64 now = touched.empty() ? 0 : nowMs();
    for (const std::int32_t id : touched) {
        Stream* s = find(id);
        if (!s) {
            auto it = std::find_if(ended.begin(), ended.end(),
                                   [id](const auto& e) { return e && e->id == id; });
            s = it == ended.end() ? nullptr : it->get();
        }
        if (!s) {
            continue;
        }
        s->touched = false;
        s->lastMs = now;
        QPointer<Http2Reply> reply = s->reply;
        if (reply && s->sent) {
            s->sent = false;
            reply->markSent();
        }
        if (reply && s->headIn) {
            s->headIn = false;
            reply->deliverHead(s->status, s->headers, encrypted);
        }
        if (reply && s->bodyNew) {
            s->bodyNew = false;
            reply->deliverReadyRead();
        }
        if (s->closed) {
            freed = true;
            if (!reply || reply->isFinished()) {
                continue;
            }
            if (s->errorCode == NGHTTP2_NO_ERROR && s->gotHead) {
                reply->deliverFinished();
            } else if (s->errorCode == NGHTTP2_REFUSED_STREAM && !s->gotHead && guard) {
                reply->setConnection(nullptr);
                m_pool->retry(reply); // never processed by the server: safe to send again
            } else {
                reply->deliverError(
                    s->gotHead ? QNetworkReply::RemoteHostClosedError
                               : QNetworkReply::ProtocolFailure,
                    tr("HTTP/2 stream ended by the server (%1)")
                        .arg(QString::fromLatin1(nghttp2_http2_strerror(s->errorCode))));
            }
        }
        if (!guard) {
            return;
        }
    }
    const bool readyNew = std::exchange(m_readyNew, false);
    if ((freed || readyNew) && guard && !m_closed) {
        m_pool->streamsFreed(this);
    }
}

void Http2Connection::sweepTimeouts() {
    if (m_streams.empty()) {
        m_sweep.stop();
        return;
    }
    const qint64 now = nowMs();
    std::vector<QPointer<Http2Reply>> expired;
    for (auto& [id, s] : m_streams) {
        if (s->reply && s->timeoutMs > 0 && now - s->lastMs >= s->timeoutMs) {
            expired.emplace_back(s->reply);
            s->reply = nullptr;
            nghttp2_submit_rst_stream(m_session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        }
    }
    if (expired.empty()) {
        return;
    }
    scheduleFlush();
    for (const QPointer<Http2Reply>& reply : expired) {
        if (reply && !reply->isFinished()) {
            reply->deliverError(QNetworkReply::TimeoutError, tr("Operation timed out"));
        }
    }
}

void Http2Connection::failAll(int code, const QString& message) {
    if (m_closed) {
        return;
    }
    m_closed = true;
    m_socket->abort();
    auto streams = std::move(m_streams);
    m_streams.clear();
    const QPointer<Http2Connection> guard(this);
    m_pool->drop(this, code,
                 message); // before the replies hear: their readers may send again at once
    for (auto& [id, s] : streams) {
        if (Http2Reply* reply = s->reply; reply && !reply->isFinished()) {
            if (!s->gotHead && !s->sent && code == QNetworkReply::RemoteHostClosedError) {
                reply->setConnection(nullptr);
                m_pool->retry(reply);
                continue;
            }
            reply->deliverError(static_cast<QNetworkReply::NetworkError>(code), message);
        }
    }
}

void Http2Connection::onSocketError() {
    const auto error = m_socket->error();
    failAll(networkErrorOf(error), m_socket->errorString());
}

void Http2Connection::onDisconnected() {
    failAll(QNetworkReply::RemoteHostClosedError, tr("the server closed the connection"));
}

} // namespace sluice
