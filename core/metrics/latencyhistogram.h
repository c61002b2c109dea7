#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class SlicedHistogram;

/// A latency histogram with bounded memory and a fixed relative precision, so a 12-hour run costs
/// the same few hundred KB as a 12-second one (keeping every sample is what made k6 need 64 GB).
///
/// Values are non-negative integers (microseconds, nanoseconds, ...). Every value in [0, highest]
/// is represented within 10^-significantDigits relative error: the HdrHistogram layout, i.e.
/// buckets by power of two, each split linearly into 2^k sub-buckets with 2^k >= 2 * 10^digits,
/// so values below 2^k are exact. Values above `highest` are clamped to it and counted in
/// overflow(); negative values (a clock glitch) are recorded as 0 so count() still matches the
/// number of requests. Histograms with the same layout merge exactly, which is how percentiles of
/// several time slices or processes are combined: never average percentiles.
class LatencyHistogram {
public:
    static constexpr std::int64_t kDefaultHighest = 3'600'000'000'000; // 1 h in ns
    /// Above this the top bucket's bounds would not fit in int64 (2^62 ns is 146 years).
    static constexpr std::int64_t kMaxHighest = (std::int64_t(1) << 62) - 1;

    /// `highest` is clamped to [1, kMaxHighest] and `significantDigits` to [1, 5]; the effective
    /// values are what highest() and significantDigits() report.
    explicit LatencyHistogram(std::int64_t highest = kDefaultHighest, int significantDigits = 3);

    /// Adds `count` occurrences of `value`; a count <= 0 is ignored.
    void record(std::int64_t value, std::int64_t count = 1);
    /// Adds all of `other`'s values. Returns false, changing nothing, unless both have the same
    /// highest() and significantDigits(): merging across layouts would lose precision silently.
    [[nodiscard]] bool merge(const LatencyHistogram& other);
    /// What was recorded into `later` since it was `earlier` (a copy taken before): the slice
    /// of a running histogram between two moments, so slices sent from other processes merge
    /// back into exactly `later`. Bucket counts and overflow are exact. min()/max() are exact
    /// when the slice holds the extreme of `later`; otherwise they are its first/last bucket's
    /// bound, kept within later's min/max, so a merge of every slice has later's exact min and
    /// max. nullopt unless the layouts match and `earlier` is contained in `later`.
    static std::optional<LatencyHistogram> difference(const LatencyHistogram& later,
                                                      const LatencyHistogram& earlier);

    std::int64_t count() const { return m_total; }
    /// Exact smallest / largest recorded value (after clamping); 0 when empty.
    std::int64_t min() const { return m_total > 0 ? m_min : 0; }
    std::int64_t max() const { return m_total > 0 ? m_max : 0; }
    /// Mean from each bucket's midpoint, so within the histogram's precision; 0 when empty.
    double mean() const;
    /// Nearest-rank percentile, p in [0, 100] (clamped; NaN counts as 0): the highest value that
    /// is equivalent to (shares a bucket with) the rank-th smallest value, rank = ceil(p/100 * n),
    /// capped at max(). Reporting the bucket's top keeps the promise "at least p% of the values
    /// are <= the answer" while staying within 10^-digits of the exact percentile. p = 0 gives
    /// min() and p = 100 gives max(), both exact. 0 when empty.
    std::int64_t percentile(double p) const;
    /// How many recorded values were above highest() and were counted as highest().
    std::int64_t overflow() const { return m_overflow; }

    std::int64_t highest() const { return m_highest; }
    int significantDigits() const { return m_digits; }

    void reset();
    /// Heap plus object size; fixed by the layout, never by count() (1 h in ns at 3 digits:
    /// 33,792 counters, about 264 KiB).
    std::size_t memoryBytes() const;

    /// Text form for merging across processes: "LH1 <highest> <digits> <min> <max> <overflow>"
    /// followed by one " <gap>:<count>" per non-empty bucket, where gap is the distance from the
    /// previous non-empty bucket's index (the first from -1). Text survives logs, JSON and pipes.
    std::string serialize() const;
    /// Inverse of serialize(); nullopt for anything malformed or inconsistent, never a crash.
    /// The header chooses the layout, so hostile input can ask for at most the largest one
    /// (kMaxHighest at 5 digits, about 46 MiB).
    static std::optional<LatencyHistogram> deserialize(std::string_view text);

    /// Same layout and the same recorded contents.
    bool operator==(const LatencyHistogram&) const = default;

private:
    friend class SlicedHistogram;

    /// Clamped into [0, highest]; `overflowed` says whether it was above highest.
    std::int64_t clampValue(std::int64_t value, bool* overflowed) const;
    int indexOf(std::int64_t value) const;
    std::int64_t lowestEquivalent(std::size_t index) const;
    std::int64_t bucketWidth(std::size_t index) const;

    std::int64_t m_highest;
    int m_digits;
    int m_halfMagnitude;      // log2 of the sub-buckets per power of two above the first
    std::int64_t m_halfCount; // 2^m_halfMagnitude
    std::uint64_t m_lowMask;  // 2 * m_halfCount - 1: values below this+1 are exact
    std::vector<std::int64_t> m_counts;
    std::int64_t m_total = 0;
    std::int64_t m_min = INT64_MAX;
    std::int64_t m_max = 0;
    std::int64_t m_overflow = 0;
};

/// One histogram per whole second for the last `seconds` seconds (a ring keyed by absolute
/// second, like PerSecondSeries), plus a running total. A window's percentiles come from merging
/// its slices, so they are exact to the histogram's precision and never an average of per-second
/// percentiles. Slices are sparse (only non-empty buckets, 8 bytes each), so 300 slices cost what
/// the traffic needs, not 300 dense histograms.
class SlicedHistogram {
public:
    explicit SlicedHistogram(int seconds = 300,
                             std::int64_t highest = LatencyHistogram::kDefaultHighest,
                             int significantDigits = 3);

    /// Adds to `second`'s slice and to total(). A second that has already left the ring (older
    /// than newestSecond() - seconds() + 1) only reaches total().
    void record(std::int64_t second, std::int64_t value, std::int64_t count = 1);
    /// The merged slices of seconds fromSecond..toSecond inclusive that are still in the ring.
    LatencyHistogram window(std::int64_t fromSecond, std::int64_t toSecond) const;
    /// Everything ever recorded, including seconds that have left the ring. By reference: a dense
    /// histogram is a few hundred KB, copy it only when needed.
    const LatencyHistogram& total() const { return m_total; }

    int seconds() const { return static_cast<int>(m_slices.size()); }
    /// The latest second recorded so far; the ring holds the `seconds()` seconds ending there.
    std::optional<std::int64_t> newestSecond() const { return m_newest; }
    void reset();
    std::size_t memoryBytes() const;

private:
    /// 8 bytes, not 16: slices are most of the memory. A count that would not fit in 32 bits
    /// spills into further entries with the same index, so nothing is lost.
    struct Entry {
        std::uint32_t index;
        std::uint32_t count;
    };
    struct Slice {
        std::int64_t second = INT64_MIN; // INT64_MIN: never used
        std::int64_t total = 0;
        std::int64_t min = INT64_MAX;
        std::int64_t max = 0;
        std::int64_t overflow = 0;
        std::vector<Entry> entries; // sorted by index, counts > 0
    };
    bool inRing(std::int64_t second) const;

    LatencyHistogram m_total;
    std::vector<Slice> m_slices;
    std::optional<std::int64_t> m_newest;
};

} // namespace sluice
