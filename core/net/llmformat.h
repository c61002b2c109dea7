#pragma once

#include "core/net/sseparser.h"

#include <QByteArray>
#include <QList>
#include <QNetworkRequest>
#include <QString>
#include <QUrl>

#include <optional>

namespace sluice {

/// The wire format of an LLM endpoint.
enum class ApiFormat { OpenAi, Anthropic };

const char* formatName(ApiFormat format);
std::optional<ApiFormat> parseFormat(QStringView text);

/// The chat endpoint under a base URL, by each provider's convention: an OpenAI base already
/// ends in /v1 (OPENAI_BASE_URL), an Anthropic one does not. A URL that already names the
/// endpoint is kept.
QUrl endpointUrl(ApiFormat format, const QUrl& base);

/// Headers for one call: auth (Bearer or x-api-key + anthropic-version), JSON, SSE accept.
QNetworkRequest buildNetworkRequest(ApiFormat format, const QUrl& endpoint,
                                    const QByteArray& apiKey, bool stream);

struct ChatMessage {
    QString role;
    QString content;
};

/// A minimal chat request body. OpenAI streams ask for usage in the last chunk.
QByteArray buildChatBody(ApiFormat format, const QString& model, const QList<ChatMessage>& messages,
                         int maxTokens, bool stream);

/// An API key as it may be shown anywhere: "sk-...abcd" (never the key itself).
QString maskKey(QByteArrayView key);

/// Reads one response as it arrives: SSE events of a stream, or the whole JSON body.
/// Counts content chunks (events that carry output text or a reasoning delta — not the
/// role-only first chunk), usage, and a mid-stream error.
class ResponseReader {
public:
    ResponseReader(ApiFormat format, bool stream);

    /// Feeds bytes; returns how many content chunks they completed.
    int feed(QByteArrayView bytes);
    /// The body is complete (non-streaming responses are parsed here).
    void finish();
    /// The response's HTTP status, once the head is in (optional). A 2xx stream then keeps only
    /// the first bytes of its body (for a verdict's sample), not 4 KiB per stream.
    void setStatus(int status) {
        m_streamBodyLimit = status >= 200 && status < 300 ? kStreamSample : kStreamErrorBody;
    }
    /// The response's Content-Type, for the malformed-response verdict (optional).
    void setContentType(const QByteArray& type) { m_contentType = type; }
    /// After finish() of a 2xx: empty when the body is an answer in the expected format;
    /// otherwise what was wrong ("body is not JSON (text/html): <!DOCTYPE html>…", "no valid
    /// event in the stream"). A success needs a valid answer, not just a 200.
    const QString& malformed() const { return m_malformed; }

    bool hasUsage() const { return m_hasUsage; }
    std::int64_t promptTokens() const { return m_promptTokens; }
    std::int64_t completionTokens() const { return m_completionTokens; }
    /// Output tokens estimated from the text received, for when usage is absent.
    std::int64_t estimatedCompletionTokens() const { return m_estimatedTokens; }
    int contentChunks() const { return m_chunks; }
    /// Server times carried by the content chunks of the last feed() (the built-in mock's
    /// "x_sent_ns"; -1 when a chunk had none), and the request's arrival there ("x_arrived_ns").
    const std::vector<std::int64_t>& feedStamps() const { return m_feedStamps; }
    std::int64_t serverArrivedNs() const { return m_arrivedNs; }
    bool sawEnd() const { return m_sawEnd; }
    /// A stream that ended without its terminator, or an error event inside a 200 stream.
    const QString& streamError() const { return m_error; }
    /// The provider's type of that error event ("overloaded_error", "rate_limit_error", ...).
    const QString& streamErrorType() const { return m_errorType; }
    /// The body of a non-streaming or error response (at most 1 MiB kept).
    const QByteArray& body() const { return m_body; }

private:
    void onEvent(const SseEvent& event, int* chunks);
    void readUsage(const QJsonObject& usage);
    void countText(QStringView text, int* chunks);
    void readStamp(const QJsonObject& o);
    void noteBadEvent(const QByteArray& data);

    ApiFormat m_format;
    bool m_stream;
    SseParser m_sse;
    std::vector<SseEvent> m_events;
    QByteArray m_body;
    static constexpr qsizetype kStreamSample = 64;      ///< enough for sample()
    static constexpr qsizetype kStreamErrorBody = 4096; ///< an error answer sent as SSE
    qsizetype m_streamBodyLimit = kStreamErrorBody;
    bool m_hasUsage = false;
    std::int64_t m_promptTokens = 0;
    std::int64_t m_completionTokens = 0;
    std::int64_t m_estimatedTokens = 0;
    int m_chunks = 0;
    std::vector<std::int64_t> m_feedStamps;
    std::int64_t m_arrivedNs = -1;
    std::int64_t m_eventStamp = -1;
    bool m_sawEnd = false;
    QString m_error;
    QString m_errorType;
    QByteArray m_contentType;
    int m_validEvents = 0;
    int m_badEvents = 0;
    QByteArray m_firstBad; // the first unparsable event's data, cut short
    QString m_malformed;
};

} // namespace sluice
