#include "tests/support/httptestclient.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

namespace sluice::test {

QByteArray Response::header(const QByteArray& name) const {
    for (const auto& [key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0) {
            return value;
        }
    }
    return {};
}

bool Response::hasHeader(const QByteArray& name) const {
    for (const auto& pair : headers) {
        if (pair.first.compare(name, Qt::CaseInsensitive) == 0) {
            return true;
        }
    }
    return false;
}

QJsonObject Response::json() const {
    return QJsonDocument::fromJson(body).object();
}

QNetworkRequest jsonRequest(const QUrl& url, int pool) {
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setPeerVerifyName(QStringLiteral("pool%1").arg(pool));
    return request;
}

Response waitFor(QNetworkReply* reply, int timeoutMs) {
    QElapsedTimer clock;
    clock.start();
    if (!reply->isFinished()) {
        QSignalSpy finished(reply, &QNetworkReply::finished);
        if (!finished.wait(timeoutMs)) {
            reply->abort();
        }
    }
    Response r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.error = reply->error();
    r.body = reply->readAll();
    r.headers = reply->rawHeaderPairs();
    r.elapsedMs = clock.elapsed();
    reply->deleteLater();
    return r;
}

Response post(QNetworkAccessManager& nam, const QUrl& url, const QByteArray& body, int pool) {
    return waitFor(nam.post(jsonRequest(url, pool), body));
}

Response get(QNetworkAccessManager& nam, const QUrl& url) {
    return waitFor(nam.get(QNetworkRequest(url)));
}

QList<SseEvent> parseSse(const QByteArray& body) {
    QList<SseEvent> events;
    SseEvent current;
    bool any = false;
    for (const QByteArray& rawLine : body.split('\n')) {
        const QByteArray line = rawLine.endsWith('\r') ? rawLine.chopped(1) : rawLine;
        if (line.isEmpty()) {
            if (any) {
                events.append(current);
            }
            current = {};
            any = false;
            continue;
        }
        if (line.startsWith("event:")) {
            current.event = line.mid(6).trimmed();
            any = true;
        } else if (line.startsWith("data:")) {
            if (!current.data.isEmpty()) {
                current.data += '\n';
            }
            current.data += line.mid(5).trimmed();
            any = true;
        }
    }
    if (any) {
        events.append(current);
    }
    return events;
}

RawResult rawExchange(quint16 port, const QByteArray& request, int timeoutMs, int quietMs) {
    RawResult result;
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(timeoutMs)) {
        return result;
    }
    socket.write(request);
    QElapsedTimer clock;
    clock.start();
    QSignalSpy disconnected(&socket, &QTcpSocket::disconnected);
    while (clock.elapsed() < timeoutMs) {
        // Wake on data or on the server closing; give up after a quiet spell once data came.
        const int wait =
            result.data.isEmpty() ? timeoutMs - static_cast<int>(clock.elapsed()) : quietMs;
        const bool woke = QTest::qWaitFor(
            [&] {
                return socket.bytesAvailable() > 0 || disconnected.count() > 0 ||
                       socket.state() != QAbstractSocket::ConnectedState;
            },
            std::max(1, wait));
        result.data += socket.readAll();
        if (disconnected.count() > 0 || socket.state() != QAbstractSocket::ConnectedState) {
            result.closedByServer = true;
            result.reset =
                socket.error() == QAbstractSocket::NetworkError ||
                socket.errorString().contains(QStringLiteral("reset"), Qt::CaseInsensitive);
            break;
        }
        if (!woke && !result.data.isEmpty()) {
            break; // quiet: the server is keeping the connection open
        }
    }
    result.data += socket.readAll();
    return result;
}

QByteArray chatBody(const QString& content, bool stream, int maxTokens, bool includeUsage) {
    QJsonObject o{{QStringLiteral("model"), QStringLiteral("mock-gpt")},
                  {QStringLiteral("messages"),
                   QJsonArray{QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                          {QStringLiteral("content"), content}}}}};
    if (stream) {
        o.insert(QStringLiteral("stream"), true);
        if (includeUsage) {
            o.insert(QStringLiteral("stream_options"),
                     QJsonObject{{QStringLiteral("include_usage"), true}});
        }
    }
    if (maxTokens > 0) {
        o.insert(QStringLiteral("max_tokens"), maxTokens);
    }
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray messagesBody(const QString& content, bool stream, int maxTokens) {
    QJsonObject o{{QStringLiteral("model"), QStringLiteral("mock-claude")},
                  {QStringLiteral("max_tokens"), maxTokens},
                  {QStringLiteral("messages"),
                   QJsonArray{QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                          {QStringLiteral("content"), content}}}}};
    if (stream) {
        o.insert(QStringLiteral("stream"), true);
    }
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace sluice::test

namespace sluice::test {

bool runUntil(const std::function<bool()>& done, int timeoutMs) {
    if (done()) {
        return true;
    }
    QEventLoop loop;
    QTimer poll;
    poll.setInterval(2);
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done()) {
            loop.quit();
        }
    });
    QTimer limit;
    limit.setSingleShot(true);
    QObject::connect(&limit, &QTimer::timeout, &loop, &QEventLoop::quit);
    poll.start();
    limit.start(timeoutMs);
    loop.exec();
    return done();
}

} // namespace sluice::test
