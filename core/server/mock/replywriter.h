#pragma once

#include "core/server/mock/mockprotocol.h"

#include <QByteArray>
#include <QJsonObject>

#include <cstdint>

namespace sluice::mock {

/// Builds the response bodies and stream events of one reply.
class ReplyWriter {
public:
    ReplyWriter(const ChatRequest& request, QByteArray id, std::int64_t created);

    // OpenAI
    QByteArray openAiCompletion(const QByteArray& text, int completionTokens, bool truncated) const;
    QByteArray openAiRoleChunk() const;
    QByteArray openAiContentChunk(const QByteArray& token) const;
    QByteArray openAiFinishChunk(bool truncated) const;
    QByteArray openAiUsageChunk(int completionTokens) const;
    static QByteArray openAiDone();
    static QByteArray openAiErrorEvent(const ApiError& error);

    // Anthropic
    QByteArray anthropicMessage(const QByteArray& text, int outputTokens, bool truncated) const;
    QByteArray anthropicStart() const; ///< message_start, content_block_start, ping
    QByteArray anthropicDelta(const QByteArray& token) const;
    QByteArray anthropicFinish(int outputTokens,
                               bool truncated) const; ///< ..._stop, message_delta, message_stop
    static QByteArray anthropicErrorEvent(const ApiError& error);

private:
    QJsonObject openAiChunkBase() const;
    QJsonObject usageObject(int completionTokens) const;

    ChatRequest m_request;
    QByteArray m_id;
    std::int64_t m_created;
    QByteArray m_chunkHead; ///< OpenAI content chunk up to the token text
    QByteArray m_chunkTail; ///< ...and after it
};

} // namespace sluice::mock
