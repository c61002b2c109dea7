// MockServer's admin endpoints: /health, /mock/stats, /mock/config, /mock/reset, /mock/pause,
// /mock/revoke (the keys' own part is MockKeys::revoke()).
#include "core/server/mock/mockserver.h"

#include <QJsonDocument>

#include <algorithm>
#include <iterator>

namespace sluice {

using namespace sluice::mock;

namespace {

// The admin endpoints and the methods each allows (for 405 and its Allow header). HEAD is
// answered as GET, without a body.
struct AdminRoute {
    const char* path;
    const char* allow;
};
// clang-format off
constexpr AdminRoute kAdminRoutes[] = {
    {"/health", "GET, HEAD"},
    {"/mock/stats", "GET, HEAD"},
    {"/mock/config", "GET, HEAD, POST"},
    {"/mock/reset", "POST"},
    {"/mock/pause", "POST"},
    {"/mock/revoke", "POST"},
};
// clang-format on

bool allows(const char* allow, const QByteArray& method) {
    for (const QByteArray& m : QByteArray(allow).split(',')) {
        if (m.trimmed() == method) {
            return true;
        }
    }
    return false;
}

} // namespace

void MockServer::handleAdmin(const HttpRequest& request, HttpResponder* responder) {
    const auto notFound = [&] {
        ApiError e;
        e.status = 404;
        e.type = "invalid_request_error";
        e.message = QStringLiteral("Unknown request URL: %1 %2. The mock serves GET /mock/stats, "
                                   "GET|POST /mock/config, POST /mock/reset, POST /mock/pause, "
                                   "POST /mock/revoke and GET /health.")
                        .arg(QString::fromLatin1(request.method), QString::fromUtf8(request.path));
        replyError(responder, Provider::OpenAI, e);
    };
    if (request.parseError != 0) {
        ApiError e;
        e.status = request.parseError;
        e.type = "invalid_request_error";
        e.message = QString::fromUtf8(request.parseErrorMessage);
        replyError(responder, Provider::OpenAI, e);
        return;
    }
    const auto route = std::find_if(std::begin(kAdminRoutes), std::end(kAdminRoutes),
                                    [&](const AdminRoute& r) { return request.path == r.path; });
    if (route == std::end(kAdminRoutes)) {
        notFound();
        return;
    }
    if (!allows(route->allow, request.method)) {
        ApiError e;
        e.status = 405;
        e.type = "invalid_request_error";
        e.message = QStringLiteral("Method %1 is not allowed on %2; use %3.")
                        .arg(QString::fromLatin1(request.method), QString::fromUtf8(request.path),
                             QLatin1String(route->allow));
        replyError(responder, Provider::OpenAI, e, {{"allow", route->allow}});
        return;
    }
    const bool get = request.method == "GET" || request.method == "HEAD";
    if (request.path == "/health") {
        replyJson(responder, 200, {{QStringLiteral("status"), QStringLiteral("ok")}});
    } else if (request.path == "/mock/stats") {
        replyJson(responder, 200, statsJson());
    } else if (request.path == "/mock/config" && get) {
        replyJson(responder, 200, m_config.toJson());
    } else if (request.path == "/mock/config" && request.method == "POST") {
        QJsonParseError parseError{};
        const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
        ApiError e;
        e.status = 400;
        e.type = "invalid_request_error";
        if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
            e.message = QStringLiteral("The body must be a JSON object of settings, e.g. "
                                       "{\"capacity\": 16}.");
            replyError(responder, Provider::OpenAI, e);
            return;
        }
        MockConfig next = m_config;
        if (auto applied = next.apply(doc.object()); !applied) {
            e.message = applied.error().text();
            e.param = applied.error().field.toUtf8();
            replyError(responder, Provider::OpenAI, e);
            return;
        }
        (void)setConfig(next); // valid: apply() validated it
        replyJson(responder, 200, m_config.toJson());
    } else if (request.path == "/mock/pause") {
        const QJsonDocument doc = QJsonDocument::fromJson(request.body);
        const QJsonValue ms = doc.object().value(QStringLiteral("ms"));
        if (!ms.isDouble() || ms.toDouble() < 0 || ms.toDouble() > 3'600'000) {
            ApiError e;
            e.status = 400;
            e.type = "invalid_request_error";
            e.param = "ms";
            e.message = QStringLiteral("ms: the body must be {\"ms\": N} with N in [0, 3600000]");
            replyError(responder, Provider::OpenAI, e);
            return;
        }
        pause(Nanos{static_cast<Nanos::rep>(ms.toDouble() * 1e6)});
        replyJson(responder, 200, {{QStringLiteral("paused_ms"), ms.toDouble()}});
    } else if (request.path == "/mock/revoke") {
        if (auto revoked = m_keys.revoke(request); revoked) {
            replyJson(responder, 200, *revoked);
        } else {
            replyError(responder, Provider::OpenAI,
                       ApiError{400,
                                "invalid_request_error",
                                revoked.error().text(),
                                revoked.error().field.toUtf8(),
                                {}});
        }
    } else if (request.path == "/mock/reset") {
        resetStats();
        replyJson(responder, 200, statsJson());
    }
}

} // namespace sluice
