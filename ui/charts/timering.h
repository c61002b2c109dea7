#pragma once

#include <QList>
#include <QPointF>

#include <cstddef>
#include <vector>

namespace sluice {

/// A bounded ring of (t, value) samples, t in seconds on a session clock. When full, append()
/// overwrites the oldest sample, so memory is fixed at construction whatever the session length.
/// Charts keep their history here and hand a series only a decimated view (see decimate()).
///
/// Plain C++ (QPointF/QList only for the output): not thread-safe, owned by the GUI thread.
class TimeRing {
public:
    /// 36000 = one hour at 10 Hz. A capacity of 0 is taken as 1.
    explicit TimeRing(std::size_t capacity = 36000);

    /// Appends a sample. `t` must be non-decreasing; an earlier `t` is clamped to lastTime() so
    /// the ring stays sorted (decimate() relies on it). A NaN `value` marks a gap: it is stored
    /// and counted, but never drawn and never a minimum or maximum.
    void append(double t, double value);
    void clear();

    std::size_t size() const { return m_size; }
    std::size_t capacity() const { return m_t.size(); }
    bool isEmpty() const { return m_size == 0; }
    /// NaN when empty.
    double lastTime() const;
    /// NaN when empty (and NaN when the last sample is a gap).
    double lastValue() const;
    /// The i-th sample, oldest first (0 <= i < size()).
    double timeAt(std::size_t i) const { return m_t[physical(i)]; }
    double valueAt(std::size_t i) const { return m_v[physical(i)]; }

    /// Min/max decimation of the samples with t in [from, to] into `buckets` equal time buckets
    /// (bucket of t: floor((t - from) * (buckets / (to - from))), the sample at `to` in the last
    /// one, everything in bucket 0 when from == to). Per non-empty bucket it emits the minimum and
    /// the maximum sample in time order, or one point when they are equal, so `out` (cleared first)
    /// holds at most 2 * buckets points, time-ordered, with x = sample t + xOffset and y = sample
    /// value. Ties go to the earliest sample. Gap (NaN) samples are skipped: a bucket of gaps only
    /// is empty.
    /// `*maxValue` (if non-null) receives the largest value in [from, to], NaN if there is none.
    /// Cost: O(log n + samples in range); no allocation when `out` has the capacity already.
    void decimate(double from, double to, int buckets, double xOffset, QList<QPointF>& out,
                  double* maxValue = nullptr) const;

private:
    std::size_t physical(std::size_t i) const {
        const std::size_t p = m_head + i;
        return p >= m_t.size() ? p - m_t.size() : p;
    }
    /// Index (oldest = 0) of the first sample with t >= `t`; size() if there is none.
    std::size_t lowerBound(double t) const;

    std::vector<double> m_t;
    std::vector<double> m_v;
    std::size_t m_head = 0; ///< physical index of the oldest sample
    std::size_t m_size = 0;
};

} // namespace sluice
