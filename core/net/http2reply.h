#pragma once

#include <QByteArray>
#include <QList>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPair>

namespace sluice {

class Http2Connection;

/// The answer to one request sent by Http2Pool, one HTTP/2 stream: a QNetworkReply like QNAM's
/// (and like Http1Reply), so whoever reads it cannot tell the difference. Signals come in QNAM's
/// order: requestSent once the HEADERS frame is written, metaDataChanged once the response
/// head is in, readyRead for each read of DATA (as it arrived, never held back), then
/// errorOccurred when it failed, and finished last, exactly once.
///
/// Lives in its pool's thread; not thread-safe. The caller owns it once returned (deleteLater()
/// it when finished). abort() (and close()) reset the stream (RST_STREAM CANCEL; the connection
/// and its other streams go on) and emit finished() before returning, with
/// OperationCanceledError, as QNAM's reply does.
class Http2Reply final : public QNetworkReply {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Http2Reply)

public:
    Http2Reply(const QNetworkRequest& request, const QByteArray& method, const QByteArray& body,
               QObject* parent);
    ~Http2Reply() override;

    void abort() override;
    void close() override;
    qint64 bytesAvailable() const override;

    // What the pool and the connection use (same thread as the reply).
    const QByteArray& method() const { return m_method; }
    const QByteArray& body() const { return m_body; }
    /// The connection carrying this request, or null while waiting or once finished.
    Http2Connection* connection() const { return m_connection; }
    void setConnection(Http2Connection* connection) { m_connection = connection; }

    void markSent();
    /// Stores status and headers (duplicates joined as QNAM does) and emits metaDataChanged().
    void deliverHead(int status, const QList<QPair<QByteArray, QByteArray>>& headers,
                     bool encrypted);
    /// Keeps body bytes for readData(); deliverReadyRead() emits readyRead().
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
    Http2Connection* m_connection = nullptr;
};

} // namespace sluice
