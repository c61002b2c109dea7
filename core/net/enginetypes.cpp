#include "core/net/enginetypes.h"

#include "core/net/tokenestimate.h"

namespace sluice {

const char* stateName(RequestState state) {
    switch (state) {
    case RequestState::Queued:
        return "queued";
    case RequestState::WaitingBudget:
        return "waiting_budget";
    case RequestState::InFlight:
        return "in_flight";
    case RequestState::Streaming:
        return "streaming";
    case RequestState::Retrying:
        return "retrying";
    case RequestState::Done:
        return "done";
    case RequestState::Failed:
        return "failed";
    case RequestState::Rejected:
        return "rejected";
    case RequestState::TimedOut:
        return "timed_out";
    case RequestState::Cancelled:
        return "cancelled";
    }
    return "?";
}

EngineRequest chatRequest(ApiFormat format, const QUrl& base, QByteArray apiKey, QString model,
                          const QList<ChatMessage>& messages, int maxTokens, bool stream) {
    EngineRequest r;
    r.format = format;
    r.endpoint = endpointUrl(format, base);
    r.apiKey = std::move(apiKey);
    r.model = std::move(model);
    r.stream = stream;
    r.body = buildChatBody(format, r.model, messages, maxTokens, stream);
    r.maxTokens = maxTokens;
    r.promptTokens = 0; // as estimatePromptTokens() counts the body: 3 per message plus text
    for (const ChatMessage& m : messages) {
        r.promptTokens += 3 + estimateTokens(m.content);
    }
    return r;
}

} // namespace sluice
