#include "core/server/http2session.h"

#include "core/net/readscratch.h"

#include "core/server/http2stats.h"
#include "core/server/httpresponder.h"

#include <QAbstractSocket>

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

namespace sluice {

namespace {
constexpr QByteArrayView kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// Request bodies flow in large windows: an upload is not held back by WINDOW_UPDATE round trips.
constexpr std::int32_t kStreamWindow = 1 << 20;
constexpr std::int32_t kConnectionWindow = 16 << 20;

QByteArray bytes(const std::uint8_t* data, std::size_t size) {
    return QByteArray(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
}
} // namespace

/// One request/response exchange on the connection.
struct Http2Session::Stream {
    std::int32_t id = 0;
    HttpRequest request;
    QPointer<HttpResponder> responder;
    QByteArray out;          ///< body bytes written by the responder, not yet framed
    qsizetype outOffset = 0; ///< framed up to here
    bool dispatched = false;
    bool providing = false; ///< a data provider is attached (response headers went out)
    bool deferred = false;  ///< the provider returned NGHTTP2_ERR_DEFERRED: resume on data
    bool endAfterOut = false;
    bool resetAfterOut = false;
};

struct Http2Session::Callbacks {
    static Http2Session* self(void* user) { return static_cast<Http2Session*>(user); }

    static int beginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
        if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
            return 0;
        }
        Http2Session* s = self(user);
        auto stream = std::make_unique<Stream>();
        stream->id = frame->hd.stream_id;
        stream->request.httpMajor = 2;
        stream->request.httpMinor = 0;
        stream->request.keepAlive = true;
        stream->request.peer = s->m_socket->peerAddress();
        s->m_streams[stream->id] = std::move(stream);
        if (Http2Stats* st = s->m_stats) {
            ++st->streams;
            st->peakStreamsOpen = std::max(st->peakStreamsOpen, ++st->streamsOpen);
            st->peakStreamsPerConnection =
                std::max(st->peakStreamsPerConnection, static_cast<int>(s->m_streams.size()));
        }
        return 0;
    }

    static int header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                      std::size_t nameLen, const std::uint8_t* value, std::size_t valueLen,
                      std::uint8_t, void* user) {
        if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
            return 0; // trailers are ignored, as the HTTP/1.1 path ignores them
        }
        Stream* stream = self(user)->find(frame->hd.stream_id);
        if (!stream) {
            return 0;
        }
        HttpRequest& r = stream->request;
        const QByteArrayView n(name, static_cast<qsizetype>(nameLen));
        QByteArray v = bytes(value, valueLen);
        if (n == ":method") {
            r.method = std::move(v);
        } else if (n == ":path") {
            r.target = std::move(v);
        } else if (n == ":authority") {
            r.headers.append({QByteArrayLiteral("host"), std::move(v)});
        } else if (!n.startsWith(':')) {
            r.headers.append({n.toByteArray(), std::move(v)}); // lower case, as HTTP/2 requires
        }
        return 0;
    }

    static int dataChunk(nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                         std::size_t len, void* user) {
        Http2Session* s = self(user);
        Stream* stream = s->find(id);
        if (!stream || stream->dispatched) {
            return 0;
        }
        HttpRequest& r = stream->request;
        if (r.body.size() + static_cast<qint64>(len) > s->m_limits.maxBodyBytes) {
            r.parseError = 413;
            r.parseErrorMessage = "request body is larger than the limit of " +
                                  QByteArray::number(s->m_limits.maxBodyBytes) + " bytes";
            r.body.clear();
            s->dispatch(*stream); // answered now; the rest of the upload is discarded
            return 0;
        }
        r.body.append(reinterpret_cast<const char*>(data), static_cast<qsizetype>(len));
        return 0;
    }

    static int frameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
        const bool requestPart =
            frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA;
        if (!requestPart || !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
            return 0;
        }
        Http2Session* s = self(user);
        if (Stream* stream = s->find(frame->hd.stream_id); stream && !stream->dispatched) {
            s->dispatch(*stream);
        }
        return 0;
    }

    static int streamClose(nghttp2_session*, std::int32_t id, std::uint32_t, void* user) {
        self(user)->streamClosed(id);
        return 0;
    }

    static int frameSend(nghttp2_session*, const nghttp2_frame* frame, void* user) {
        Http2Session* s = self(user);
        if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR &&
            s->m_stats) {
            ++s->m_stats->protocolErrors;
        }
        return 0;
    }

    static ssize_t readBody(nghttp2_session*, std::int32_t id, std::uint8_t* buf,
                            std::size_t length, std::uint32_t* flags, nghttp2_data_source*,
                            void* user) {
        Stream* stream = self(user)->find(id);
        if (!stream) {
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        const qsizetype left = stream->out.size() - stream->outOffset;
        if (left == 0) {
            if (stream->resetAfterOut) {
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; // RST_STREAM(INTERNAL_ERROR)
            }
            if (stream->endAfterOut) {
                *flags |= NGHTTP2_DATA_FLAG_EOF;
                return 0;
            }
            stream->deferred = true;
            return NGHTTP2_ERR_DEFERRED;
        }
        const auto n = static_cast<std::size_t>(std::min<qsizetype>(left, qsizetype(length)));
        std::memcpy(buf, stream->out.constData() + stream->outOffset, n);
        stream->outOffset += static_cast<qsizetype>(n);
        if (stream->outOffset == stream->out.size()) {
            stream->out.resize(0);
            stream->outOffset = 0;
            if (stream->endAfterOut && !stream->resetAfterOut) {
                *flags |= NGHTTP2_DATA_FLAG_EOF;
            }
        }
        return static_cast<ssize_t>(n);
    }
};

Http2Session::Preface Http2Session::matchPreface(const QByteArray& firstBytes) {
    const qsizetype n = std::min(firstBytes.size(), kPreface.size());
    if (QByteArrayView(firstBytes.constData(), n) != kPreface.first(n)) {
        return Preface::No;
    }
    return n == kPreface.size() ? Preface::Yes : Preface::Partial;
}

Http2Session::Http2Session(QAbstractSocket* socket, HttpHandler handler,
                           const HttpServerLimits& limits, Http2Stats* stats, QObject* parent)
    : QObject(parent)
    , m_socket(socket)
    , m_handler(std::move(handler))
    , m_limits(limits)
    , m_stats(stats) {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &Callbacks::beginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(cb, &Callbacks::header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &Callbacks::dataChunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &Callbacks::frameRecv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, &Callbacks::streamClose);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, &Callbacks::frameSend);
    nghttp2_session_server_new(&m_session, cb, this);
    nghttp2_session_callbacks_del(cb);
    if (m_stats) {
        ++m_stats->connections;
        ++m_stats->connectionsOpen;
    }
    connect(m_socket, &QAbstractSocket::readyRead, this, &Http2Session::readAvailable);
}

Http2Session::~Http2Session() {
    // Streams still open lose their client: their handlers hear it, as on HTTP/1.1.
    auto streams = std::move(m_streams);
    for (auto& [id, stream] : streams) {
        if (m_stats) {
            --m_stats->streamsOpen;
        }
        if (HttpResponder* responder = stream->responder) {
            responder->detachStream();
            responder->markClientGone();
        }
    }
    if (m_stats) {
        --m_stats->connectionsOpen;
    }
    nghttp2_session_del(m_session);
}

void Http2Session::start(const QByteArray& alreadyRead) {
    const std::uint32_t maxStreams =
        static_cast<std::uint32_t>(std::max(1, m_limits.http2MaxStreams));
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, maxStreams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(kStreamWindow)},
    };
    nghttp2_submit_settings(m_session, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    nghttp2_session_set_local_window_size(m_session, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
    feed(alreadyRead.constData(), alreadyRead.size());
    readAvailable();
    flush();
}

void Http2Session::streamClosed(std::int32_t id) {
    auto it = m_streams.find(id);
    if (it == m_streams.end()) {
        return;
    }
    std::unique_ptr<Stream> stream = std::move(it->second);
    m_streams.erase(it);
    if (m_stats) {
        --m_stats->streamsOpen;
    }
    if (HttpResponder* responder = stream->responder) {
        responder->detachStream();   // writes from now on go nowhere
        responder->markClientGone(); // a no-op when the response was complete
        responder->deleteLater();
    }
}

Http2Session::Stream* Http2Session::find(std::int32_t id) const {
    auto it = m_streams.find(id);
    return it == m_streams.end() ? nullptr : it->second.get();
}

void Http2Session::readAvailable() {
    // The socket is unbuffered (see HttpConnection): read until the kernel has nothing more;
    // a read of -1 is the client's close, which nothing else reports.
    const ReadScratch scratch;
    for (int reads = 0; reads < 64; ++reads) {
        const qint64 n = m_socket->read(scratch.data(), ReadScratch::kSize);
        if (n < 0) {
            Q_EMIT peerClosed();
            return;
        }
        if (!m_closing) { // lingering close: what the client still sends is dropped
            feed(scratch.data(), n);
        }
        if (n < ReadScratch::kSize) {
            break;
        }
    }
    scheduleFlush();
}

void Http2Session::feed(const char* data, qsizetype size) {
    if (m_closing || size == 0) {
        return;
    }
    m_inRecv = true;
    const ssize_t rv = nghttp2_session_mem_recv(
        m_session, reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(size));
    m_inRecv = false;
    if (rv < 0) {
        fail();
    }
}

void Http2Session::fail() {
    // A GOAWAY naming the last stream we took, then the close (flush() sees nothing more to do).
    nghttp2_session_terminate_session(m_session, NGHTTP2_PROTOCOL_ERROR);
    flush();
}

void Http2Session::scheduleFlush() {
    if (m_flushQueued || m_closing) {
        return;
    }
    m_flushQueued = true;
    QMetaObject::invokeMethod(this, &Http2Session::flush, Qt::QueuedConnection);
}

void Http2Session::flush() {
    m_flushQueued = false;
    if (m_closing || m_inRecv) {
        return;
    }
    // The frames of this turn, in one write (the socket is unbuffered: each write is a send).
    QByteArray out;
    for (;;) {
        const std::uint8_t* data = nullptr;
        const ssize_t n = nghttp2_session_mem_send(m_session, &data);
        if (n < 0) {
            nghttp2_session_terminate_session(m_session, NGHTTP2_INTERNAL_ERROR);
            break;
        }
        if (n == 0) {
            break;
        }
        out.append(reinterpret_cast<const char*>(data), n);
    }
    if (!out.isEmpty() && !m_writeFailed && m_socket->state() == QAbstractSocket::ConnectedState &&
        m_socket->write(out) < 0) {
        // The client is gone (EPIPE, a reset): the socket layer closed itself without a
        // signal. Nothing more is written; the close is reported at the next turn.
        m_writeFailed = true;
        QMetaObject::invokeMethod(this, &Http2Session::peerClosed, Qt::QueuedConnection);
    }
    if (!nghttp2_session_want_read(m_session) && !nghttp2_session_want_write(m_session)) {
        m_closing = true;
        Q_EMIT closeRequested();
    }
}

void Http2Session::dispatch(Stream& stream) {
    stream.dispatched = true;
    HttpRequest request = std::move(stream.request);
    stream.request = HttpRequest{};
    // Same shape as an HTTP/1.1 request: target split into path and query.
    const qsizetype q = request.target.indexOf('?');
    request.path = q < 0 ? request.target : request.target.left(q);
    request.query = q < 0 ? QByteArray() : request.target.mid(q + 1);
    if (request.method.isEmpty() && request.parseError == 0) {
        request.parseError = 400;
        request.parseErrorMessage = "malformed HTTP/2 request: no :method";
        request.method = "GET";
    }
    auto* responder = new HttpResponder(this, stream.id, request.method == "HEAD");
    stream.responder = responder;
    const QPointer<HttpResponder> guard(responder);
    if (m_handler) {
        m_handler(request, responder);
    }
    if (guard && !responder->headersSent() && (request.parseError != 0 || !m_handler)) {
        const QByteArray body = "{\"error\":{\"message\":\"" + request.parseErrorMessage +
                                "\",\"type\":\"invalid_request_error\"}}";
        responder->respond(request.parseError ? request.parseError : 500,
                           {{"content-type", "application/json"}}, body);
    }
}

void Http2Session::submitHead(std::int32_t id, int status, const HttpHeaders& headers,
                              bool endStream) {
    Stream* stream = find(id);
    if (!stream || m_closing) {
        return;
    }
    const QByteArray statusText = QByteArray::number(status);
    std::vector<nghttp2_nv> nva;
    nva.reserve(static_cast<std::size_t>(headers.size()) + 1);
    const auto nv = [](const QByteArray& name, const QByteArray& value) {
        return nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.constData())),
                          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.constData())),
                          static_cast<std::size_t>(name.size()),
                          static_cast<std::size_t>(value.size()), NGHTTP2_NV_FLAG_NONE};
    };
    static const QByteArray statusName = QByteArrayLiteral(":status");
    nva.push_back(nv(statusName, statusText));
    // Connection-specific fields are forbidden in HTTP/2 (RFC 9113 8.2.2); names must be lower.
    std::vector<QByteArray> lowered;
    lowered.reserve(static_cast<std::size_t>(headers.size()));
    for (const auto& [name, value] : headers) {
        QByteArray lower = name.toLower();
        if (lower == "connection" || lower == "keep-alive" || lower == "transfer-encoding" ||
            lower == "upgrade" || lower == "proxy-connection") {
            continue;
        }
        lowered.push_back(std::move(lower));
        nva.push_back(nv(lowered.back(), value));
    }
    if (endStream) {
        nghttp2_submit_response(m_session, id, nva.data(), nva.size(), nullptr);
    } else {
        nghttp2_data_provider provider{};
        provider.read_callback = &Callbacks::readBody;
        stream->providing = true;
        nghttp2_submit_response(m_session, id, nva.data(), nva.size(), &provider);
    }
    scheduleFlush();
}

void Http2Session::submitData(std::int32_t id, const QByteArray& data) {
    Stream* stream = find(id);
    if (!stream || !stream->providing || stream->endAfterOut || m_closing) {
        return;
    }
    stream->out.append(data);
    if (stream->deferred) {
        stream->deferred = false;
        nghttp2_session_resume_data(m_session, id);
    }
    scheduleFlush();
}

void Http2Session::finishStream(std::int32_t id) {
    Stream* stream = find(id);
    if (!stream || !stream->providing || m_closing) {
        return;
    }
    stream->endAfterOut = true;
    if (stream->deferred) {
        stream->deferred = false;
        nghttp2_session_resume_data(m_session, id);
    }
    scheduleFlush();
}

void Http2Session::resetStream(std::int32_t id, bool afterSent) {
    Stream* stream = find(id);
    if (!stream || m_closing) {
        return;
    }
    if (afterSent && stream->providing) {
        stream->endAfterOut = true;
        stream->resetAfterOut = true;
        if (stream->deferred) {
            stream->deferred = false;
            nghttp2_session_resume_data(m_session, id);
        }
    } else {
        nghttp2_submit_rst_stream(m_session, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
    }
    scheduleFlush();
}

qint64 Http2Session::pendingBytes(std::int32_t id) const {
    const Stream* stream = find(id);
    return stream ? stream->out.size() - stream->outOffset : 0;
}

} // namespace sluice
