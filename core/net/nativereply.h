#pragma once

#include <QByteArray>
#include <QList>
#include <QNetworkReply>
#include <QPair>

namespace sluice {

/// What Http1Reply and Http2Reply share: a QNetworkReply like QNAM's, so whoever reads it cannot
/// tell the difference. Signals come in QNAM's order: requestSent, metaDataChanged once the head
/// is in, readyRead for each read of body bytes (each as it arrived, never held back), then
/// errorOccurred when it failed, and finished last, exactly once.
///
/// Lives in its pool's thread; not thread-safe. The caller owns it once it is returned
/// (deleteLater() it when finished). abort() (and close()) let go of the connection, then emit
/// finished() before returning, with OperationCanceledError, as QNAM's reply does.
class NativeReply : public QNetworkReply {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NativeReply)

public:
    void abort() final;
    void close() final;
    qint64 bytesAvailable() const final;

    // What the pool and the connection use (same thread as the reply).
    const QByteArray& method() const { return m_method; }
    const QByteArray& body() const { return m_body; }

    void markSent();
    /// Stores status, reason (HTTP/1 only; empty for HTTP/2) and headers, duplicates joined as
    /// QNAM does, and emits metaDataChanged().
    void deliverHead(int status, const QByteArray& reason,
                     const QList<QPair<QByteArray, QByteArray>>& headers, bool encrypted,
                     bool http2);
    /// Keeps body bytes for readData(); deliverReadyRead() emits readyRead().
    void appendBody(const char* data, qsizetype size) { m_buffer.append(data, size); }
    void deliverReadyRead();
    /// When the bytes being delivered now reached this machine (the kernel's receive stamp,
    /// std::chrono::steady_clock ns), set by the connection before it delivers them; 0 when
    /// unknown (TLS, HTTP/2, no stamps). Readers on the steady clock may time the bytes by it
    /// instead of by when they got to read them.
    void setArrivedNs(qint64 ns) { m_arrivedNs = ns; }
    qint64 arrivedNs() const { return m_arrivedNs; }
    /// Forgets the connection, then emits readChannelFinished() and finished().
    void deliverFinished();
    /// Forgets the connection, then emits errorOccurred() and finished().
    void deliverError(NetworkError code, const QString& message);

protected:
    NativeReply(const QNetworkRequest& request, const QByteArray& method, const QByteArray& body,
                QObject* parent);
    ~NativeReply() override = default;

    /// Drops the pointer to the connection carrying this reply; with `abandon`, first tells that
    /// connection to stop carrying it. Called by abort(), by deliverFinished()/deliverError()
    /// (without abandoning: the connection is the one delivering) and by the derived destructor.
    virtual void releaseConnection(bool abandon) = 0;

    qint64 readData(char* data, qint64 maxSize) final;
    qint64 writeData(const char*, qint64) final { return -1; }

private:
    QByteArray m_method;
    QByteArray m_body;
    QByteArray m_buffer; ///< body bytes not read yet, from m_offset on
    qsizetype m_offset = 0;
    qint64 m_arrivedNs = 0;
};

} // namespace sluice
