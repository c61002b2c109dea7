#pragma once

#include <QByteArray>
#include <QNetworkRequest>
#include <QObject>

#include <memory>
#include <set>
#include <vector>

class QNetworkAccessManager;
class QNetworkReply;

namespace sluice {

class Http1Pool;
class Http2Pool;

/// HTTP clients that really reach the concurrency asked for. One QNetworkAccessManager opens at
/// most 6 HTTP/1.1 connections per host, and each manager owns a thread, so the pool keeps a few
/// managers and spreads requests over connection pools inside each: every in-flight request holds
/// a slot, and slot s uses manager s % managers with connection key (s / managers) / 6 (the key
/// is part of QNAM's connection-cache key). No more than 6 slots ever share a key, so N slots
/// give N connections, and the lowest free slot is reused so connections stay warm.
///
/// For https the key is the host name in a different letter case: a distinct cache key whose
/// certificate check still matches (host names compare case-insensitively). HTTP/2 (cleartext
/// or TLS) multiplexes instead, when enabled.
///
/// Without HTTP/2, http and https go through Http1Pool instead, in this thread: no QNAM thread,
/// no hop per request (slots then only count); with HTTP/2, through Http2Pool (h2c with prior
/// knowledge, or TLS with ALPN h2). The environment variable SLUICE_HTTP_CLIENT=qnam sends
/// everything through QNAM as before.
///
/// Lives in one thread; not thread-safe. Deleting it aborts every reply first (QNAM would
/// otherwise delete them without finished(), stranding whoever waits).
class ClientPool final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClientPool)

public:
    explicit ClientPool(int managers = 4, QObject* parent = nullptr);
    ~ClientPool() override;

    /// Takes the lowest free slot.
    int acquireSlot();
    void releaseSlot(int slot);
    int slotsInUse() const { return static_cast<int>(m_used.size()); }

    /// Posts on the slot's manager and connection pool. The caller owns the reply
    /// (deleteLater() it when finished).
    QNetworkReply* post(int slot, QNetworkRequest request, const QByteArray& body);
    /// Any method (a proxy's GET /v1/models, …); POST goes through post().
    QNetworkReply* send(int slot, QNetworkRequest request, const QByteArray& method,
                        const QByteArray& body);
    /// Starts the native HTTP/1.1 requests sent so far now rather than at the next turn of the
    /// event loop (Http1Pool::startQueued()); call it once connected to their replies.
    void startQueued();
    void setHttp2(bool enabled) { m_http2 = enabled; }
    /// Whether native HTTP/1.1 connections opened from now on stamp what they receive
    /// (Http1Pool::setReceiveStamps()).
    void setReceiveStamps(bool enabled);
    bool http2() const { return m_http2; }
    /// False when SLUICE_HTTP_CLIENT=qnam asked for QNAM everywhere.
    bool nativeHttp1() const { return m_native; }
    /// The native client (null when nativeHttp1() is false); for tests.
    Http1Pool* http1() const { return m_http1; }
    /// The native HTTP/2 client (null when nativeHttp1() is false); for tests.
    Http2Pool* http2Pool() const { return m_http2Pool; }
    /// Aborts every reply still running.
    void abortAll();

private:
    void applySlot(int slot, QNetworkRequest& request) const;
    bool goesNative(const QNetworkRequest& request) const;
    /// The native client for this request, or null for QNAM.
    QNetworkReply* sendNative(const QNetworkRequest& request, const QByteArray& method,
                              const QByteArray& body);

    std::vector<QNetworkAccessManager*> m_managers;
    std::set<int> m_free;
    std::set<int> m_used;
    int m_next = 0;
    bool m_http2 = false;
    bool m_native = true;
    Http1Pool* m_http1 = nullptr;
    Http2Pool* m_http2Pool = nullptr;
};

} // namespace sluice
