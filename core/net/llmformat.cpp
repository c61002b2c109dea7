#include "core/net/llmformat.h"

#include "core/net/chunkscan.h"
#include "core/net/tokenestimate.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace sluice {

namespace {
constexpr qsizetype kMaxBody = 1 << 20;
} // namespace

const char* formatName(ApiFormat format) {
    return format == ApiFormat::Anthropic ? "anthropic" : "openai";
}

std::optional<ApiFormat> parseFormat(QStringView text) {
    if (text.compare(QLatin1String("openai"), Qt::CaseInsensitive) == 0) {
        return ApiFormat::OpenAi;
    }
    if (text.compare(QLatin1String("anthropic"), Qt::CaseInsensitive) == 0) {
        return ApiFormat::Anthropic;
    }
    return std::nullopt;
}

QUrl endpointUrl(ApiFormat format, const QUrl& base) {
    QUrl url = base;
    QString path = url.path();
    if (path.endsWith(QLatin1String("/chat/completions")) ||
        path.endsWith(QLatin1String("/messages"))) {
        return url;
    }
    while (path.endsWith(QLatin1Char('/'))) {
        path.chop(1);
    }
    if (format == ApiFormat::OpenAi) {
        // A bare host means the usual /v1 (vLLM, LiteLLM, the mock); a path is taken as given
        // (OPENAI_BASE_URL style: https://api.openai.com/v1, Azure-style prefixes).
        path += path.isEmpty() ? QLatin1String("/v1/chat/completions")
                               : QLatin1String("/chat/completions");
    } else {
        path += path.endsWith(QLatin1String("/v1")) ? QLatin1String("/messages")
                                                    : QLatin1String("/v1/messages");
    }
    url.setPath(path);
    return url;
}

QNetworkRequest buildNetworkRequest(ApiFormat format, const QUrl& endpoint,
                                    const QByteArray& apiKey, bool stream) {
    QNetworkRequest request(endpoint);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setRawHeader("Accept", stream ? "text/event-stream" : "application/json");
    if (format == ApiFormat::OpenAi) {
        // Azure OpenAI takes its resource keys in an api-key header, not as a bearer token.
        const bool azure =
            endpoint.host().endsWith(QLatin1String(".azure.com"), Qt::CaseInsensitive);
        if (!apiKey.isEmpty()) {
            if (azure) {
                request.setRawHeader("api-key", apiKey);
            } else {
                request.setRawHeader("Authorization", "Bearer " + apiKey);
            }
        }
    } else {
        if (!apiKey.isEmpty()) {
            request.setRawHeader("x-api-key", apiKey);
        }
        request.setRawHeader("anthropic-version", "2023-06-01");
    }
    return request;
}

QByteArray buildChatBody(ApiFormat format, const QString& model, const QList<ChatMessage>& messages,
                         int maxTokens, bool stream) {
    QJsonArray list;
    QString system;
    for (const ChatMessage& m : messages) {
        if (format == ApiFormat::Anthropic && m.role == QLatin1String("system")) {
            system += m.content;
            continue;
        }
        list.append(
            QJsonObject{{QStringLiteral("role"), m.role}, {QStringLiteral("content"), m.content}});
    }
    QJsonObject body{{QStringLiteral("model"), model},
                     {QStringLiteral("messages"), list},
                     {QStringLiteral("max_tokens"), maxTokens}};
    if (stream) {
        body.insert(QStringLiteral("stream"), true);
        if (format == ApiFormat::OpenAi) {
            body.insert(QStringLiteral("stream_options"),
                        QJsonObject{{QStringLiteral("include_usage"), true}});
        }
    }
    if (!system.isEmpty()) {
        body.insert(QStringLiteral("system"), system);
    }
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

QString maskKey(QByteArrayView key) {
    if (key.isEmpty()) {
        return QStringLiteral("(none)");
    }
    const QString tail =
        key.size() >= 12 ? QString::fromLatin1(key.last(4).toByteArray()) : QString();
    const QString head = key.startsWith("sk-ant-") ? QStringLiteral("sk-ant-")
                         : key.startsWith("sk-")   ? QStringLiteral("sk-")
                                                   : QString();
    return head + QStringLiteral("...") + tail;
}

ResponseReader::ResponseReader(ApiFormat format, bool stream)
    : m_format(format)
    , m_stream(stream) {}

int ResponseReader::feed(QByteArrayView bytes) {
    if (!m_stream) {
        if (m_body.size() < kMaxBody) {
            m_body.append(bytes.first(std::min(bytes.size(), kMaxBody - m_body.size())));
        }
        return 0;
    }
    if (m_body.size() < 4096) {
        m_body.append(bytes.first(std::min<qsizetype>(
            bytes.size(), 4096 - m_body.size()))); // for error answers sent as SSE
    }
    int chunks = 0;
    m_feedStamps.clear();
    m_events.clear();
    m_sse.feed(bytes, m_events);
    for (const SseEvent& e : m_events) {
        onEvent(e, &chunks);
    }
    return chunks;
}

void ResponseReader::countText(QStringView text, int* chunks) {
    if (text.isEmpty()) {
        return;
    }
    ++*chunks;
    ++m_chunks;
    m_feedStamps.push_back(m_eventStamp);
    m_estimatedTokens += std::max(1, estimateTokens(text));
}

void ResponseReader::readStamp(const QJsonObject& o) {
    const QJsonValue sent = o.value(QLatin1String("x_sent_ns"));
    m_eventStamp = sent.isDouble() ? sent.toInteger(-1) : -1;
    const QJsonValue arrived = o.value(QLatin1String("x_arrived_ns"));
    if (arrived.isDouble() && m_arrivedNs < 0) {
        m_arrivedNs = arrived.toInteger(-1);
    }
}

void ResponseReader::readUsage(const QJsonObject& usage) {
    // OpenAI names, then Anthropic's; Anthropic reports input at the start and output at the end.
    if (usage.contains(QStringLiteral("prompt_tokens"))) {
        m_promptTokens = usage.value(QStringLiteral("prompt_tokens")).toInteger();
    }
    if (usage.contains(QStringLiteral("completion_tokens"))) {
        m_completionTokens = usage.value(QStringLiteral("completion_tokens")).toInteger();
        m_hasUsage = true;
    }
    if (usage.contains(QStringLiteral("input_tokens"))) {
        m_promptTokens = usage.value(QStringLiteral("input_tokens")).toInteger();
    }
    if (usage.contains(QStringLiteral("output_tokens"))) {
        m_completionTokens = usage.value(QStringLiteral("output_tokens")).toInteger();
        m_hasUsage = m_hasUsage || m_format == ApiFormat::OpenAi || m_completionTokens > 0;
    }
}

void ResponseReader::onEvent(const SseEvent& event, int* chunks) {
    if (m_format == ApiFormat::OpenAi) {
        if (event.data == "[DONE]") {
            m_sawEnd = true;
            return;
        }
        // Nearly every event is a plain content chunk: one pass over its bytes finds what
        // counts; anything unusual (usage, errors, escapes) gets the full parse below.
        if (const std::optional<OpenAiChunkFacts> fast = scanOpenAiChunk(event.data)) {
            ++m_validEvents;
            m_eventStamp = fast->sentNs;
            if (fast->arrivedNs && m_arrivedNs < 0) {
                m_arrivedNs = *fast->arrivedNs;
            }
            if (fast->hasText) { // as countText() does
                ++*chunks;
                ++m_chunks;
                m_feedStamps.push_back(m_eventStamp);
                m_estimatedTokens += std::max(1, fast->textTokens);
            }
            return;
        }
        const QJsonDocument doc = QJsonDocument::fromJson(event.data);
        const QJsonObject o = doc.object();
        if (!doc.isObject() ||
            !(o.contains(QLatin1String("choices")) || o.contains(QLatin1String("usage")) ||
              o.contains(QLatin1String("error")))) {
            noteBadEvent(event.data);
            return;
        }
        ++m_validEvents;
        readStamp(o);
        if (o.contains(QStringLiteral("error"))) {
            const QJsonObject error = o.value(QStringLiteral("error")).toObject();
            m_error = error.value(QStringLiteral("message"))
                          .toString(QStringLiteral("error event in stream"));
            m_errorType = error.value(QStringLiteral("type")).toString();
            return;
        }
        const QJsonArray choices = o.value(QStringLiteral("choices")).toArray();
        if (!choices.isEmpty()) {
            const QJsonObject delta =
                choices.at(0).toObject().value(QStringLiteral("delta")).toObject();
            QString text = delta.value(QStringLiteral("content")).toString();
            text += delta.value(QStringLiteral("reasoning_content")).toString();
            text += delta.value(QStringLiteral("reasoning")).toString();
            countText(text, chunks);
        }
        const QJsonValue usage = o.value(QStringLiteral("usage"));
        if (usage.isObject()) {
            readUsage(usage.toObject());
        }
        return;
    }
    // Anthropic: the event name says what the data is.
    const QByteArray& type = event.event;
    const QJsonDocument doc = QJsonDocument::fromJson(event.data);
    const QJsonObject o = doc.object();
    if (!doc.isObject() || !o.contains(QLatin1String("type"))) {
        noteBadEvent(event.data);
        return;
    }
    ++m_validEvents;
    if (type == "ping") {
        return;
    }
    if (type == "message_start") {
        readUsage(o.value(QStringLiteral("message"))
                      .toObject()
                      .value(QStringLiteral("usage"))
                      .toObject());
    } else if (type == "content_block_delta") {
        readStamp(o);
        const QJsonObject delta = o.value(QStringLiteral("delta")).toObject();
        QString text = delta.value(QStringLiteral("text")).toString();
        text += delta.value(QStringLiteral("thinking")).toString();
        countText(text, chunks);
    } else if (type == "message_delta") {
        readUsage(o.value(QStringLiteral("usage")).toObject());
        m_hasUsage = true;
    } else if (type == "message_stop") {
        m_sawEnd = true;
    } else if (type == "error") {
        const QJsonObject error = o.value(QStringLiteral("error")).toObject();
        m_error = error.value(QStringLiteral("message"))
                      .toString(QStringLiteral("error event in stream"));
        m_errorType = error.value(QStringLiteral("type")).toString();
    }
}

void ResponseReader::noteBadEvent(const QByteArray& data) {
    if (m_badEvents++ == 0) {
        m_firstBad = data.left(60);
    }
}

namespace {

// A few bytes of what came, printable, for a reason text.
QString sample(const QByteArray& bytes) {
    QString s = QString::fromUtf8(bytes.left(60)).simplified();
    if (bytes.size() > 60) {
        s += QStringLiteral("…");
    }
    return s.isEmpty() ? QStringLiteral("(empty)") : s;
}

} // namespace

void ResponseReader::finish() {
    const QString type = m_contentType.isEmpty()
                             ? QString()
                             : QStringLiteral(" (%1)").arg(QString::fromLatin1(m_contentType.left(
                                   m_contentType.indexOf(';') < 0 ? m_contentType.size()
                                                                  : m_contentType.indexOf(';'))));
    if (m_stream) {
        if (m_validEvents == 0 && m_error.isEmpty()) {
            m_malformed =
                m_badEvents > 0
                    ? QStringLiteral("no valid event in the stream%1: %2")
                          .arg(type, sample(m_firstBad))
                    : QStringLiteral("no event in the stream%1: %2").arg(type, sample(m_body));
            return;
        }
        if (!m_sawEnd && m_error.isEmpty()) {
            m_error = QStringLiteral("stream ended before its end marker");
        }
        return;
    }
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(m_body, &parseError);
    if (!doc.isObject()) {
        m_malformed = QStringLiteral("body is not JSON%1: %2").arg(type, sample(m_body));
        return;
    }
    const QJsonObject o = doc.object();
    const QLatin1String expected =
        m_format == ApiFormat::OpenAi ? QLatin1String("choices") : QLatin1String("content");
    if (!o.value(expected).isArray()) {
        m_malformed = QStringLiteral("JSON without \"%1\": %2").arg(expected, sample(m_body));
        return;
    }
    int chunks = 0;
    if (m_format == ApiFormat::OpenAi) {
        const QJsonArray choices = o.value(QStringLiteral("choices")).toArray();
        if (!choices.isEmpty()) {
            countText(choices.at(0)
                          .toObject()
                          .value(QStringLiteral("message"))
                          .toObject()
                          .value(QStringLiteral("content"))
                          .toString(),
                      &chunks);
        }
    } else {
        QString text;
        const QJsonArray content = o.value(QStringLiteral("content")).toArray();
        for (const QJsonValue& part : content) {
            text += part.toObject().value(QStringLiteral("text")).toString();
        }
        countText(text, &chunks);
    }
    readUsage(o.value(QStringLiteral("usage")).toObject());
    m_sawEnd = true;
}

} // namespace sluice
