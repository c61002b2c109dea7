#pragma once

#include <QByteArrayView>

#include <cstdint>
#include <optional>

namespace sluice {

/// What ResponseReader needs from one OpenAI stream event (`chat.completion.chunk`), read by a
/// single pass over its bytes instead of a full JSON document.
struct OpenAiChunkFacts {
    bool hasChoices = false;
    std::int64_t sentNs = -1; ///< "x_sent_ns" (the built-in mock's stamp), -1 when not a number
    std::optional<std::int64_t> arrivedNs; ///< "x_arrived_ns", when a number
    /// choices[0].delta's content + reasoning_content + reasoning is not empty: a content chunk.
    bool hasText = false;
    /// estimateTokens() of that text.
    int textTokens = 0;
};

/// Scans one event's data as an OpenAI chunk. Returns the facts only when the data is plain
/// ASCII JSON of the usual shape: a well-formed object without escapes in strings, "choices"
/// an array whose first element is an object with an object "delta" whose text fields are
/// strings or null, no "error" key, "usage" absent or null, stamps plain integers, and none of
/// these keys repeated. Anything else returns std::nullopt and the caller parses the event in
/// full, so both paths always agree. Pure; safe from any thread.
std::optional<OpenAiChunkFacts> scanOpenAiChunk(QByteArrayView json);

} // namespace sluice
