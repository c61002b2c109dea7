#include "app/http2probe.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>

#include <QCoroNetworkReply>
#include <QCoroTask>

#include <memory>

namespace sluice {

namespace {

// Parameters by value: a coroutine's references would dangle after its first suspension.
QCoro::Task<Result<void>> probe(QUrl url, ApiFormat format, QByteArray apiKey) {
    QNetworkAccessManager nam;
    QNetworkRequest request = buildNetworkRequest(format, url, apiKey, false);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, true);
    if (url.scheme() == QLatin1String("http")) {
        request.setAttribute(QNetworkRequest::Http2DirectAttribute, true);
    }
    request.setTransferTimeout(5000);
    std::unique_ptr<QNetworkReply> reply(co_await nam.get(request));
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const bool h2 = reply->attribute(QNetworkRequest::Http2WasUsedAttribute).toBool();
    const QString field = QStringLiteral("--http2");
    if (status > 0 && h2) {
        co_return Result<void>{};
    }
    if (status > 0) {
        co_return Error::invalid(
            field, QStringLiteral("%1 answered over HTTP/1.1, not HTTP/2 (drop --http2)")
                       .arg(url.toString()));
    }
    const QString why = reply->error() == QNetworkReply::OperationCanceledError
                            ? QStringLiteral("no answer in 5 s")
                            : reply->errorString();
    co_return Error{Error::Kind::Unavailable, field,
                    QStringLiteral("%1 does not answer over HTTP/2%2 (%3); drop --http2")
                        .arg(url.toString(),
                             url.scheme() == QLatin1String("http")
                                 ? QStringLiteral(" without TLS (h2c)")
                                 : QString(),
                             why)};
}

} // namespace

Result<void> probeHttp2(const QUrl& base, ApiFormat format, const QByteArray& apiKey) {
    return QCoro::waitFor(probe(base, format, apiKey));
}

} // namespace sluice
