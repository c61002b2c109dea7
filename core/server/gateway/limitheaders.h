#pragma once

#include "core/engine/clock.h"
#include "core/engine/gcralimiter.h"
#include "core/server/httpresponder.h"

#include <QByteArray>

#include <cstdint>
#include <vector>

namespace sluice::gateway {

/// One limit a caller is under, as the headers advertise it.
struct LimitLine {
    QByteArray name;        ///< policy name: "rpm", "tpm", "client-rpm", "client-tpm"
    bool tokens = false;    ///< a token limit (else requests)
    std::int64_t quota = 0; ///< per window
    Nanos window = std::chrono::minutes(1);
    std::int64_t remaining = 0;
    Nanos reset{0}; ///< until the whole quota is back
};

/// A GCRA limiter seen as a window of `quota` units: what its debt ahead of now leaves, and the
/// time until that debt is paid (the whole quota back). Without a limiter, the whole quota.
/// `refuses`: a limit that turns a request away instead of queueing it (a client's own) shows 0
/// remaining while its next request would be refused.
LimitLine windowLine(QByteArray name, bool tokens, std::int64_t quota, const GcraLimiter* limiter,
                     Nanos now, bool refuses = false);

/// The gateway's own limits, so the official SDKs back off by themselves: OpenAI's
/// x-ratelimit-{limit,remaining,reset}-{requests,tokens} (of the tightest line of each kind;
/// reset as a Go duration, "1.5s") and the IETF draft's RateLimit-Policy / RateLimit
/// (draft-ietf-httpapi-ratelimit-headers: `"rpm";q=600;w=60` and `"rpm";r=42;t=3`, one item per
/// line, plus `"concurrency";q=N;qu="concurrent-requests"` with its free slots).
HttpHeaders limitHeaders(const std::vector<LimitLine>& lines, int concurrencyLimit, int inFlight);

} // namespace sluice::gateway
