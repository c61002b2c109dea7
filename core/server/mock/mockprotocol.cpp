#include "core/server/mock/mockprotocol.h"

#include "core/net/tokenestimate.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <array>
#include <cmath>

namespace sluice::mock {

namespace {

// Words of at most four letters: each is exactly one token under countTokens(), so the text of
// a reply re-tokenizes to its completion_tokens.
const std::array<const char*, 32> kWords = {
    "the",  "sun",  "sets", "over", "old",  "mill", "and",  "rain", "runs", "down", "each",
    "gate", "lets", "just", "one",  "more", "drop", "pass", "into", "wide", "blue", "lake",
    "that", "was",  "here", "long", "ago",  "when", "all",  "is",   "calm", "now",
};

ApiError invalid(Provider provider, QString message, QByteArray param = {}) {
    ApiError e;
    e.status = 400;
    e.type = "invalid_request_error";
    e.message = provider == Provider::Anthropic && !param.isEmpty()
                    ? QString::fromUtf8(param) + QStringLiteral(": ") + message
                    : message;
    e.param = std::move(param);
    return e;
}

std::optional<ApiError> parseObject(Provider provider, const QByteArray& body, QJsonObject* out) {
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return invalid(provider,
                       QStringLiteral("We could not parse the JSON body of your request (%1 at "
                                      "offset %2). The body must be a JSON object.")
                           .arg(parseError.errorString())
                           .arg(parseError.offset));
    }
    if (!doc.isObject()) {
        return invalid(provider, QStringLiteral("The request body must be a JSON object."));
    }
    *out = doc.object();
    return std::nullopt;
}

// Text of a message's content: a string, or an array of parts/blocks carrying "text".
std::optional<QString> contentText(const QJsonValue& content, QString* text) {
    if (content.isString()) {
        *text = content.toString();
        return std::nullopt;
    }
    if (content.isNull() || content.isUndefined()) {
        text->clear();
        return std::nullopt;
    }
    if (!content.isArray()) {
        return QStringLiteral("expected a string or an array of content parts");
    }
    QString all;
    const QJsonArray parts = content.toArray();
    for (qsizetype i = 0; i < parts.size(); ++i) {
        if (!parts.at(i).isObject()) {
            return QStringLiteral("part %1 is not an object").arg(i);
        }
        const QJsonObject part = parts.at(i).toObject();
        if (!part.value(QStringLiteral("type")).isString()) {
            return QStringLiteral("part %1 has no 'type'").arg(i);
        }
        if (part.value(QStringLiteral("type")).toString() == QStringLiteral("text")) {
            if (!part.value(QStringLiteral("text")).isString()) {
                return QStringLiteral("part %1 of type 'text' has no string 'text'").arg(i);
            }
            all += part.value(QStringLiteral("text")).toString();
            all += QLatin1Char(' ');
        }
    }
    *text = all;
    return std::nullopt;
}

std::optional<ApiError> readMaxTokens(Provider provider, const QJsonObject& o, const char* key,
                                      std::optional<int>* out) {
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull()) {
        return std::nullopt;
    }
    const double d = v.toDouble(-1);
    if (!v.isDouble() || d != std::floor(d) || d < 1 || d > 10'000'000) {
        return invalid(provider,
                       QStringLiteral("Invalid '%1': expected an integer of at least 1.")
                           .arg(QLatin1String(key)),
                       QByteArray(key));
    }
    *out = static_cast<int>(d);
    return std::nullopt;
}

} // namespace

int countTokens(QStringView text) {
    return estimateTokens(text);
}

int countPromptTokens(const QJsonObject& request, Provider provider) {
    int tokens = 0;
    const QJsonArray messages = request.value(QStringLiteral("messages")).toArray();
    for (const QJsonValue& m : messages) {
        QString text;
        contentText(m.toObject().value(QStringLiteral("content")), &text);
        tokens += 3 + countTokens(text);
    }
    if (provider == Provider::Anthropic && request.contains(QStringLiteral("system"))) {
        QString text;
        contentText(request.value(QStringLiteral("system")), &text);
        tokens += 3 + countTokens(text);
    }
    return tokens;
}

QByteArray outputToken(std::uint64_t replySeed, int index) {
    const auto word = kWords[static_cast<size_t>(
        (replySeed + static_cast<std::uint64_t>(index) * 7) % kWords.size())];
    return index == 0 ? QByteArray(word) : QByteArray(" ") + word;
}

std::variant<ChatRequest, ApiError> parseOpenAiChat(const QByteArray& body) {
    constexpr Provider p = Provider::OpenAI;
    QJsonObject o;
    if (auto e = parseObject(p, body, &o)) {
        return *e;
    }
    ChatRequest r;
    r.provider = p;
    const QJsonValue model = o.value(QStringLiteral("model"));
    if (!model.isString() || model.toString().isEmpty()) {
        return invalid(p, QStringLiteral("You must provide a model parameter (a string)."),
                       "model");
    }
    r.model = model.toString();
    const QJsonValue messages = o.value(QStringLiteral("messages"));
    if (!messages.isArray() || messages.toArray().isEmpty()) {
        return invalid(p, QStringLiteral("'messages' must be a non-empty array of messages."),
                       "messages");
    }
    static const QStringList roles = {QStringLiteral("system"), QStringLiteral("developer"),
                                      QStringLiteral("user"),   QStringLiteral("assistant"),
                                      QStringLiteral("tool"),   QStringLiteral("function")};
    const QJsonArray list = messages.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QByteArray where = "messages[" + QByteArray::number(i) + "]";
        if (!list.at(i).isObject()) {
            return invalid(
                p, QStringLiteral("Invalid '%1': expected an object.").arg(QLatin1String(where)),
                where);
        }
        const QJsonObject m = list.at(i).toObject();
        const QString role = m.value(QStringLiteral("role")).toString();
        if (!roles.contains(role)) {
            return invalid(p,
                           QStringLiteral("Invalid '%1.role': expected one of %2.")
                               .arg(QLatin1String(where), roles.join(QStringLiteral(", "))),
                           where + ".role");
        }
        QString text;
        if (auto why = contentText(m.value(QStringLiteral("content")), &text)) {
            return invalid(
                p, QStringLiteral("Invalid '%1.content': %2.").arg(QLatin1String(where), *why),
                where + ".content");
        }
    }
    if (auto e = readMaxTokens(p, o, "max_tokens", &r.maxTokens)) {
        return *e;
    }
    if (auto e = readMaxTokens(p, o, "max_completion_tokens", &r.maxTokens)) {
        return *e;
    }
    const QJsonValue stream = o.value(QStringLiteral("stream"));
    if (!stream.isUndefined() && !stream.isNull() && !stream.isBool()) {
        return invalid(p, QStringLiteral("Invalid 'stream': expected a boolean."), "stream");
    }
    r.stream = stream.toBool(false);
    const QJsonValue options = o.value(QStringLiteral("stream_options"));
    if (!options.isUndefined() && !options.isNull()) {
        if (!r.stream) {
            return invalid(p,
                           QStringLiteral("The 'stream_options' parameter is only allowed when "
                                          "'stream' is enabled."),
                           "stream_options");
        }
        if (!options.isObject()) {
            return invalid(p, QStringLiteral("Invalid 'stream_options': expected an object."),
                           "stream_options");
        }
        const QJsonValue usage = options.toObject().value(QStringLiteral("include_usage"));
        if (!usage.isUndefined() && !usage.isBool()) {
            return invalid(p,
                           QStringLiteral("Invalid 'stream_options.include_usage': expected a "
                                          "boolean."),
                           "stream_options.include_usage");
        }
        r.includeUsage = usage.toBool(false);
    }
    const QJsonValue n = o.value(QStringLiteral("n"));
    if (!n.isUndefined() && !n.isNull() && n.toDouble(-1) != 1) {
        return invalid(p, QStringLiteral("Invalid 'n': this server returns one choice (n=1)."),
                       "n");
    }
    r.promptTokens = countPromptTokens(o, p);
    return r;
}

std::variant<ChatRequest, ApiError> parseAnthropicMessages(const QByteArray& body) {
    constexpr Provider p = Provider::Anthropic;
    QJsonObject o;
    if (auto e = parseObject(p, body, &o)) {
        return *e;
    }
    ChatRequest r;
    r.provider = p;
    const QJsonValue model = o.value(QStringLiteral("model"));
    if (!model.isString() || model.toString().isEmpty()) {
        return invalid(p, QStringLiteral("Field required (a string)"), "model");
    }
    r.model = model.toString();
    if (!o.contains(QStringLiteral("max_tokens"))) {
        return invalid(p, QStringLiteral("Field required"), "max_tokens");
    }
    if (auto e = readMaxTokens(p, o, "max_tokens", &r.maxTokens)) {
        return *e;
    }
    if (!r.maxTokens) {
        return invalid(p, QStringLiteral("Field required"), "max_tokens");
    }
    const QJsonValue messages = o.value(QStringLiteral("messages"));
    if (!messages.isArray() || messages.toArray().isEmpty()) {
        return invalid(p, QStringLiteral("Field required (a non-empty array)"), "messages");
    }
    const QJsonArray list = messages.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QByteArray where = "messages." + QByteArray::number(i);
        if (!list.at(i).isObject()) {
            return invalid(p, QStringLiteral("Input should be an object"), where);
        }
        const QJsonObject m = list.at(i).toObject();
        const QString role = m.value(QStringLiteral("role")).toString();
        if (role != QStringLiteral("user") && role != QStringLiteral("assistant")) {
            return invalid(p, QStringLiteral("Input should be 'user' or 'assistant'"),
                           where + ".role");
        }
        if (!m.contains(QStringLiteral("content"))) {
            return invalid(p, QStringLiteral("Field required"), where + ".content");
        }
        QString text;
        if (auto why = contentText(m.value(QStringLiteral("content")), &text)) {
            return invalid(p, *why, where + ".content");
        }
    }
    if (o.contains(QStringLiteral("system"))) {
        QString text;
        if (auto why = contentText(o.value(QStringLiteral("system")), &text)) {
            return invalid(p, *why, "system");
        }
    }
    const QJsonValue stream = o.value(QStringLiteral("stream"));
    if (!stream.isUndefined() && !stream.isNull() && !stream.isBool()) {
        return invalid(p, QStringLiteral("Input should be a valid boolean"), "stream");
    }
    r.stream = stream.toBool(false);
    r.promptTokens = countPromptTokens(o, p);
    return r;
}

} // namespace sluice::mock
