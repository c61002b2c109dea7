#include "core/net/http2requesthead.h"

#include <QUrl>

namespace sluice {

namespace {
bool connectionSpecific(const QByteArray& lowerName) {
    return lowerName == "connection" || lowerName == "keep-alive" || lowerName == "host" ||
           lowerName == "transfer-encoding" || lowerName == "upgrade" ||
           lowerName == "proxy-connection" || lowerName == "content-length" || lowerName == "te";
}
} // namespace

QList<QPair<QByteArray, QByteArray>> http2RequestHead(const QNetworkRequest& request,
                                                      const QByteArray& method, bool tls,
                                                      qsizetype bodySize) {
    const QUrl url = request.url();
    QByteArray path =
        url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::RemoveFragment);
    if (!path.startsWith('/')) {
        path.prepend('/');
    }
    const int defaultPort = tls ? 443 : 80;
    QByteArray authority = url.host(QUrl::FullyEncoded).toLatin1();
    if (url.port(defaultPort) != defaultPort) {
        authority += ':' + QByteArray::number(url.port());
    }
    QList<QPair<QByteArray, QByteArray>> head;
    const QList<QByteArray> names = request.rawHeaderList();
    head.reserve(names.size() + 5);
    head.append({QByteArrayLiteral(":method"), method});
    head.append({QByteArrayLiteral(":scheme"),
                 tls ? QByteArrayLiteral("https") : QByteArrayLiteral("http")});
    head.append({QByteArrayLiteral(":authority"), authority});
    head.append({QByteArrayLiteral(":path"), path});
    if (bodySize > 0) {
        head.append({QByteArrayLiteral("content-length"), QByteArray::number(bodySize)});
    }
    for (const QByteArray& name : names) {
        QByteArray lower = name.toLower();
        if (!connectionSpecific(lower)) {
            head.append({std::move(lower), request.rawHeader(name)});
        }
    }
    return head;
}

} // namespace sluice
