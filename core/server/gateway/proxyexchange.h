#pragma once

#include "core/net/enginetypes.h"
#include "core/server/httpresponder.h"

#include <QPointer>

#include <functional>

namespace sluice {

class GatewayServer;

class ProxyExchange;

/// A whole (non-streaming) upstream answer, collected as the engine reads it, to go to the
/// caller in one piece when the request has ended (GatewayServer::forwardWhole()). The gateway's
/// own headers (request id, the limits) are taken when the upstream's arrive, as on the streaming
/// path, so they tell the budget while the request still held its share.
struct WholeAnswer final : ResponseSink {
    explicit WholeAnswer(const ProxyExchange& exchange)
        : m_exchange(exchange) {}

    int status = 0;
    HeaderPairs headers; ///< the upstream's, merged with the gateway's own
    QByteArray body;

    void onHeaders(int s, const HeaderPairs& h) override;
    void onBytes(const QByteArray& bytes) override { body += bytes; }

private:
    const ProxyExchange& m_exchange;
};

/// One caller's request through the engine: the engine's ResponseSink for the upstream answer
/// (forwarded event by event, never re-chunked), and the caller's answer when the engine ends
/// the request (the upstream's error as it was, or the gateway's own 503/429/502 in the
/// caller's API format). Created by GatewayServer per request; deleted by the request's
/// completion, which the engine runs exactly once — so it outlives every sink call. A whole-body
/// request keeps it in its coroutine frame instead and answers through finishWhole().
class ProxyExchange final : public ResponseSink {
public:
    ProxyExchange(GatewayServer& gateway, HttpResponder* responder, ApiFormat format, bool stream);

    void setId(std::uint64_t id) { m_id = id; }
    /// Who is asking, for the limits its answer advertises: the upstream key its request draws
    /// on, the model, and its gateway client (-1: none).
    void setCaller(QByteArray apiKey, QString model, int client) {
        m_apiKey = std::move(apiKey);
        m_model = std::move(model);
        m_client = client;
    }
    /// A streaming caller that asked for x-sluice-queue-status: its 200 and event-stream
    /// headers go out now, and SSE comments say where it waits (queueStatus()). From then on a
    /// failure is told as an SSE error event in the caller's API format.
    void beginQueueStatus();
    bool queueStatusBegun() const { return m_early; }
    /// ": queued 12 ahead, eta 3.2s" (an SSE comment: the SDKs ignore it).
    void queueStatus(std::int64_t ahead, Nanos eta);
    /// The caller disconnected: nothing more is written to it.
    void callerGone() { m_responder.clear(); }
    void onHeaders(int status, const HeaderPairs& headers) override;
    void onBytes(const QByteArray& bytes) override;
    /// The request ended (from the engine's completion): answer the caller if it is still there.
    /// Returns the status the caller got (0 when it had gone).
    int finish(const RequestRecord& record);
    /// The request ended and `answer` holds what the upstream sent: the caller gets it in one
    /// piece when it came whole, else the failure answer (an answer broken off is a 502/504
    /// here, since nothing had gone out yet). Returns the status the caller got (0: gone).
    int finishWhole(const RequestRecord& record, const WholeAnswer& answer);

private:
    friend struct WholeAnswer;
    HttpHeaders ownHeaders() const;
    int answerFailure(const RequestRecord& record);
    /// After beginQueueStatus(): the failure as an SSE error event, then the end.
    void streamFailure(const QByteArray& body);

    GatewayServer& m_gateway;
    QPointer<HttpResponder> m_responder;
    ApiFormat m_format;
    bool m_stream;
    std::uint64_t m_id = 0;
    int m_status = 0; ///< what the caller was sent, once headers went out
    QByteArray m_apiKey;
    QString m_model;
    int m_client = -1;
    bool m_early = false; ///< headers went out before the upstream's (queue status)
};

/// A provider-shaped error body: OpenAI {"error":{"message","type","code"}}, Anthropic
/// {"type":"error","error":{"type","message"}}.
QByteArray providerErrorBody(ApiFormat format, const QString& type, const QString& message);

} // namespace sluice
