#include "core/server/mock/mockerrors.h"

#include "core/goduration.h"
#include "core/server/mock/wirejson.h"

#include <QDateTime>
#include <QJsonObject>

#include <algorithm>
#include <cmath>

namespace sluice::mock {

QByteArray errorBody(Provider provider, const ApiError& error) {
    const QByteArray message = jsonString(error.message.toUtf8());
    if (provider == Provider::Anthropic) {
        return "{\"type\":\"error\",\"error\":{\"type\":" + jsonString(error.type) +
               ",\"message\":" + message + "}}";
    }
    return "{\"error\":{\"message\":" + message + ",\"type\":" + jsonString(error.type) +
           ",\"param\":" + (error.param.isEmpty() ? QByteArray("null") : jsonString(error.param)) +
           ",\"code\":" + (error.code.isEmpty() ? QByteArray("null") : jsonString(error.code)) +
           "}}";
}

HttpHeaders rateLimitHeaders(Provider provider, const RateLimitState& s) {
    HttpHeaders h;
    const auto ceilMs = [](Nanos d) {
        return std::max<std::int64_t>(0, (d.count() + 999'999) / 1'000'000);
    };
    const auto ceilSeconds = [&](Nanos d) {
        return std::max<std::int64_t>(1, (ceilMs(d) + 999) / 1000);
    };
    if (provider == Provider::OpenAI) {
        const auto resetText = [&](Nanos d) {
            return formatGoDuration(Nanos{ceilMs(d) * 1'000'000});
        };
        if (s.requestLimit > 0) {
            h.append({"x-ratelimit-limit-requests", QByteArray::number(s.requestLimit)});
            h.append({"x-ratelimit-remaining-requests", QByteArray::number(s.requestRemaining)});
            h.append({"x-ratelimit-reset-requests", resetText(s.requestReset)});
        }
        if (s.tokenLimit > 0) {
            h.append({"x-ratelimit-limit-tokens", QByteArray::number(s.tokenLimit)});
            h.append({"x-ratelimit-remaining-tokens", QByteArray::number(s.tokenRemaining)});
            h.append({"x-ratelimit-reset-tokens", resetText(s.tokenReset)});
        }
        if (s.retryAfter) {
            h.append({"retry-after", QByteArray::number(ceilSeconds(*s.retryAfter))});
            h.append({"retry-after-ms", QByteArray::number(ceilMs(*s.retryAfter))});
        }
        return h;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const auto rfc3339 = [&](Nanos d) {
        // Whole seconds, rounded up, so the reset is never announced early.
        const QDateTime at = now.addMSecs(ceilMs(d));
        const QDateTime whole = at.time().msec() == 0 ? at : at.addMSecs(1000 - at.time().msec());
        return whole.toString(Qt::ISODate).toUtf8();
    };
    if (s.requestLimit > 0) {
        h.append({"anthropic-ratelimit-requests-limit", QByteArray::number(s.requestLimit)});
        h.append(
            {"anthropic-ratelimit-requests-remaining", QByteArray::number(s.requestRemaining)});
        h.append({"anthropic-ratelimit-requests-reset", rfc3339(s.requestReset)});
    }
    if (s.tokenLimit > 0) {
        h.append({"anthropic-ratelimit-tokens-limit", QByteArray::number(s.tokenLimit)});
        h.append({"anthropic-ratelimit-tokens-remaining", QByteArray::number(s.tokenRemaining)});
        h.append({"anthropic-ratelimit-tokens-reset", rfc3339(s.tokenReset)});
    }
    if (s.retryAfter) {
        h.append({"retry-after", QByteArray::number(ceilSeconds(*s.retryAfter))});
    }
    return h;
}

ApiError rateLimitError(Provider provider, bool tokens, std::int64_t limit, std::int64_t used,
                        std::int64_t requested, Nanos retryAfter) {
    ApiError e;
    e.status = 429;
    const QString wait = QString::fromUtf8(
        formatGoDuration(Nanos{(retryAfter.count() + 999'999) / 1'000'000 * 1'000'000}));
    if (provider == Provider::Anthropic) {
        e.type = "rate_limit_error";
        e.message = QStringLiteral("This request would exceed your organization's rate limit of "
                                   "%1 %2 per minute. Please try again in %3.")
                        .arg(limit)
                        .arg(tokens ? QStringLiteral("tokens") : QStringLiteral("requests"), wait);
        return e;
    }
    e.type = tokens ? "tokens" : "requests";
    e.code = "rate_limit_exceeded";
    e.message = QStringLiteral("Rate limit reached for %1 in organization org-mock on %2: Limit "
                               "%3, Used %4, Requested %5. Please try again in %6.")
                    .arg(tokens ? QStringLiteral("tokens") : QStringLiteral("requests"),
                         tokens ? QStringLiteral("tokens per min (TPM)")
                                : QStringLiteral("requests per min (RPM)"))
                    .arg(limit)
                    .arg(used)
                    .arg(requested)
                    .arg(wait);
    return e;
}

ApiError requestTooLargeError(Provider provider, std::int64_t limit, std::int64_t requested) {
    ApiError e;
    e.status = 429;
    if (provider == Provider::Anthropic) {
        e.type = "rate_limit_error";
        e.message =
            QStringLiteral("This request needs %1 tokens, more than your organization's "
                           "limit of %2 tokens per minute; reduce the prompt or max_tokens.")
                .arg(requested)
                .arg(limit);
        return e;
    }
    e.type = "tokens";
    e.code = "rate_limit_exceeded";
    e.message = QStringLiteral("Request too large for organization org-mock on tokens per min "
                               "(TPM): Limit %1, Requested %2. The input or output tokens must be "
                               "reduced in order to run successfully.")
                    .arg(limit)
                    .arg(requested);
    return e;
}

ApiError quotaError(Provider provider) {
    ApiError e;
    if (provider == Provider::Anthropic) {
        e.status = 400;
        e.type = "invalid_request_error";
        e.message = QStringLiteral("Your credit balance is too low to access the Anthropic API. "
                                   "Please go to Plans & Billing to upgrade or purchase credits.");
        return e;
    }
    e.status = 429;
    e.type = "insufficient_quota";
    e.code = "insufficient_quota";
    e.message = QStringLiteral("You exceeded your current quota, please check your plan and "
                               "billing details.");
    return e;
}

ApiError serverError(Provider provider, int status) {
    ApiError e;
    e.status = status;
    if (provider == Provider::Anthropic) {
        e.type = "api_error";
        e.message = status == 503 ? QStringLiteral("Service unavailable")
                                  : QStringLiteral("Internal server error");
        return e;
    }
    e.type = "server_error";
    e.message = status == 503
                    ? QStringLiteral("The server is currently unavailable, please try again later.")
                    : QStringLiteral("The server had an error while processing your request. "
                                     "Sorry about that!");
    return e;
}

ApiError overloadedError(Provider provider) {
    ApiError e;
    if (provider == Provider::Anthropic) {
        e.status = 529;
        e.type = "overloaded_error";
        e.message = QStringLiteral("Overloaded");
        return e;
    }
    e.status = 503;
    e.type = "server_error";
    e.message = QStringLiteral("The engine is currently overloaded, please try again later.");
    return e;
}

} // namespace sluice::mock
