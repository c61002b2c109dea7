#include "core/net/ratelimitheaders.h"

#include "core/goduration.h"

#include <QDate>

#include <array>
#include <limits>

namespace sluice {

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kMaxEpochSeconds =
    std::numeric_limits<std::int64_t>::max() / kNanosPerSecond;

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

bool isLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool sameName(QByteArrayView a, QByteArrayView b) {
    return a.size() == b.size() && a.compare(b, Qt::CaseInsensitive) == 0;
}

// A non-negative decimal integer, digits only; nothing on overflow.
std::optional<std::int64_t> parseCount(QByteArrayView s) {
    if (s.isEmpty()) {
        return std::nullopt;
    }
    std::int64_t v = 0;
    for (const char c : s) {
        if (!isDigit(c) || v > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10) {
            return std::nullopt;
        }
        v = v * 10 + (c - '0');
    }
    return v;
}

// "12", "1.5", "0.250" in a unit of 10^unitDigits nanoseconds (9: seconds, 6: milliseconds),
// in exact integer arithmetic. Digits beyond nanosecond precision are dropped.
std::optional<Nanos> parseDecimal(QByteArrayView s, int unitDigits) {
    const qsizetype dot = s.indexOf('.');
    const QByteArrayView whole = dot < 0 ? s : s.first(dot);
    const QByteArrayView frac = dot < 0 ? QByteArrayView() : s.sliced(dot + 1);
    if (whole.isEmpty() || (dot >= 0 && frac.isEmpty())) {
        return std::nullopt;
    }
    std::int64_t unit = 1;
    for (int i = 0; i < unitDigits; ++i) {
        unit *= 10;
    }
    const auto units = parseCount(whole);
    if (!units || *units > std::numeric_limits<std::int64_t>::max() / unit - 1) {
        return std::nullopt;
    }
    std::int64_t fracNanos = 0;
    std::int64_t scale = unit;
    for (const char c : frac) {
        if (!isDigit(c)) {
            return std::nullopt;
        }
        scale /= 10;
        fracNanos += (c - '0') * scale;
    }
    return Nanos{*units * unit + fracNanos};
}

// Seconds since the Unix epoch of a proleptic Gregorian date and time of day, or nothing for
// an impossible date or one outside what Nanos can hold.
std::optional<std::int64_t> epochSeconds(int year, int month, int day, int secondsOfDay) {
    const QDate date(year, month, day);
    if (!date.isValid()) {
        return std::nullopt;
    }
    const std::int64_t seconds = (date.toJulianDay() - 2'440'588) * 86'400 + secondsOfDay;
    if (seconds > kMaxEpochSeconds || seconds < -kMaxEpochSeconds) {
        return std::nullopt;
    }
    return seconds;
}

// Reads ASCII tokens off the front of a header value.
class Scanner {
public:
    explicit Scanner(QByteArrayView s)
        : m_s(s) {}

    bool atEnd() const { return m_i == m_s.size(); }

    bool eat(char c) {
        if (!atEnd() && m_s[m_i] == c) {
            ++m_i;
            return true;
        }
        return false;
    }

    /// One or more spaces.
    bool spaces() {
        const qsizetype start = m_i;
        while (eat(' ')) {
        }
        return m_i > start;
    }

    QByteArrayView letters() {
        const qsizetype start = m_i;
        while (!atEnd() && isLetter(m_s[m_i])) {
            ++m_i;
        }
        return m_s.sliced(start, m_i - start);
    }

    /// minDigits..maxDigits decimal digits.
    std::optional<int> number(int minDigits, int maxDigits) {
        int v = 0;
        int n = 0;
        while (n < maxDigits && !atEnd() && isDigit(m_s[m_i])) {
            v = v * 10 + (m_s[m_i] - '0');
            ++m_i;
            ++n;
        }
        if (n < minDigits) {
            return std::nullopt;
        }
        return v;
    }

    /// "HH:MM:SS" (SS may be 60, a leap second) as seconds of the day.
    std::optional<int> timeOfDay() {
        const auto h = number(2, 2);
        if (!h || !eat(':')) {
            return std::nullopt;
        }
        const auto m = number(2, 2);
        if (!m || !eat(':')) {
            return std::nullopt;
        }
        const auto s = number(2, 2);
        if (!s || *h > 23 || *m > 59 || *s > 60) {
            return std::nullopt;
        }
        return *h * 3600 + *m * 60 + *s;
    }

    /// A three-letter English month name, 1..12.
    std::optional<int> month() {
        static constexpr std::array<const char*, 12> kMonths = {
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        const QByteArrayView name = letters();
        for (std::size_t i = 0; i < kMonths.size(); ++i) {
            if (sameName(name, kMonths[i])) {
                return static_cast<int>(i) + 1;
            }
        }
        return std::nullopt;
    }

private:
    QByteArrayView m_s;
    qsizetype m_i = 0;
};

// RFC 9110 HTTP-date in any of its three forms, as seconds since the epoch. `nowYear` resolves
// RFC 850's two-digit years: a year more than 50 years ahead means the century before.
std::optional<std::int64_t> parseHttpDate(QByteArrayView s, int nowYear) {
    Scanner in(s);
    if (in.letters().size() < 3) { // day name; its agreement with the date is not checked
        return std::nullopt;
    }
    std::optional<int> day, month, year, time;
    if (in.eat(',')) {
        if (!in.spaces()) {
            return std::nullopt;
        }
        day = in.number(1, 2);
        if (in.eat('-')) { // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            month = in.month();
            if (!in.eat('-')) {
                return std::nullopt;
            }
            year = in.number(2, 4);
            if (year && *year < 100) {
                *year += nowYear / 100 * 100;
                if (*year > nowYear + 50) {
                    *year -= 100;
                }
            }
        } else { // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            if (!in.spaces()) {
                return std::nullopt;
            }
            month = in.month();
            if (!in.spaces()) {
                return std::nullopt;
            }
            year = in.number(4, 4);
        }
        if (!in.spaces()) {
            return std::nullopt;
        }
        time = in.timeOfDay();
        const QByteArrayView zone = in.spaces() ? in.letters() : QByteArrayView();
        if (!sameName(zone, "GMT") && !sameName(zone, "UTC")) {
            return std::nullopt;
        }
    } else { // asctime: Sun Nov  6 08:49:37 1994
        if (!in.spaces()) {
            return std::nullopt;
        }
        month = in.month();
        if (!in.spaces()) {
            return std::nullopt;
        }
        day = in.number(1, 2);
        if (!in.spaces()) {
            return std::nullopt;
        }
        time = in.timeOfDay();
        if (!in.spaces()) {
            return std::nullopt;
        }
        year = in.number(4, 4);
    }
    if (!in.atEnd() || !day || !month || !year || !time) {
        return std::nullopt;
    }
    return epochSeconds(*year, *month, *day, *time);
}

// RFC 3339 date-time ("2026-11-23T10:00:05Z", "…05.123456+01:00") as nanoseconds since the
// epoch.
std::optional<std::int64_t> parseRfc3339(QByteArrayView s) {
    Scanner in(s);
    const auto year = in.number(4, 4);
    if (!year || !in.eat('-')) {
        return std::nullopt;
    }
    const auto month = in.number(2, 2);
    if (!month || !in.eat('-')) {
        return std::nullopt;
    }
    const auto day = in.number(2, 2);
    if (!day || !(in.eat('T') || in.eat('t') || in.eat(' '))) {
        return std::nullopt;
    }
    const auto time = in.timeOfDay();
    if (!time) {
        return std::nullopt;
    }
    std::int64_t fracNanos = 0;
    if (in.eat('.')) {
        std::int64_t scale = kNanosPerSecond;
        int digits = 0;
        while (const auto d = in.number(1, 1)) {
            scale /= 10;
            fracNanos += *d * scale;
            ++digits;
        }
        if (digits == 0) {
            return std::nullopt;
        }
    }
    int offset = 0;
    if (!in.eat('Z') && !in.eat('z')) {
        const bool ahead = in.eat('+');
        if (!ahead && !in.eat('-')) {
            return std::nullopt;
        }
        const auto oh = in.number(2, 2);
        if (!oh || !in.eat(':')) {
            return std::nullopt;
        }
        const auto om = in.number(2, 2);
        if (!om || *oh > 23 || *om > 59) {
            return std::nullopt;
        }
        offset = (ahead ? 1 : -1) * (*oh * 3600 + *om * 60);
    }
    if (!in.atEnd()) {
        return std::nullopt;
    }
    const auto seconds = epochSeconds(*year, *month, *day, *time - offset);
    if (!seconds || *seconds >= kMaxEpochSeconds) {
        return std::nullopt;
    }
    return *seconds * kNanosPerSecond + fracNanos;
}

// Time from `now` until the absolute time `epochNanos`, zero if that has passed.
std::optional<Nanos> untilEpoch(std::optional<std::int64_t> epochNanos, const QDateTime& now) {
    if (!epochNanos || !now.isValid()) {
        return std::nullopt;
    }
    const std::int64_t nowMs = now.toMSecsSinceEpoch();
    if (nowMs > kMaxEpochSeconds * 1000 || nowMs < -kMaxEpochSeconds * 1000) {
        return std::nullopt;
    }
    const std::int64_t nowNanos = nowMs * 1'000'000;
    return Nanos{*epochNanos > nowNanos ? *epochNanos - nowNanos : 0};
}

struct Window {
    std::optional<std::int64_t> limit;
    std::optional<std::int64_t> remaining;
    std::optional<Nanos> reset;
    bool any() const { return limit || remaining || reset; }
};

enum class Which { Requests, Tokens, InputTokens, OutputTokens };
enum class Field { Limit, Remaining, Reset };
enum class ResetFormat { GoDuration, Rfc3339 };

struct KnownHeader {
    const char* name;
    Which window;
    Field field;
    ResetFormat resetFormat;
};

constexpr auto Go = ResetFormat::GoDuration;
constexpr auto Rfc = ResetFormat::Rfc3339;

constexpr std::array<KnownHeader, 18> kKnownHeaders = {{
    {"x-ratelimit-limit-requests", Which::Requests, Field::Limit, Go},
    {"x-ratelimit-remaining-requests", Which::Requests, Field::Remaining, Go},
    {"x-ratelimit-reset-requests", Which::Requests, Field::Reset, Go},
    {"x-ratelimit-limit-tokens", Which::Tokens, Field::Limit, Go},
    {"x-ratelimit-remaining-tokens", Which::Tokens, Field::Remaining, Go},
    {"x-ratelimit-reset-tokens", Which::Tokens, Field::Reset, Go},
    {"anthropic-ratelimit-requests-limit", Which::Requests, Field::Limit, Rfc},
    {"anthropic-ratelimit-requests-remaining", Which::Requests, Field::Remaining, Rfc},
    {"anthropic-ratelimit-requests-reset", Which::Requests, Field::Reset, Rfc},
    {"anthropic-ratelimit-tokens-limit", Which::Tokens, Field::Limit, Rfc},
    {"anthropic-ratelimit-tokens-remaining", Which::Tokens, Field::Remaining, Rfc},
    {"anthropic-ratelimit-tokens-reset", Which::Tokens, Field::Reset, Rfc},
    {"anthropic-ratelimit-input-tokens-limit", Which::InputTokens, Field::Limit, Rfc},
    {"anthropic-ratelimit-input-tokens-remaining", Which::InputTokens, Field::Remaining, Rfc},
    {"anthropic-ratelimit-input-tokens-reset", Which::InputTokens, Field::Reset, Rfc},
    {"anthropic-ratelimit-output-tokens-limit", Which::OutputTokens, Field::Limit, Rfc},
    {"anthropic-ratelimit-output-tokens-remaining", Which::OutputTokens, Field::Remaining, Rfc},
    {"anthropic-ratelimit-output-tokens-reset", Which::OutputTokens, Field::Reset, Rfc},
}};

void apply(const KnownHeader& header, QByteArrayView value, const QDateTime& now, Window& w) {
    switch (header.field) {
    case Field::Limit:
        if (const auto v = parseCount(value)) {
            w.limit = v;
        }
        break;
    case Field::Remaining:
        if (const auto v = parseCount(value)) {
            w.remaining = v;
        }
        break;
    case Field::Reset: {
        const auto v = header.resetFormat == ResetFormat::GoDuration
                           ? parseGoDuration(value)
                           : untilEpoch(parseRfc3339(value), now);
        if (v && v->count() >= 0) {
            w.reset = v;
        }
        break;
    }
    }
}

// The token window that will refuse us first: the smallest remaining (a tie goes to the later
// reset); failing any remaining count, the first window reported at all.
const Window* tightest(const std::array<const Window*, 3>& windows) {
    const Window* best = nullptr;
    for (const Window* w : windows) {
        if (!w->remaining) {
            continue;
        }
        if (!best || *w->remaining < *best->remaining ||
            (*w->remaining == *best->remaining &&
             w->reset.value_or(Nanos{0}) > best->reset.value_or(Nanos{0}))) {
            best = w;
        }
    }
    if (best) {
        return best;
    }
    for (const Window* w : windows) {
        if (w->any()) {
            return w;
        }
    }
    return windows.front();
}

} // namespace

bool RateLimitInfo::any() const {
    return limitRequests || remainingRequests || limitTokens || remainingTokens || resetRequests ||
           resetTokens || retryAfter;
}

std::optional<Nanos> parseRetryAfter(QByteArrayView value, const QDateTime& nowUtc) {
    const QByteArrayView v = value.trimmed();
    if (v.isEmpty()) {
        return std::nullopt;
    }
    if (isDigit(v.front()) || v.front() == '.') {
        return parseDecimal(v, 9);
    }
    if (!nowUtc.isValid()) {
        return std::nullopt;
    }
    const auto seconds = parseHttpDate(v, nowUtc.toUTC().date().year());
    return untilEpoch(seconds ? std::optional(*seconds * kNanosPerSecond) : std::nullopt, nowUtc);
}

RateLimitInfo parseRateLimitHeaders(const HeaderList& headers, const QDateTime& nowUtc) {
    std::array<Window, 4> windows;
    std::optional<Nanos> retryAfterMs;
    std::optional<Nanos> retryAfter;
    for (const auto& [rawName, rawValue] : headers) {
        const QByteArrayView name = QByteArrayView(rawName).trimmed();
        const QByteArrayView value = QByteArrayView(rawValue).trimmed();
        if (sameName(name, "retry-after-ms")) {
            if (const auto v = parseDecimal(value, 6)) {
                retryAfterMs = v;
            }
            continue;
        }
        if (sameName(name, "retry-after")) {
            if (const auto v = parseRetryAfter(value, nowUtc)) {
                retryAfter = v;
            }
            continue;
        }
        for (const KnownHeader& known : kKnownHeaders) {
            if (sameName(name, known.name)) {
                apply(known, value, nowUtc, windows[static_cast<std::size_t>(known.window)]);
                break;
            }
        }
    }

    RateLimitInfo info;
    const Window& requests = windows[static_cast<std::size_t>(Which::Requests)];
    info.limitRequests = requests.limit;
    info.remainingRequests = requests.remaining;
    info.resetRequests = requests.reset;
    const Window& tokens = *tightest({&windows[static_cast<std::size_t>(Which::Tokens)],
                                      &windows[static_cast<std::size_t>(Which::InputTokens)],
                                      &windows[static_cast<std::size_t>(Which::OutputTokens)]});
    info.limitTokens = tokens.limit;
    info.remainingTokens = tokens.remaining;
    info.resetTokens = tokens.reset;
    info.tokensCombined = &tokens == &windows[static_cast<std::size_t>(Which::Tokens)];
    info.retryAfter = retryAfterMs ? retryAfterMs : retryAfter;
    return info;
}

} // namespace sluice
