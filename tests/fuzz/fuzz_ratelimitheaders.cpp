// Fuzzes the rate-limit and Retry-After headers: "name: value" lines become one response's
// headers; durations (Go style), counts, RFC 3339 and HTTP dates must parse or be dropped.

#include "core/goduration.h"
#include "core/net/ratelimitheaders.h"
#include "tests/fuzz/fuzzinput.h"

#include <cstdlib>

using namespace sluice;

namespace {
bool negative(const std::optional<Nanos>& d) {
    return d && d->count() < 0;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::FuzzInput in(data, size);
    // "Now" moves with the input across 1970..2100, so dates on both sides of it are tried.
    const qint64 nowSecs = (qint64(in.byte()) << 24 | qint64(in.byte()) << 16) % 4'102'444'800;
    const QDateTime now = QDateTime::fromSecsSinceEpoch(nowSecs, Qt::UTC);

    HeaderList headers;
    const QByteArray text = in.rest().toByteArray();
    for (const QByteArray& line : text.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon < 0) {
            continue;
        }
        headers.append({line.left(colon), line.mid(colon + 1).trimmed()});
    }
    const RateLimitInfo info = parseRateLimitHeaders(headers, now);
    if (negative(info.resetRequests) || negative(info.resetTokens) || negative(info.retryAfter)) {
        std::abort();
    }
    (void)info.any();
    for (const auto& [name, value] : headers) {
        if (negative(parseRetryAfter(value, now))) {
            std::abort();
        }
        if (const auto d = parseGoDuration(value)) {
            (void)formatGoDuration(*d);
        }
    }
    return 0;
}
