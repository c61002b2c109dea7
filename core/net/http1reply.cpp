#include "core/net/http1reply.h"

#include "core/net/http1connection.h"

#include <cstring>

namespace sluice {

namespace {

QNetworkAccessManager::Operation operationOf(const QByteArray& method) {
    if (method == "GET") {
        return QNetworkAccessManager::GetOperation;
    }
    if (method == "POST") {
        return QNetworkAccessManager::PostOperation;
    }
    if (method == "PUT") {
        return QNetworkAccessManager::PutOperation;
    }
    if (method == "DELETE") {
        return QNetworkAccessManager::DeleteOperation;
    }
    if (method == "HEAD") {
        return QNetworkAccessManager::HeadOperation;
    }
    return QNetworkAccessManager::CustomOperation;
}

} // namespace

Http1Reply::Http1Reply(const QNetworkRequest& request, const QByteArray& method,
                       const QByteArray& body, QObject* parent)
    : QNetworkReply(parent)
    , m_method(method)
    , m_body(body) {
    setRequest(request);
    setUrl(request.url());
    setOperation(operationOf(method));
    open(QIODevice::ReadOnly | QIODevice::Unbuffered);
}

Http1Reply::~Http1Reply() {
    if (m_connection) {
        Http1Connection* c = m_connection;
        m_connection = nullptr;
        c->abandon(this);
    }
}

void Http1Reply::abort() {
    if (isFinished()) {
        return;
    }
    if (m_connection) {
        Http1Connection* c = m_connection;
        m_connection = nullptr;
        c->abandon(this);
    }
    QNetworkReply::close();
    m_buffer.clear();
    m_offset = 0;
    deliverError(OperationCanceledError, tr("Operation canceled"));
}

void Http1Reply::close() {
    abort();
}

qint64 Http1Reply::bytesAvailable() const {
    return (m_buffer.size() - m_offset) + QNetworkReply::bytesAvailable();
}

qint64 Http1Reply::readData(char* data, qint64 maxSize) {
    const qint64 left = m_buffer.size() - m_offset;
    if (left == 0) {
        return isFinished() ? -1 : 0;
    }
    const qint64 n = std::min(left, maxSize);
    std::memcpy(data, m_buffer.constData() + m_offset, static_cast<std::size_t>(n));
    m_offset += n;
    if (m_offset == m_buffer.size()) {
        m_buffer.resize(0); // keeps the capacity for the next read
        m_offset = 0;
    }
    return n;
}

void Http1Reply::markSent() {
    Q_EMIT requestSent();
}

void Http1Reply::deliverHead(int status, const QByteArray& reason,
                             const QList<QPair<QByteArray, QByteArray>>& headers, bool encrypted) {
    setAttribute(QNetworkRequest::HttpStatusCodeAttribute, status);
    setAttribute(QNetworkRequest::HttpReasonPhraseAttribute, QString::fromLatin1(reason));
    setAttribute(QNetworkRequest::Http2WasUsedAttribute, false);
    setAttribute(QNetworkRequest::ConnectionEncryptedAttribute, encrypted);
    // QNAM joins repeated fields into one value, Set-Cookie with newlines, others with ", ".
    QList<QPair<QByteArray, QByteArray>> merged;
    merged.reserve(headers.size());
    for (const auto& [name, value] : headers) {
        // Captured by name, not as a structured binding: clang before 16 cannot capture those.
        const QByteArray& key = name;
        auto same = std::find_if(merged.begin(), merged.end(), [&key](const auto& pair) {
            return pair.first.compare(key, Qt::CaseInsensitive) == 0;
        });
        if (same == merged.end()) {
            merged.append({name, value});
        } else {
            same->second +=
                (name.compare("set-cookie", Qt::CaseInsensitive) == 0 ? "\n" : ", ") + value;
        }
    }
    for (const auto& [name, value] : merged) {
        setRawHeader(name, value);
    }
    Q_EMIT metaDataChanged();
}

void Http1Reply::deliverReadyRead() {
    Q_EMIT readyRead();
}

void Http1Reply::deliverFinished() {
    setFinished(true);
    Q_EMIT readChannelFinished();
    Q_EMIT finished();
}

void Http1Reply::deliverError(NetworkError code, const QString& message) {
    setError(code, message);
    setFinished(true);
    Q_EMIT errorOccurred(code);
    Q_EMIT finished();
}

} // namespace sluice
