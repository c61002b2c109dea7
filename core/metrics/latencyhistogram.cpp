#include "core/metrics/latencyhistogram.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>

namespace sluice {

namespace {

constexpr std::string_view kMagic = "LH1";
constexpr std::int64_t kMaxEntryCount = UINT32_MAX;

/// Whole-token integer parse: no spaces, no '+', no trailing characters.
template <typename T> bool parseInt(std::string_view token, T& out) {
    if (token.empty()) {
        return false;
    }
    const auto* end = token.data() + token.size();
    const auto [ptr, ec] = std::from_chars(token.data(), end, out);
    return ec == std::errc{} && ptr == end;
}

/// Splits off the next space-separated token; an empty token (double or trailing space) is
/// returned as empty so the caller rejects it.
std::string_view nextToken(std::string_view& rest) {
    const auto space = rest.find(' ');
    const auto token = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    return token;
}

void appendInt(std::string& out, std::int64_t value) {
    char buffer[24];
    const auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, ptr);
}

} // namespace

LatencyHistogram::LatencyHistogram(std::int64_t highest, int significantDigits)
    : m_highest(std::clamp<std::int64_t>(highest, 1, kMaxHighest))
    , m_digits(std::clamp(significantDigits, 1, 5)) {
    std::int64_t singleUnitLimit = 2;
    for (int i = 0; i < m_digits; ++i) {
        singleUnitLimit *= 10;
    }
    // Sub-buckets per power of two: the next power of two >= 2 * 10^digits, so the width of a
    // bucket is below 10^-digits of its lowest value.
    const int subBucketMagnitude = std::bit_width(static_cast<std::uint64_t>(singleUnitLimit - 1));
    m_halfMagnitude = subBucketMagnitude - 1;
    m_halfCount = std::int64_t(1) << m_halfMagnitude;
    m_lowMask = (std::uint64_t(1) << subBucketMagnitude) - 1;

    int buckets = 1;
    for (std::int64_t untrackable = std::int64_t(1) << subBucketMagnitude; untrackable <= m_highest;
         untrackable <<= 1) {
        ++buckets;
    }
    m_counts.assign(static_cast<std::size_t>(buckets + 1) << m_halfMagnitude, 0);
}

std::int64_t LatencyHistogram::clampValue(std::int64_t value, bool* overflowed) const {
    *overflowed = value > m_highest;
    return std::clamp<std::int64_t>(value, 0, m_highest);
}

int LatencyHistogram::indexOf(std::int64_t value) const {
    const int pow2Ceiling = std::bit_width(static_cast<std::uint64_t>(value) | m_lowMask);
    const int bucket = pow2Ceiling - (m_halfMagnitude + 1);
    const auto sub = value >> bucket;
    return static_cast<int>(((std::int64_t(bucket) + 1) << m_halfMagnitude) + (sub - m_halfCount));
}

std::int64_t LatencyHistogram::lowestEquivalent(std::size_t index) const {
    int bucket = static_cast<int>(index >> m_halfMagnitude) - 1;
    auto sub =
        static_cast<std::int64_t>(index & static_cast<std::size_t>(m_halfCount - 1)) + m_halfCount;
    if (bucket < 0) {
        sub -= m_halfCount;
        bucket = 0;
    }
    return sub << bucket;
}

std::int64_t LatencyHistogram::bucketWidth(std::size_t index) const {
    const int bucket = std::max(0, static_cast<int>(index >> m_halfMagnitude) - 1);
    return std::int64_t(1) << bucket;
}

void LatencyHistogram::record(std::int64_t value, std::int64_t count) {
    if (count <= 0) {
        return;
    }
    bool overflowed = false;
    const auto v = clampValue(value, &overflowed);
    m_counts[static_cast<std::size_t>(indexOf(v))] += count;
    m_total += count;
    m_min = std::min(m_min, v);
    m_max = std::max(m_max, v);
    if (overflowed) {
        m_overflow += count;
    }
}

bool LatencyHistogram::merge(const LatencyHistogram& other) {
    if (other.m_highest != m_highest || other.m_digits != m_digits) {
        return false;
    }
    for (std::size_t i = 0; i < m_counts.size(); ++i) {
        m_counts[i] += other.m_counts[i];
    }
    m_total += other.m_total;
    m_min = std::min(m_min, other.m_min);
    m_max = std::max(m_max, other.m_max);
    m_overflow += other.m_overflow;
    return true;
}

std::optional<LatencyHistogram> LatencyHistogram::difference(const LatencyHistogram& later,
                                                             const LatencyHistogram& earlier) {
    if (later.m_highest != earlier.m_highest || later.m_digits != earlier.m_digits ||
        earlier.m_total > later.m_total || earlier.m_overflow > later.m_overflow) {
        return std::nullopt;
    }
    LatencyHistogram d(later.m_highest, later.m_digits);
    std::int64_t first = -1;
    std::int64_t last = -1;
    for (std::size_t i = 0; i < d.m_counts.size(); ++i) {
        const std::int64_t c = later.m_counts[i] - earlier.m_counts[i];
        if (c < 0) {
            return std::nullopt;
        }
        if (c > 0) {
            d.m_counts[i] = c;
            d.m_total += c;
            first = first < 0 ? static_cast<std::int64_t>(i) : first;
            last = static_cast<std::int64_t>(i);
        }
    }
    d.m_overflow = later.m_overflow - earlier.m_overflow;
    if (d.m_total == 0) {
        return d;
    }
    const bool newMin = earlier.m_total == 0 || later.m_min < earlier.m_min;
    const bool newMax = earlier.m_total == 0 || later.m_max > earlier.m_max;
    const auto f = static_cast<std::size_t>(first);
    const auto l = static_cast<std::size_t>(last);
    d.m_min = newMin ? later.m_min : std::max(d.lowestEquivalent(f), later.m_min);
    d.m_max =
        newMax ? later.m_max : std::min(d.lowestEquivalent(l) + d.bucketWidth(l) - 1, later.m_max);
    if (d.m_total == 1) {
        // One value: min and max are that value; keep whichever is known exactly.
        d.m_min = d.m_max = newMax && !newMin ? d.m_max : d.m_min;
    }
    return d;
}

double LatencyHistogram::mean() const {
    if (m_total == 0) {
        return 0.0;
    }
    double sum = 0.0;
    for (std::size_t i = 0; i < m_counts.size(); ++i) {
        if (m_counts[i] != 0) {
            const double mid = static_cast<double>(lowestEquivalent(i)) +
                               static_cast<double>(bucketWidth(i) - 1) / 2.0;
            sum += mid * static_cast<double>(m_counts[i]);
        }
    }
    // Midpoints may sit just outside the exact extremes; the true mean cannot.
    return std::clamp(sum / static_cast<double>(m_total), static_cast<double>(m_min),
                      static_cast<double>(m_max));
}

std::int64_t LatencyHistogram::percentile(double p) const {
    if (m_total == 0) {
        return 0;
    }
    if (!(p > 0.0)) {
        return m_min;
    }
    if (p >= 100.0) {
        return m_max;
    }
    const auto rank = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::ceil(p / 100.0 * static_cast<double>(m_total))));
    std::int64_t seen = 0;
    for (std::size_t i = 0; i < m_counts.size(); ++i) {
        seen += m_counts[i];
        if (seen >= rank) {
            return std::min(lowestEquivalent(i) + bucketWidth(i) - 1, m_max);
        }
    }
    return m_max;
}

void LatencyHistogram::reset() {
    std::fill(m_counts.begin(), m_counts.end(), 0);
    m_total = 0;
    m_min = INT64_MAX;
    m_max = 0;
    m_overflow = 0;
}

std::size_t LatencyHistogram::memoryBytes() const {
    return sizeof(*this) + m_counts.capacity() * sizeof(std::int64_t);
}

std::string LatencyHistogram::serialize() const {
    std::string out(kMagic);
    for (const std::int64_t field : {m_highest, std::int64_t(m_digits), min(), max(), m_overflow}) {
        out += ' ';
        appendInt(out, field);
    }
    std::int64_t previous = -1;
    for (std::size_t i = 0; i < m_counts.size(); ++i) {
        if (m_counts[i] != 0) {
            out += ' ';
            appendInt(out, static_cast<std::int64_t>(i) - previous);
            out += ':';
            appendInt(out, m_counts[i]);
            previous = static_cast<std::int64_t>(i);
        }
    }
    return out;
}

std::optional<LatencyHistogram> LatencyHistogram::deserialize(std::string_view text) {
    // A trailing space would otherwise end the token loop as if nothing followed it.
    if (text.empty() || text.back() == ' ' || nextToken(text) != kMagic) {
        return std::nullopt;
    }
    std::int64_t highest = 0;
    int digits = 0;
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::int64_t overflow = 0;
    if (!parseInt(nextToken(text), highest) || !parseInt(nextToken(text), digits) ||
        !parseInt(nextToken(text), min) || !parseInt(nextToken(text), max) ||
        !parseInt(nextToken(text), overflow)) {
        return std::nullopt;
    }
    // Reject rather than clamp: a layout we would silently change is not the one that was sent.
    if (highest < 1 || highest > kMaxHighest || digits < 1 || digits > 5) {
        return std::nullopt;
    }
    LatencyHistogram h(highest, digits);
    const auto size = static_cast<std::int64_t>(h.m_counts.size());
    std::int64_t previous = -1;
    std::int64_t first = -1;
    std::int64_t total = 0;
    while (!text.empty()) {
        const auto token = nextToken(text);
        const auto colon = token.find(':');
        std::int64_t gap = 0;
        std::int64_t count = 0;
        if (colon == std::string_view::npos || !parseInt(token.substr(0, colon), gap) ||
            !parseInt(token.substr(colon + 1), count)) {
            return std::nullopt;
        }
        if (gap < 1 || gap >= size - previous || count < 1 || count > INT64_MAX - total) {
            return std::nullopt;
        }
        previous += gap;
        if (first < 0) {
            first = previous;
        }
        h.m_counts[static_cast<std::size_t>(previous)] = count;
        total += count;
    }

    // The header must agree with the buckets, or count(), min() and max() would contradict
    // percentile().
    if (total == 0) {
        if (min != 0 || max != 0 || overflow != 0) {
            return std::nullopt;
        }
        return h;
    }
    if (min < 0 || min > max || max > highest || h.indexOf(min) != first ||
        h.indexOf(max) != previous || (total == 1 && min != max)) {
        return std::nullopt;
    }
    if (overflow < 0 ||
        (overflow > 0 &&
         (max != highest || overflow > h.m_counts[static_cast<std::size_t>(h.indexOf(highest))]))) {
        return std::nullopt;
    }
    h.m_total = total;
    h.m_min = min;
    h.m_max = max;
    h.m_overflow = overflow;
    return h;
}

// --- SlicedHistogram ---

SlicedHistogram::SlicedHistogram(int seconds, std::int64_t highest, int significantDigits)
    : m_total(highest, significantDigits)
    , m_slices(static_cast<std::size_t>(std::max(1, seconds))) {}

bool SlicedHistogram::inRing(std::int64_t second) const {
    if (!m_newest || second > *m_newest) {
        return false;
    }
    // Unsigned difference: the distance is right even for seconds far apart.
    const auto age = static_cast<std::uint64_t>(*m_newest) - static_cast<std::uint64_t>(second);
    return age < m_slices.size();
}

void SlicedHistogram::record(std::int64_t second, std::int64_t value, std::int64_t count) {
    if (count <= 0) {
        return;
    }
    m_total.record(value, count);
    if (!m_newest || second > *m_newest) {
        m_newest = second;
    }
    if (!inRing(second)) {
        return;
    }
    const auto n = static_cast<std::int64_t>(m_slices.size());
    Slice& slice = m_slices[static_cast<std::size_t>(((second % n) + n) % n)];
    if (slice.second != second) {
        // The slot held a second that has left the ring; keep the vector's capacity for reuse.
        slice.second = second;
        slice.total = 0;
        slice.min = INT64_MAX;
        slice.max = 0;
        slice.overflow = 0;
        slice.entries.clear();
    }
    bool overflowed = false;
    const auto v = m_total.clampValue(value, &overflowed);
    const auto index = static_cast<std::uint32_t>(m_total.indexOf(v));
    auto it = std::lower_bound(slice.entries.begin(), slice.entries.end(), index,
                               [](const Entry& e, std::uint32_t i) { return e.index < i; });
    std::int64_t remaining = count;
    for (; remaining > 0 && it != slice.entries.end() && it->index == index; ++it) {
        const auto add = std::min<std::int64_t>(remaining, kMaxEntryCount - it->count);
        it->count += static_cast<std::uint32_t>(add);
        remaining -= add;
    }
    while (remaining > 0) {
        const auto add = std::min<std::int64_t>(remaining, kMaxEntryCount);
        it = slice.entries.insert(it, Entry{index, static_cast<std::uint32_t>(add)}) + 1;
        remaining -= add;
    }
    slice.total += count;
    slice.min = std::min(slice.min, v);
    slice.max = std::max(slice.max, v);
    if (overflowed) {
        slice.overflow += count;
    }
}

LatencyHistogram SlicedHistogram::window(std::int64_t fromSecond, std::int64_t toSecond) const {
    LatencyHistogram out(m_total.highest(), m_total.significantDigits());
    for (const Slice& slice : m_slices) {
        if (slice.second < fromSecond || slice.second > toSecond || !inRing(slice.second)) {
            continue;
        }
        for (const Entry& e : slice.entries) {
            out.m_counts[static_cast<std::size_t>(e.index)] += e.count;
        }
        out.m_total += slice.total;
        out.m_min = std::min(out.m_min, slice.min);
        out.m_max = std::max(out.m_max, slice.max);
        out.m_overflow += slice.overflow;
    }
    return out;
}

void SlicedHistogram::reset() {
    m_total.reset();
    m_slices.assign(m_slices.size(), Slice{});
    m_newest.reset();
}

std::size_t SlicedHistogram::memoryBytes() const {
    std::size_t bytes = sizeof(*this) + (m_total.memoryBytes() - sizeof(LatencyHistogram)) +
                        m_slices.capacity() * sizeof(Slice);
    for (const Slice& slice : m_slices) {
        bytes += slice.entries.capacity() * sizeof(Entry);
    }
    return bytes;
}

} // namespace sluice
