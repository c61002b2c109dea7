#pragma once

#include "core/engine/clock.h"
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

/// The gateway's own limits, so the official SDKs back off by themselves: OpenAI's
/// x-ratelimit-{limit,remaining,reset}-{requests,tokens} (of the tightest line of each kind;
/// reset as a Go duration, "1.5s") and the IETF draft's RateLimit-Policy / RateLimit
/// (draft-ietf-httpapi-ratelimit-headers: `"rpm";q=600;w=60` and `"rpm";r=42;t=3`, one item per
/// line, plus `"concurrency";q=N;qu="concurrent-requests"` with its free slots).
HttpHeaders limitHeaders(const std::vector<LimitLine>& lines, int concurrencyLimit, int inFlight);

} // namespace sluice::gateway
