#pragma once

#include "core/engine/clock.h"
#include "core/server/httprequest.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <optional>
#include <variant>

namespace sluice::mock {

enum class Provider { OpenAI, Anthropic };

/// A validated chat request, reduced to what the mock needs to answer it.
struct ChatRequest {
    Provider provider = Provider::OpenAI;
    QString model;
    bool stream = false;
    bool includeUsage = false; ///< OpenAI stream_options.include_usage
    std::optional<int> maxTokens;
    int promptTokens = 0;
};

/// An error answer in the provider's own shape.
struct ApiError {
    int status = 400;
    QByteArray type; ///< OpenAI error.type / Anthropic error.type
    QString message;
    QByteArray param; ///< OpenAI error.param (empty = null)
    QByteArray code;  ///< OpenAI error.code (empty = null)
};

/// What the rate limiters looked like when a request was decided: becomes the provider's
/// x-ratelimit-* / anthropic-ratelimit-* headers.
struct RateLimitState {
    std::int64_t requestLimit = 0; ///< 0 = unlimited: no request headers
    std::int64_t requestRemaining = 0;
    Nanos requestReset{0};
    std::int64_t tokenLimit = 0; ///< 0 = unlimited: no token headers
    std::int64_t tokenRemaining = 0;
    Nanos tokenReset{0};
    std::optional<Nanos> retryAfter; ///< set on a rate-limit 429
};

/// The mock's tokenizer, documented in the README so that usage numbers can be checked: every
/// run of up to four letters or digits is one token, every other non-space character is one.
int countTokens(QStringView text);
/// Tokens of a whole prompt: each message's text plus 3 per message (and the system prompt).
int countPromptTokens(const QJsonObject& request, Provider provider);
/// The text of output token `index` (0-based) of a reply; exactly one token each.
QByteArray outputToken(std::uint64_t replySeed, int index);

/// Validates a POST /v1/chat/completions body.
std::variant<ChatRequest, ApiError> parseOpenAiChat(const QByteArray& body);
/// Validates a POST /v1/messages body.
std::variant<ChatRequest, ApiError> parseAnthropicMessages(const QByteArray& body);

QByteArray errorBody(Provider provider, const ApiError& error);
HttpHeaders rateLimitHeaders(Provider provider, const RateLimitState& state);

/// Standard errors, in both providers' words.
ApiError rateLimitError(Provider provider, bool tokens, std::int64_t limit, std::int64_t used,
                        std::int64_t requested, Nanos retryAfter);
ApiError requestTooLargeError(Provider provider, std::int64_t limit, std::int64_t requested);
ApiError quotaError(Provider provider);
ApiError serverError(Provider provider, int status);
ApiError overloadedError(Provider provider);

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
