#include "core/net/tokenestimate.h"

#include <QJsonArray>

#include <algorithm>

namespace sluice {

int estimateTokens(QStringView text) {
    int tokens = 0;
    int run = 0;
    for (const QChar c : text) {
        if (c.isLetterOrNumber()) {
            if (run == 0) {
                ++tokens;
            }
            run = (run + 1) % 4;
        } else {
            run = 0;
            if (!c.isSpace()) {
                ++tokens;
            }
        }
    }
    return tokens;
}

namespace {

int contentTokens(const QJsonValue& content) {
    if (content.isString()) {
        return estimateTokens(content.toString());
    }
    int tokens = 0;
    const QJsonArray parts = content.toArray();
    for (const QJsonValue& part : parts) {
        tokens += estimateTokens(part.toObject().value(QStringLiteral("text")).toString());
    }
    return tokens;
}

} // namespace

int estimatePromptTokens(const QJsonObject& request) {
    int tokens = 0;
    const QJsonArray messages = request.value(QStringLiteral("messages")).toArray();
    for (const QJsonValue& m : messages) {
        tokens += 3 + contentTokens(m.toObject().value(QStringLiteral("content")));
    }
    if (request.contains(QStringLiteral("system"))) {
        tokens += 3 + contentTokens(request.value(QStringLiteral("system")));
    }
    return tokens;
}

std::int64_t requestedMaxTokens(const QJsonObject& request, std::int64_t fallback) {
    for (const QLatin1String field :
         {QLatin1String("max_completion_tokens"), QLatin1String("max_tokens")}) {
        const QJsonValue v = request.value(field);
        if (v.isDouble()) {
            return std::max<std::int64_t>(0, v.toInteger());
        }
    }
    return fallback;
}

} // namespace sluice
