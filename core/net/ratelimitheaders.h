#pragma once

#include "core/engine/clock.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QList>

#include <cstdint>
#include <optional>
#include <utility>

namespace sluice {

/// Response headers in arrival order, as QNetworkReply::rawHeaderPairs() gives them.
using HeaderList = QList<std::pair<QByteArray, QByteArray>>;

/// What a response told us about the server's view of our limits, from OpenAI
/// (`x-ratelimit-*`) or Anthropic (`anthropic-ratelimit-*`) headers. Durations are relative to
/// the moment the response was read, so they stay correct however late they are applied.
/// Fields a response did not carry, or carried malformed, stay empty.
struct RateLimitInfo {
    std::optional<std::int64_t> limitRequests;
    std::optional<std::int64_t> remainingRequests;
    std::optional<std::int64_t> limitTokens;
    std::optional<std::int64_t> remainingTokens;
    std::optional<Nanos> resetRequests; ///< time until the request window is back to full
    std::optional<Nanos> resetTokens;   ///< time until the token window is back to full
    std::optional<Nanos> retryAfter;
    /// The token figures are the combined (input + output) window, not Anthropic's input-only
    /// or output-only one: only a combined limit may stand for prompt + completion tokens.
    bool tokensCombined = true; ///< when the server says we may send again

    /// True when the response carried at least one usable rate-limit header.
    bool any() const;
};

/// Reads the rate-limit and retry headers of one response. Names match case-insensitively.
/// When several token windows are reported (Anthropic's tokens, input-tokens, output-tokens),
/// the tightest one wins: the smallest remaining, with that window's limit and reset, since
/// that is the one that will refuse us first. `retry-after-ms` wins over `retry-after`.
/// `nowUtc` is the wall-clock time the response was received; absolute times (RFC 3339 resets,
/// HTTP-date Retry-After) become durations from it, clamped at zero, and are dropped if it is
/// invalid.
RateLimitInfo parseRateLimitHeaders(const HeaderList& headers, const QDateTime& nowUtc);

/// Parses a Retry-After value: seconds (integer or fractional) or an HTTP-date (IMF-fixdate,
/// RFC 850 or asctime form). A date in the past gives zero. Anything else, negative numbers
/// and values too large for Nanos give nothing.
std::optional<Nanos> parseRetryAfter(QByteArrayView value, const QDateTime& nowUtc);

} // namespace sluice
