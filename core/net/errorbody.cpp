#include "core/net/errorbody.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>

#include <cmath>

namespace sluice {

namespace {

constexpr qsizetype kMaxFieldChars = 500;

// An error object is a few hundred bytes; a body far larger is a page or a dump, not worth
// parsing as JSON.
constexpr qsizetype kMaxBodyBytes = 1024 * 1024;

QString capped(QString s) {
    if (s.size() <= kMaxFieldChars) {
        return s;
    }
    qsizetype cut = kMaxFieldChars - 1;
    if (s.at(cut - 1).isHighSurrogate()) {
        --cut; // never split a surrogate pair
    }
    s.truncate(cut);
    s.append(QChar(0x2026)); // …
    return s;
}

QString text(const QJsonValue& v) {
    switch (v.type()) {
    case QJsonValue::String:
        return capped(v.toString());
    case QJsonValue::Double: {
        const double d = v.toDouble();
        if (std::trunc(d) == d && std::abs(d) < 1e15) {
            return QString::number(static_cast<qint64>(d));
        }
        return QString::number(d);
    }
    case QJsonValue::Bool:
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    default:
        return {};
    }
}

bool sameText(const QString& s, QLatin1String word) {
    return s.compare(word, Qt::CaseInsensitive) == 0;
}

} // namespace

ProviderError parseErrorBody(QByteArrayView body) {
    ProviderError e;
    const QByteArrayView trimmed = body.trimmed();
    if (trimmed.isEmpty() || trimmed.size() > kMaxBodyBytes || trimmed.front() != '{') {
        return e;
    }
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(trimmed.toByteArray(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) {
        return e;
    }
    const QJsonValue inner = doc.object().value(QLatin1String("error"));
    if (inner.isObject()) {
        const QJsonObject o = inner.toObject();
        e.type = text(o.value(QLatin1String("type")));
        e.code = text(o.value(QLatin1String("code")));
        e.message = text(o.value(QLatin1String("message")));
        e.param = text(o.value(QLatin1String("param")));
        e.parsed = true;
    } else if (inner.isString() && !inner.toString().isEmpty()) {
        e.message = capped(inner.toString());
        e.parsed = true;
    }
    return e;
}

bool isQuotaError(const ProviderError& e) {
    for (const QLatin1String word :
         {QLatin1String("insufficient_quota"), QLatin1String("billing_not_active"),
          QLatin1String("billing_hard_limit_reached")}) {
        if (sameText(e.type, word) || sameText(e.code, word)) {
            return true;
        }
    }
    // A plain rate limit is worth waiting for even when its text mentions billing.
    const QLatin1String rateLimit("rate_limit");
    if (e.type.contains(rateLimit, Qt::CaseInsensitive) ||
        e.code.contains(rateLimit, Qt::CaseInsensitive) ||
        e.message.contains(QLatin1String("rate limit"), Qt::CaseInsensitive)) {
        return false;
    }
    for (const QLatin1String phrase :
         {QLatin1String("quota"), QLatin1String("billing"), QLatin1String("credit balance"),
          QLatin1String("insufficient credit"), QLatin1String("out of credit")}) {
        if (e.message.contains(phrase, Qt::CaseInsensitive)) {
            return true;
        }
    }
    return false;
}

} // namespace sluice
