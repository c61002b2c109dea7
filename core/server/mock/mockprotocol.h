#pragma once

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

} // namespace sluice::mock
