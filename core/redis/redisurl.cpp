#include "core/redis/redisurl.h"

#include <QUrl>

namespace sluice {

namespace {

Error urlError(const QString& part, const QString& message) {
    return Error::invalid(QStringLiteral("redis url: ") + part, message);
}

} // namespace

Result<RedisUrl> RedisUrl::parse(const QString& text) {
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty()) {
        return urlError(QStringLiteral("url"), QStringLiteral("empty; expected redis://host:port"));
    }
    const QUrl url(trimmed, QUrl::StrictMode);
    if (!url.isValid()) {
        // Name the part QUrl choked on when it says which.
        const QString why = url.errorString();
        const QString part =
            why.contains(QLatin1String("port"), Qt::CaseInsensitive)   ? QStringLiteral("port")
            : why.contains(QLatin1String("host"), Qt::CaseInsensitive) ? QStringLiteral("host")
                                                                       : QStringLiteral("url");
        return urlError(part, QStringLiteral("not a valid URL (%1)").arg(why));
    }
    RedisUrl out;
    const QString scheme = url.scheme().toLower();
    if (scheme == QLatin1String("rediss")) {
        out.tls = true;
    } else if (scheme != QLatin1String("redis")) {
        return urlError(QStringLiteral("scheme"),
                        QStringLiteral("'%1' is not redis:// or rediss://").arg(url.scheme()));
    }
    out.host = url.host();
    if (out.host.isEmpty()) {
        return urlError(QStringLiteral("host"), QStringLiteral("missing"));
    }
    // QUrl takes ":abc" as no port at all (-1) only when it is empty; a bad port fails isValid.
    const int port = url.port(6379);
    if (port <= 0 || port > 65535) {
        return urlError(QStringLiteral("port"), QStringLiteral("%1 is not 1..65535").arg(port));
    }
    out.port = static_cast<quint16>(port);
    out.user = url.userName(QUrl::FullyDecoded);
    out.password = url.password(QUrl::FullyDecoded);
    if (!out.user.isEmpty() && out.password.isEmpty()) {
        // redis://secret@host: the common shorthand for a password alone.
        out.password = out.user;
        out.user.clear();
    }
    QString path = url.path();
    if (path.startsWith(QLatin1Char('/'))) {
        path.remove(0, 1);
    }
    if (!path.isEmpty()) {
        bool ok = false;
        const int db = path.toInt(&ok);
        if (!ok || db < 0) {
            return urlError(QStringLiteral("db"),
                            QStringLiteral("'%1' is not a database number").arg(path));
        }
        out.db = db;
    }
    if (url.hasQuery() || url.hasFragment()) {
        return urlError(QStringLiteral("query"), QStringLiteral("options after ? or # are not "
                                                                "supported"));
    }
    return out;
}

QString RedisUrl::display() const {
    QString auth;
    if (!password.isEmpty()) {
        auth = (user.isEmpty() ? QString() : user) + QStringLiteral(":***@");
    }
    return (tls ? QStringLiteral("rediss://") : QStringLiteral("redis://")) + auth + host +
           QLatin1Char(':') + QString::number(port) + QLatin1Char('/') + QString::number(db);
}

} // namespace sluice
