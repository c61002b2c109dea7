#pragma once

#include "core/net/enginetypes.h"
#include "core/server/httpresponder.h"

#include <QPointer>

#include <functional>

namespace sluice {

class GatewayServer;

/// One caller's request through the engine: the engine's ResponseSink for the upstream answer
/// (forwarded event by event, never re-chunked), and the caller's answer when the engine ends
/// the request (the upstream's error as it was, or the gateway's own 503/429/502 in the
/// caller's API format). Created by GatewayServer per request; deleted by the request's
/// completion, which the engine runs exactly once — so it outlives every sink call.
class ProxyExchange final : public ResponseSink {
public:
    ProxyExchange(GatewayServer& gateway, HttpResponder* responder, ApiFormat format, bool stream);

    void setId(std::uint64_t id) { m_id = id; }
    /// The caller disconnected: nothing more is written to it.
    void callerGone() { m_responder.clear(); }
    void onHeaders(int status, const HeaderPairs& headers) override;
    void onBytes(const QByteArray& bytes) override;
    /// The request ended (from the engine's completion): answer the caller if it is still there.
    /// Returns the status the caller got (0 when it had gone).
    int finish(const RequestRecord& record);

private:
    HttpHeaders ownHeaders() const;
    int answerFailure(const RequestRecord& record);

    GatewayServer& m_gateway;
    QPointer<HttpResponder> m_responder;
    ApiFormat m_format;
    bool m_stream;
    std::uint64_t m_id = 0;
    int m_status = 0; ///< what the caller was sent, once headers went out
};

/// A provider-shaped error body: OpenAI {"error":{"message","type","code"}}, Anthropic
/// {"type":"error","error":{"type","message"}}.
QByteArray providerErrorBody(ApiFormat format, const QString& type, const QString& message);

} // namespace sluice
