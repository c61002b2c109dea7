#pragma once

namespace sluice {

/// What became of one attempt at a request. One vocabulary shared by the retry policy, the
/// circuit breaker and the adaptive concurrency limit, so they agree on what "a failure" is.
enum class Outcome {
    Success,
    RateLimited,    ///< 429 about rate: slow down, then try again
    QuotaExhausted, ///< 429 insufficient_quota: retrying cannot help until someone pays
    Overloaded,     ///< 503, 529: the target is shedding load
    ServerError,    ///< any other 5xx
    Timeout,        ///< no complete answer in time
    NetworkError,   ///< no HTTP response at all (refused, reset, DNS, TLS)
    ClientError,    ///< any other 4xx: the request itself is wrong
    Malformed,      ///< a 2xx whose body is not an answer (an HTML page, foreign JSON, junk events)
    Cancelled,      ///< given up by the caller; says nothing about the target
};

/// Maps what the transport saw onto an Outcome. `httpStatus` is 0 when no HTTP response arrived;
/// `quota` is whether the body said insufficient_quota. A timeout wins over everything (the
/// status of a half-read response is not the story). A 4xx/5xx status wins over the network-error
/// flag, because Qt flags every such reply as an error too; but a 2xx whose transfer then broke
/// (a stream cut mid-body) is a network error, not a success. No status and no timeout is a
/// network error whatever the flag says: something broke before an answer came.
constexpr Outcome classifyOutcome(int httpStatus, bool quota, bool networkError, bool timedOut) {
    if (timedOut) {
        return Outcome::Timeout;
    }
    if (httpStatus == 0) {
        return Outcome::NetworkError;
    }
    if (httpStatus == 429) {
        return quota ? Outcome::QuotaExhausted : Outcome::RateLimited;
    }
    if (httpStatus == 503 || httpStatus == 529) {
        return Outcome::Overloaded;
    }
    if (httpStatus >= 100 && httpStatus < 400) {
        return networkError ? Outcome::NetworkError : Outcome::Success;
    }
    if (httpStatus >= 400 && httpStatus < 500) {
        return Outcome::ClientError;
    }
    // 5xx, and anything that is not a valid status code: the server side misbehaved.
    return Outcome::ServerError;
}

/// Whether trying the same request again may succeed: transient trouble on the target or the
/// path to it. Quota, 4xx and cancellation never get better by repetition.
constexpr bool isRetryable(Outcome o) {
    switch (o) {
    case Outcome::RateLimited:
    case Outcome::Overloaded:
    case Outcome::ServerError:
    case Outcome::Timeout:
    case Outcome::NetworkError:
        return true;
    case Outcome::Success:
    case Outcome::QuotaExhausted:
    case Outcome::ClientError:
    case Outcome::Malformed: // the same junk comes back: a wrong URL, a login page
    case Outcome::Cancelled:
        return false;
    }
    return false;
}

/// Whether the circuit breaker should count this against the target's health. A 429 means the
/// target is healthy and enforcing a limit (the rate limiter's business, not the breaker's); a
/// 4xx is our own fault; a cancel says nothing.
constexpr bool countsAsBreakerFailure(Outcome o) {
    switch (o) {
    case Outcome::Overloaded:
    case Outcome::ServerError:
    case Outcome::Timeout:
    case Outcome::NetworkError:
    case Outcome::Malformed:
        return true;
    case Outcome::Success:
    case Outcome::RateLimited:
    case Outcome::QuotaExhausted:
    case Outcome::ClientError:
    case Outcome::Cancelled:
        return false;
    }
    return false;
}

/// Whether this outcome means "too much in flight": the signal on which an adaptive concurrency
/// limit cuts. Plain server errors and network errors are not load-related often enough to cut on.
constexpr bool isCongestionSignal(Outcome o) {
    return o == Outcome::RateLimited || o == Outcome::Overloaded || o == Outcome::Timeout;
}

/// Stable snake_case name, for metrics labels, logs and the UI.
constexpr const char* outcomeName(Outcome o) {
    switch (o) {
    case Outcome::Success:
        return "success";
    case Outcome::RateLimited:
        return "rate_limited";
    case Outcome::QuotaExhausted:
        return "quota_exhausted";
    case Outcome::Overloaded:
        return "overloaded";
    case Outcome::ServerError:
        return "server_error";
    case Outcome::Timeout:
        return "timeout";
    case Outcome::NetworkError:
        return "network_error";
    case Outcome::ClientError:
        return "client_error";
    case Outcome::Malformed:
        return "malformed";
    case Outcome::Cancelled:
        return "cancelled";
    }
    return "unknown";
}

} // namespace sluice
