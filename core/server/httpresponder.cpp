#include "core/server/httpresponder.h"

#include "core/server/httpconnection.h"

#include <QTcpSocket>

namespace sluice {

HttpResponder::HttpResponder(HttpConnection* connection, int httpMinor, bool keepAlive,
                             bool headOnly)
    : QObject(connection)
    , m_connection(connection)
    , m_httpMinor(httpMinor)
    , m_keepAlive(keepAlive)
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
    return m_connection ? m_connection->socket()->bytesToWrite() : 0;
}

void HttpResponder::writeHead(int status, const HttpHeaders& headers, const QByteArray& framing) {
    QByteArray head;
    head.reserve(256);
    head += "HTTP/1." + QByteArray::number(m_httpMinor == 0 ? 0 : 1) + ' ' +
            QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    for (const auto& [name, value] : headers) {
        head += name + ": " + value + "\r\n";
    }
    head += framing;
    if (!m_keepAlive) {
        head += "connection: close\r\n";
    } else if (m_httpMinor == 0) {
        head += "connection: keep-alive\r\n";
    }
    head += "\r\n";
    m_connection->writeBytes(head);
}

void HttpResponder::respond(int status, const HttpHeaders& headers, const QByteArray& body) {
    if (m_state != State::Idle || !m_connection) {
        return;
    }
    writeHead(status, headers, "content-length: " + QByteArray::number(body.size()) + "\r\n");
    if (!body.isEmpty() && !m_headOnly) {
        m_connection->writeBytes(body);
    }
    m_state = State::Done;
    m_connection->responseDone(this, m_keepAlive);
}

void HttpResponder::beginChunked(int status, const HttpHeaders& headers) {
    if (m_state != State::Idle || !m_connection) {
        return;
    }
    if (m_httpMinor == 0) {
        // HTTP/1.0 has no chunked encoding: the body ends when the connection closes.
        m_keepAlive = false;
        writeHead(status, headers, {});
        m_state = State::CloseDelimited;
        return;
    }
    writeHead(status, headers, "transfer-encoding: chunked\r\n");
    m_state = State::Chunked;
}

void HttpResponder::beginFixed(int status, const HttpHeaders& headers, qint64 contentLength) {
    if (m_state != State::Idle || !m_connection) {
        return;
    }
    writeHead(status, headers, "content-length: " + QByteArray::number(contentLength) + "\r\n");
    m_state = State::Fixed;
}

void HttpResponder::write(const QByteArray& data) {
    if (data.isEmpty() || !m_connection || m_headOnly) {
        return;
    }
    switch (m_state) {
    case State::Chunked:
        m_connection->writeBytes(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
        break;
    case State::Fixed:
    case State::CloseDelimited:
        m_connection->writeBytes(data);
        break;
    case State::Idle:
    case State::Done:
        break;
    }
}

void HttpResponder::end() {
    if (!m_connection || m_state == State::Done) {
        return;
    }
    if (m_state == State::Idle) {
        respond(204, {}, {}); // ended without a response: an empty one
        return;
    }
    if (m_state == State::Chunked && !m_headOnly) {
        m_connection->writeBytes(QByteArrayLiteral("0\r\n\r\n"));
    }
    // A close-delimited body (HTTP/1.0 stream) ends only by closing the connection.
    const bool keepAlive = m_keepAlive && m_state != State::CloseDelimited;
    m_state = State::Done;
    m_connection->responseDone(this, keepAlive);
}

void HttpResponder::closeConnection() {
    if (!m_connection || m_state == State::Done) {
        return;
    }
    m_state = State::Done;
    m_connection->responseDone(this, false);
}

void HttpResponder::resetConnection() {
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

} // namespace sluice
