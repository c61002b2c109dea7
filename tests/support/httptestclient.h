#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QUrl>

#include <functional>

namespace sluice::test {

/// A finished reply, copied out so the QNetworkReply can go.
struct Response {
    int status = 0; ///< 0 when no HTTP status arrived (reset, refused...)
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QByteArray body;
    QList<QNetworkReply::RawHeaderPair> headers;
    qint64 elapsedMs = 0;

    QByteArray header(const QByteArray& name) const;
    bool hasHeader(const QByteArray& name) const;
    QJsonObject json() const;
};

/// A JSON POST request; `pool` picks a distinct connection pool (QNAM opens 6 per pool).
QNetworkRequest jsonRequest(const QUrl& url, int pool = 0);
/// Waits (event-driven) for the reply to finish, at most `timeoutMs`; aborts it on time-out.
Response waitFor(QNetworkReply* reply, int timeoutMs = 15000);
Response post(QNetworkAccessManager& nam, const QUrl& url, const QByteArray& body, int pool = 0);
Response get(QNetworkAccessManager& nam, const QUrl& url);

/// One server-sent event.
struct SseEvent {
    QByteArray event; ///< empty when no "event:" line
    QByteArray data;
};
/// Parses a complete SSE body; returns events in order.
QList<SseEvent> parseSse(const QByteArray& body);

/// Sends raw bytes on a fresh TCP connection and collects what comes back until the server
/// closes or `quietMs` passes without data after something has arrived (or `timeoutMs` overall).
struct RawResult {
    QByteArray data;
    bool closedByServer = false;
    bool reset = false;
};
RawResult rawExchange(quint16 port, const QByteArray& request, int timeoutMs = 5000,
                      int quietMs = 300);

/// Body of an OpenAI chat request with one user message.
QByteArray chatBody(const QString& content = QStringLiteral("Hello there"), bool stream = false,
                    int maxTokens = 0, bool includeUsage = false);
/// Body of an Anthropic messages request with one user message.
QByteArray messagesBody(const QString& content = QStringLiteral("Hello there"), bool stream = false,
                        int maxTokens = 1000);

} // namespace sluice::test

namespace sluice::test {
/// Runs a real event loop until `done()` holds or `timeoutMs` passes; returns done().
/// Unlike QTRY_* (whose qWait sleeps 10 ms between event batches), timers fire on time, which
/// matters for anything paced.
bool runUntil(const std::function<bool()>& done, int timeoutMs);
} // namespace sluice::test
