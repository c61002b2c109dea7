#include "core/server/mock/mockprotocol.h"

#include "core/net/tokenestimate.h"

#include "core/goduration.h"

#include <QDateTime>
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

QByteArray jsonString(QByteArrayView utf8) {
    QByteArray out;
    out.reserve(utf8.size() + 2);
    out += '"';
    for (const char ch : utf8) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                static const char hex[] = "0123456789abcdef";
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xF];
            } else {
                out += ch;
            }
        }
    }
    out += '"';
    return out;
}

QByteArray compact(const QJsonObject& o) {
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray sseData(const QByteArray& json) {
    return "data: " + json + "\n\n";
}

QByteArray sseEvent(QByteArrayView event, const QByteArray& json) {
    return "event: " + event.toByteArray() + "\ndata: " + json + "\n\n";
}

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

QByteArray errorBody(Provider provider, const ApiError& error) {
    const QByteArray message = jsonString(error.message.toUtf8());
    if (provider == Provider::Anthropic) {
        return "{\"type\":\"error\",\"error\":{\"type\":" + jsonString(error.type) +
               ",\"message\":" + message + "}}";
    }
    return "{\"error\":{\"message\":" + message + ",\"type\":" + jsonString(error.type) +
           ",\"param\":" + (error.param.isEmpty() ? QByteArray("null") : jsonString(error.param)) +
           ",\"code\":" + (error.code.isEmpty() ? QByteArray("null") : jsonString(error.code)) +
           "}}";
}

HttpHeaders rateLimitHeaders(Provider provider, const RateLimitState& s) {
    HttpHeaders h;
    const auto ceilMs = [](Nanos d) {
        return std::max<std::int64_t>(0, (d.count() + 999'999) / 1'000'000);
    };
    const auto ceilSeconds = [&](Nanos d) {
        return std::max<std::int64_t>(1, (ceilMs(d) + 999) / 1000);
    };
    if (provider == Provider::OpenAI) {
        const auto resetText = [&](Nanos d) {
            return formatGoDuration(Nanos{ceilMs(d) * 1'000'000});
        };
        if (s.requestLimit > 0) {
            h.append({"x-ratelimit-limit-requests", QByteArray::number(s.requestLimit)});
            h.append({"x-ratelimit-remaining-requests", QByteArray::number(s.requestRemaining)});
            h.append({"x-ratelimit-reset-requests", resetText(s.requestReset)});
        }
        if (s.tokenLimit > 0) {
            h.append({"x-ratelimit-limit-tokens", QByteArray::number(s.tokenLimit)});
            h.append({"x-ratelimit-remaining-tokens", QByteArray::number(s.tokenRemaining)});
            h.append({"x-ratelimit-reset-tokens", resetText(s.tokenReset)});
        }
        if (s.retryAfter) {
            h.append({"retry-after", QByteArray::number(ceilSeconds(*s.retryAfter))});
            h.append({"retry-after-ms", QByteArray::number(ceilMs(*s.retryAfter))});
        }
        return h;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const auto rfc3339 = [&](Nanos d) {
        // Whole seconds, rounded up, so the reset is never announced early.
        const QDateTime at = now.addMSecs(ceilMs(d));
        const QDateTime whole = at.time().msec() == 0 ? at : at.addMSecs(1000 - at.time().msec());
        return whole.toString(Qt::ISODate).toUtf8();
    };
    if (s.requestLimit > 0) {
        h.append({"anthropic-ratelimit-requests-limit", QByteArray::number(s.requestLimit)});
        h.append(
            {"anthropic-ratelimit-requests-remaining", QByteArray::number(s.requestRemaining)});
        h.append({"anthropic-ratelimit-requests-reset", rfc3339(s.requestReset)});
    }
    if (s.tokenLimit > 0) {
        h.append({"anthropic-ratelimit-tokens-limit", QByteArray::number(s.tokenLimit)});
        h.append({"anthropic-ratelimit-tokens-remaining", QByteArray::number(s.tokenRemaining)});
        h.append({"anthropic-ratelimit-tokens-reset", rfc3339(s.tokenReset)});
    }
    if (s.retryAfter) {
        h.append({"retry-after", QByteArray::number(ceilSeconds(*s.retryAfter))});
    }
    return h;
}

ApiError rateLimitError(Provider provider, bool tokens, std::int64_t limit, std::int64_t used,
                        std::int64_t requested, Nanos retryAfter) {
    ApiError e;
    e.status = 429;
    const QString wait = QString::fromUtf8(
        formatGoDuration(Nanos{(retryAfter.count() + 999'999) / 1'000'000 * 1'000'000}));
    if (provider == Provider::Anthropic) {
        e.type = "rate_limit_error";
        e.message = QStringLiteral("This request would exceed your organization's rate limit of "
                                   "%1 %2 per minute. Please try again in %3.")
                        .arg(limit)
                        .arg(tokens ? QStringLiteral("tokens") : QStringLiteral("requests"), wait);
        return e;
    }
    e.type = tokens ? "tokens" : "requests";
    e.code = "rate_limit_exceeded";
    e.message = QStringLiteral("Rate limit reached for %1 in organization org-mock on %2: Limit "
                               "%3, Used %4, Requested %5. Please try again in %6.")
                    .arg(tokens ? QStringLiteral("tokens") : QStringLiteral("requests"),
                         tokens ? QStringLiteral("tokens per min (TPM)")
                                : QStringLiteral("requests per min (RPM)"))
                    .arg(limit)
                    .arg(used)
                    .arg(requested)
                    .arg(wait);
    return e;
}

ApiError requestTooLargeError(Provider provider, std::int64_t limit, std::int64_t requested) {
    ApiError e;
    e.status = 429;
    if (provider == Provider::Anthropic) {
        e.type = "rate_limit_error";
        e.message =
            QStringLiteral("This request needs %1 tokens, more than your organization's "
                           "limit of %2 tokens per minute; reduce the prompt or max_tokens.")
                .arg(requested)
                .arg(limit);
        return e;
    }
    e.type = "tokens";
    e.code = "rate_limit_exceeded";
    e.message = QStringLiteral("Request too large for organization org-mock on tokens per min "
                               "(TPM): Limit %1, Requested %2. The input or output tokens must be "
                               "reduced in order to run successfully.")
                    .arg(limit)
                    .arg(requested);
    return e;
}

ApiError quotaError(Provider provider) {
    ApiError e;
    if (provider == Provider::Anthropic) {
        e.status = 400;
        e.type = "invalid_request_error";
        e.message = QStringLiteral("Your credit balance is too low to access the Anthropic API. "
                                   "Please go to Plans & Billing to upgrade or purchase credits.");
        return e;
    }
    e.status = 429;
    e.type = "insufficient_quota";
    e.code = "insufficient_quota";
    e.message = QStringLiteral("You exceeded your current quota, please check your plan and "
                               "billing details.");
    return e;
}

ApiError serverError(Provider provider, int status) {
    ApiError e;
    e.status = status;
    if (provider == Provider::Anthropic) {
        e.type = "api_error";
        e.message = status == 503 ? QStringLiteral("Service unavailable")
                                  : QStringLiteral("Internal server error");
        return e;
    }
    e.type = "server_error";
    e.message = status == 503
                    ? QStringLiteral("The server is currently unavailable, please try again later.")
                    : QStringLiteral("The server had an error while processing your request. "
                                     "Sorry about that!");
    return e;
}

ApiError overloadedError(Provider provider) {
    ApiError e;
    if (provider == Provider::Anthropic) {
        e.status = 529;
        e.type = "overloaded_error";
        e.message = QStringLiteral("Overloaded");
        return e;
    }
    e.status = 503;
    e.type = "server_error";
    e.message = QStringLiteral("The engine is currently overloaded, please try again later.");
    return e;
}

ReplyWriter::ReplyWriter(const ChatRequest& request, QByteArray id, std::int64_t created)
    : m_request(request)
    , m_id(std::move(id))
    , m_created(created) {
    // Every content chunk of a reply differs only in its token: frame it once.
    m_chunkHead = "data: {\"id\":\"" + m_id +
                  "\",\"object\":\"chat.completion.chunk\",\"created\":" +
                  QByteArray::number(static_cast<qlonglong>(m_created)) +
                  ",\"model\":" + jsonString(m_request.model.toUtf8()) +
                  ",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"delta\":{\"content\":";
    m_chunkTail = QByteArrayLiteral("},\"logprobs\":null,\"finish_reason\":null}]");
    if (m_request.includeUsage) {
        m_chunkTail += ",\"usage\":null";
    }
    m_chunkTail += "}\n\n";
}

QJsonObject ReplyWriter::usageObject(int completionTokens) const {
    if (m_request.provider == Provider::Anthropic) {
        return {{QStringLiteral("input_tokens"), m_request.promptTokens},
                {QStringLiteral("output_tokens"), completionTokens}};
    }
    return {{QStringLiteral("prompt_tokens"), m_request.promptTokens},
            {QStringLiteral("completion_tokens"), completionTokens},
            {QStringLiteral("total_tokens"), m_request.promptTokens + completionTokens}};
}

QByteArray ReplyWriter::openAiCompletion(const QByteArray& text, int completionTokens,
                                         bool truncated) const {
    const QJsonObject message{{QStringLiteral("role"), QStringLiteral("assistant")},
                              {QStringLiteral("content"), QString::fromUtf8(text)}};
    const QJsonObject choice{{QStringLiteral("index"), 0},
                             {QStringLiteral("message"), message},
                             {QStringLiteral("logprobs"), QJsonValue::Null},
                             {QStringLiteral("finish_reason"),
                              truncated ? QStringLiteral("length") : QStringLiteral("stop")}};
    return compact({{QStringLiteral("id"), QString::fromLatin1(m_id)},
                    {QStringLiteral("object"), QStringLiteral("chat.completion")},
                    {QStringLiteral("created"), static_cast<double>(m_created)},
                    {QStringLiteral("model"), m_request.model},
                    {QStringLiteral("choices"), QJsonArray{choice}},
                    {QStringLiteral("usage"), usageObject(completionTokens)},
                    {QStringLiteral("system_fingerprint"), QJsonValue::Null}});
}

QJsonObject ReplyWriter::openAiChunkBase() const {
    QJsonObject o{{QStringLiteral("id"), QString::fromLatin1(m_id)},
                  {QStringLiteral("object"), QStringLiteral("chat.completion.chunk")},
                  {QStringLiteral("created"), static_cast<double>(m_created)},
                  {QStringLiteral("model"), m_request.model},
                  {QStringLiteral("system_fingerprint"), QJsonValue::Null}};
    if (m_request.includeUsage) {
        o.insert(QStringLiteral("usage"), QJsonValue::Null);
    }
    return o;
}

QByteArray ReplyWriter::openAiRoleChunk() const {
    QJsonObject o = openAiChunkBase();
    const QJsonObject delta{{QStringLiteral("role"), QStringLiteral("assistant")},
                            {QStringLiteral("content"), QString()},
                            {QStringLiteral("refusal"), QJsonValue::Null}};
    o.insert(QStringLiteral("choices"),
             QJsonArray{QJsonObject{{QStringLiteral("index"), 0},
                                    {QStringLiteral("delta"), delta},
                                    {QStringLiteral("logprobs"), QJsonValue::Null},
                                    {QStringLiteral("finish_reason"), QJsonValue::Null}}});
    return sseData(compact(o));
}

QByteArray ReplyWriter::openAiContentChunk(const QByteArray& token) const {
    return m_chunkHead + jsonString(token) + m_chunkTail;
}

QByteArray ReplyWriter::openAiFinishChunk(bool truncated) const {
    QJsonObject o = openAiChunkBase();
    o.insert(
        QStringLiteral("choices"),
        QJsonArray{QJsonObject{{QStringLiteral("index"), 0},
                               {QStringLiteral("delta"), QJsonObject{}},
                               {QStringLiteral("logprobs"), QJsonValue::Null},
                               {QStringLiteral("finish_reason"),
                                truncated ? QStringLiteral("length") : QStringLiteral("stop")}}});
    return sseData(compact(o));
}

QByteArray ReplyWriter::openAiUsageChunk(int completionTokens) const {
    QJsonObject o = openAiChunkBase();
    o.insert(QStringLiteral("choices"), QJsonArray{});
    o.insert(QStringLiteral("usage"), usageObject(completionTokens));
    return sseData(compact(o));
}

QByteArray ReplyWriter::openAiDone() {
    return QByteArrayLiteral("data: [DONE]\n\n");
}

QByteArray ReplyWriter::openAiErrorEvent(const ApiError& error) {
    return sseData(errorBody(Provider::OpenAI, error));
}

QByteArray ReplyWriter::anthropicMessage(const QByteArray& text, int outputTokens,
                                         bool truncated) const {
    const QJsonObject block{{QStringLiteral("type"), QStringLiteral("text")},
                            {QStringLiteral("text"), QString::fromUtf8(text)}};
    return compact({{QStringLiteral("id"), QString::fromLatin1(m_id)},
                    {QStringLiteral("type"), QStringLiteral("message")},
                    {QStringLiteral("role"), QStringLiteral("assistant")},
                    {QStringLiteral("model"), m_request.model},
                    {QStringLiteral("content"), QJsonArray{block}},
                    {QStringLiteral("stop_reason"),
                     truncated ? QStringLiteral("max_tokens") : QStringLiteral("end_turn")},
                    {QStringLiteral("stop_sequence"), QJsonValue::Null},
                    {QStringLiteral("usage"), usageObject(outputTokens)}});
}

QByteArray ReplyWriter::anthropicStart() const {
    const QJsonObject message{{QStringLiteral("id"), QString::fromLatin1(m_id)},
                              {QStringLiteral("type"), QStringLiteral("message")},
                              {QStringLiteral("role"), QStringLiteral("assistant")},
                              {QStringLiteral("model"), m_request.model},
                              {QStringLiteral("content"), QJsonArray{}},
                              {QStringLiteral("stop_reason"), QJsonValue::Null},
                              {QStringLiteral("stop_sequence"), QJsonValue::Null},
                              {QStringLiteral("usage"), usageObject(1)}};
    const QJsonObject block{{QStringLiteral("type"), QStringLiteral("text")},
                            {QStringLiteral("text"), QString()}};
    return sseEvent("message_start",
                    compact({{QStringLiteral("type"), QStringLiteral("message_start")},
                             {QStringLiteral("message"), message}})) +
           sseEvent("content_block_start",
                    compact({{QStringLiteral("type"), QStringLiteral("content_block_start")},
                             {QStringLiteral("index"), 0},
                             {QStringLiteral("content_block"), block}})) +
           sseEvent("ping", "{\"type\":\"ping\"}");
}

QByteArray ReplyWriter::anthropicDelta(const QByteArray& token) const {
    return sseEvent("content_block_delta",
                    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                    "\"text_delta\",\"text\":" +
                        jsonString(token) + "}}");
}

QByteArray ReplyWriter::anthropicFinish(int outputTokens, bool truncated) const {
    const QJsonObject delta{{QStringLiteral("stop_reason"),
                             truncated ? QStringLiteral("max_tokens") : QStringLiteral("end_turn")},
                            {QStringLiteral("stop_sequence"), QJsonValue::Null}};
    return sseEvent("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}") +
           sseEvent("message_delta",
                    compact({{QStringLiteral("type"), QStringLiteral("message_delta")},
                             {QStringLiteral("delta"), delta},
                             {QStringLiteral("usage"),
                              QJsonObject{{QStringLiteral("output_tokens"), outputTokens}}}})) +
           sseEvent("message_stop", "{\"type\":\"message_stop\"}");
}

QByteArray ReplyWriter::anthropicErrorEvent(const ApiError& error) {
    return sseEvent("error", errorBody(Provider::Anthropic, error));
}

} // namespace sluice::mock
