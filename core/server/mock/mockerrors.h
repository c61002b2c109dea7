#pragma once

#include "core/engine/clock.h"
#include "core/server/httprequest.h"
#include "core/server/mock/mockprotocol.h"

#include <QByteArray>

#include <cstdint>
#include <optional>

namespace sluice::mock {

// The mock's answers that are not replies: errors in each provider's shape, and the rate-limit
// headers every answer carries.

/// What the rate limiters looked like when a request was decided: becomes the provider's
/// x-ratelimit-* / anthropic-ratelimit-* headers.
struct RateLimitState {
    std::int64_t requestLimit = 0; ///< 0 = unlimited: no request headers
    std::int64_t requestRemaining = 0;
    Nanos requestReset{0};
    std::int64_t tokenLimit = 0; ///< 0 = unlimited: no token headers
    std::int64_t tokenRemaining = 0;
    Nanos tokenReset{0};
    std::optional<Nanos> retryAfter; ///< set on a rate-limit 429
};

/// An error answer's body in the provider's shape.
QByteArray errorBody(Provider provider, const ApiError& error);
HttpHeaders rateLimitHeaders(Provider provider, const RateLimitState& state);

/// Standard errors, in both providers' words.
ApiError rateLimitError(Provider provider, bool tokens, std::int64_t limit, std::int64_t used,
                        std::int64_t requested, Nanos retryAfter);
ApiError requestTooLargeError(Provider provider, std::int64_t limit, std::int64_t requested);
ApiError quotaError(Provider provider);
ApiError serverError(Provider provider, int status);
ApiError overloadedError(Provider provider);

} // namespace sluice::mock
