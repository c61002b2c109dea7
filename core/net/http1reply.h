#pragma once

#include <QByteArray>
#include <QList>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPair>

namespace sluice {

class Http1Connection;

/// The answer to one request sent by Http1Pool: a QNetworkReply like QNAM's, so whoever reads it
/// cannot tell the difference. Signals come in QNAM's order: requestSent, metaDataChanged once
/// the head is in, readyRead for each read of body bytes (each as it arrived, never held back),
/// then errorOccurred when it failed, and finished last, exactly once.
///
/// Lives in its pool's thread; not thread-safe. The caller owns it once it is returned
/// (deleteLater() it when finished). abort() (and close()) emit finished() before returning,
/// with OperationCanceledError, as QNAM's reply does.
class Http1Reply final : public QNetworkReply {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Http1Reply)

public:
    Http1Reply(const QNetworkRequest& request, const QByteArray& method, const QByteArray& body,
               QObject* parent);
    ~Http1Reply() override;

    void abort() override;
    void close() override;
    qint64 bytesAvailable() const override;

    // What the pool and the connection use (same thread as the reply).
    const QByteArray& method() const { return m_method; }
    const QByteArray& body() const { return m_body; }
    /// The connection carrying this request, or null while waiting or once finished.
    Http1Connection* connection() const { return m_connection; }
    void setConnection(Http1Connection* connection) { m_connection = connection; }
    /// Set once the request went a second time after a reused connection failed under it.
    bool retried() const { return m_retried; }
    void setRetried() { m_retried = true; }

    void markSent();
    /// Stores status, reason and headers (duplicates joined as QNAM does) and emits
    /// metaDataChanged().
    void deliverHead(int status, const QByteArray& reason,
                     const QList<QPair<QByteArray, QByteArray>>& headers, bool encrypted);
    /// Keeps body bytes for readData(); the caller emits readyRead() with deliverReadyRead().
    void appendBody(const char* data, qsizetype size) { m_buffer.append(data, size); }
    void deliverReadyRead();
    void deliverFinished();
    void deliverError(NetworkError code, const QString& message);

protected:
    qint64 readData(char* data, qint64 maxSize) override;
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    QByteArray m_method;
    QByteArray m_body;
    QByteArray m_buffer; ///< body bytes not read yet, from m_offset on
    qsizetype m_offset = 0;
    Http1Connection* m_connection = nullptr;
    bool m_retried = false;
};

} // namespace sluice
