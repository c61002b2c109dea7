// GatewayServer: the whole-body (non-streaming) proxy path, as one coroutine.
#include "core/net/requestended.h"
#include "core/server/gateway/gatewayserver.h"
#include "core/server/gateway/proxyexchange.h"

namespace sluice {

QCoro::Task<> GatewayServer::forwardWhole(EngineRequest request, QPointer<HttpResponder> responder,
                                          ApiFormat format, int client, std::uint64_t id) {
    // Both live in this frame, which outlives the request: the completion resumes it.
    ProxyExchange exchange(*this, responder, format, false);
    WholeAnswer answer(exchange);
    exchange.setCaller(request.apiKey, request.model, client);
    const QString model = request.model;
    request.sink = &answer;
    RequestEnded ended;
    const std::uint64_t submitted = m_engine->submit(std::move(request), ended.completion());
    if (submitted == 0) {
        // The engine is going away: nothing was queued and the completion will not run.
        if (responder) {
            responder->respond(503, {{"content-type", "application/json"}},
                               providerErrorBody(format, QStringLiteral("server_overloaded"),
                                                 QStringLiteral("the gateway is stopping")));
        }
        co_return;
    }
    Q_ASSERT(submitted == id);
    exchange.setId(id);
    if (!ended.ended() && responder) {
        // A caller that leaves stops its request: out of the queue, or its upstream request
        // aborted. Queued, as on the streaming path; `ended` says whether the frame (and the
        // exchange in it) is still there.
        RequestEngine* engine = m_engine.get();
        ProxyExchange* waiting = &exchange;
        connect(
            responder, &HttpResponder::clientGone, engine,
            [engine, id, waiting, ended] {
                if (!ended.ended()) {
                    waiting->callerGone();
                    engine->cancel(id);
                }
            },
            Qt::QueuedConnection);
    }
    m_engine->dispatchNow(); // in this turn; the request may end inside it
    const RequestRecord record = co_await ended;
    const int status = exchange.finishWhole(record, answer);
    this->ended(record, status, client, model);
}

} // namespace sluice
