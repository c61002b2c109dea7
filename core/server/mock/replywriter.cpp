#include "core/server/mock/replywriter.h"

#include "core/server/mock/mockerrors.h"
#include "core/server/mock/wirejson.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace sluice::mock {

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
