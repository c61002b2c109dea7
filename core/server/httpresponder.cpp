#include "core/server/httpresponder.h"

#include "core/server/http2session.h"
#include "core/server/httpconnection.h"

#include <QAbstractSocket>

#include <cstdio>

namespace sluice {

HttpResponder::HttpResponder(HttpConnection* connection, int httpMinor, bool keepAlive,
                             bool headOnly)
    : QObject(connection)
    , m_connection(connection)
    , m_httpMinor(httpMinor)
    , m_keepAlive(keepAlive)
    , m_headOnly(headOnly) {}

HttpResponder::HttpResponder(Http2Session* session, std::int32_t stream, bool headOnly)
    : QObject(session)
    , m_session(session)
    , m_stream(stream)
    , m_httpMinor(1)
    , m_keepAlive(true)
    , m_headOnly(headOnly) {}

QByteArray HttpResponder::reasonPhrase(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    case 529:
        return "Site Overloaded";
    default:
        return "Status";
    }
}

qint64 HttpResponder::pendingBytes() const {
    if (m_session) {
        return m_session->pendingBytes(m_stream);
    }
    return m_connection ? m_connection->socket()->bytesToWrite() : 0;
}

QByteArray HttpResponder::head(int status, const HttpHeaders& headers,
                               const QByteArray& framing) const {
    QByteArray out;
    out.reserve(256);
    out += "HTTP/1." + QByteArray::number(m_httpMinor == 0 ? 0 : 1) + ' ' +
           QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    for (const auto& [name, value] : headers) {
        out += name + ": " + value + "\r\n";
    }
    out += framing;
    if (!m_keepAlive) {
        out += "connection: close\r\n";
    } else if (m_httpMinor == 0) {
        out += "connection: keep-alive\r\n";
    }
    out += "\r\n";
    return out;
}

void HttpResponder::respond(int status, const HttpHeaders& headers, const QByteArray& body) {
    if (m_session) {
        return h2Respond(status, headers, body);
    }
    if (m_state != State::Idle || !m_connection) {
        return;
    }
    QByteArray out =
        head(status, headers, "content-length: " + QByteArray::number(body.size()) + "\r\n");
    if (!body.isEmpty() && !m_headOnly) {
        out += body;
    }
    m_connection->writeBytes(out, HttpConnection::Send::Now); // whole: nothing more follows
    m_state = State::Done;
    m_connection->responseDone(this, m_keepAlive);
}

void HttpResponder::beginChunked(int status, const HttpHeaders& headers) {
    if (m_session) {
        return h2Begin(status, headers);
    }
    if (m_state != State::Idle || !m_connection) {
        return;
    }
    if (m_httpMinor == 0) {
        // HTTP/1.0 has no chunked encoding: the body ends when the connection closes.
        m_keepAlive = false;
        m_connection->writeBytes(head(status, headers, {}), HttpConnection::Send::Soon);
        m_state = State::CloseDelimited;
        return;
    }
    // With the first chunk when it comes in the same turn of the event loop.
    m_connection->writeBytes(head(status, headers, "transfer-encoding: chunked\r\n"),
                             HttpConnection::Send::Soon);
    m_state = State::Chunked;
}

void HttpResponder::beginFixed(int status, const HttpHeaders& headers, qint64 contentLength) {
    if (m_session) {
        HttpHeaders withLength = headers;
        withLength.append({"content-length", QByteArray::number(contentLength)});
        return h2Begin(status, withLength);
    }
    if (m_state != State::Idle || !m_connection) {
        return;
    }
    m_connection->writeBytes(
        head(status, headers, "content-length: " + QByteArray::number(contentLength) + "\r\n"),
        HttpConnection::Send::Soon);
    m_state = State::Fixed;
}

void HttpResponder::write(const QByteArray& data) {
    if (m_session) {
        if (!data.isEmpty() && !m_headOnly && m_state == State::Chunked) {
            m_session->submitData(m_stream, data);
        }
        return;
    }
    if (data.isEmpty() || !m_connection || m_headOnly) {
        return;
    }
    switch (m_state) {
    case State::Chunked: {
        // One buffer per chunk, sized once (this runs per forwarded event).
        char size[24];
        const int digits = std::snprintf(size, sizeof size, "%llx\r\n",
                                         static_cast<unsigned long long>(data.size()));
        QByteArray chunk;
        chunk.reserve(digits + data.size() + 2);
        chunk.append(size, digits).append(data).append("\r\n", 2);
        m_connection->writeBytes(chunk, HttpConnection::Send::Now); // an event goes at once
        break;
    }
    case State::Fixed:
    case State::CloseDelimited:
        m_connection->writeBytes(data, HttpConnection::Send::Now);
        break;
    case State::Idle:
    case State::Done:
        break;
    }
}

void HttpResponder::end() {
    if (m_session) {
        return h2End(false, true);
    }
    if (!m_connection || m_state == State::Done) {
        return;
    }
    if (m_state == State::Idle) {
        respond(204, {}, {}); // ended without a response: an empty one
        return;
    }
    if (m_state == State::Chunked && !m_headOnly) {
        m_connection->writeBytes(QByteArrayLiteral("0\r\n\r\n"), HttpConnection::Send::Now);
    }
    // A close-delimited body (HTTP/1.0 stream) ends only by closing the connection.
    const bool keepAlive = m_keepAlive && m_state != State::CloseDelimited;
    m_state = State::Done;
    m_connection->responseDone(this, keepAlive);
}

void HttpResponder::closeConnection() {
    if (m_session) {
        return h2End(true, true);
    }
    if (!m_connection || m_state == State::Done) {
        return;
    }
    m_state = State::Done;
    m_connection->responseDone(this, false);
}

void HttpResponder::resetConnection() {
    if (m_session) {
        return h2End(true, false);
    }
    if (!m_connection || m_state == State::Done) {
        return;
    }
    m_state = State::Done;
    HttpConnection* connection = m_connection;
    deleteLater();
    connection->resetNow();
}

void HttpResponder::markClientGone() {
    if (m_state == State::Done) {
        return;
    }
    m_state = State::Done;
    Q_EMIT clientGone();
}

void HttpResponder::h2Respond(int status, const HttpHeaders& headers, const QByteArray& body) {
    if (m_state != State::Idle) {
        return;
    }
    m_state = State::Done;
    HttpHeaders withLength = headers;
    withLength.append({"content-length", QByteArray::number(body.size())});
    const bool withBody = !body.isEmpty() && !m_headOnly;
    m_session->submitHead(m_stream, status, withLength, !withBody);
    if (withBody) {
        m_session->submitData(m_stream, body);
        m_session->finishStream(m_stream);
    }
}

void HttpResponder::h2Begin(int status, const HttpHeaders& headers) {
    if (m_state != State::Idle) {
        return;
    }
    // Chunked and fixed-length bodies are alike on HTTP/2: DATA frames until END_STREAM.
    m_state = m_headOnly ? State::Done : State::Chunked;
    m_session->submitHead(m_stream, status, headers, m_headOnly);
}

void HttpResponder::h2End(bool reset, bool afterSent) {
    if (m_state == State::Done) {
        return;
    }
    if (m_state == State::Idle && !reset) {
        return h2Respond(204, {}, {});
    }
    m_state = State::Done;
    if (reset) {
        m_session->resetStream(m_stream, afterSent);
    } else {
        m_session->finishStream(m_stream);
    }
}

} // namespace sluice
