#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QStringView>

#include <cstdint>

namespace sluice {

/// A tokenizer-free estimate of a text's tokens: each run of up to 4 letters or digits is one
/// token, each other non-space character is one. Close to BPE tokenizers on English prose and
/// code (about 4 characters a token), and exact for the built-in mock.
int estimateTokens(QStringView text);

/// Estimated prompt tokens of an OpenAI chat or Anthropic messages request body: every
/// message's text (string or text parts) plus 3 per message, and the system prompt.
int estimatePromptTokens(const QJsonObject& request);

/// The most output tokens a request body asks for: OpenAI's `max_completion_tokens` (which
/// replaces `max_tokens` for newer models) when it names one, else `max_tokens` (OpenAI's older
/// field, Anthropic's only one), else `fallback`.
std::int64_t requestedMaxTokens(const QJsonObject& request, std::int64_t fallback);

} // namespace sluice
