#include "ui/charts/timering.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sluice {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
} // namespace

TimeRing::TimeRing(std::size_t capacity)
    : m_t(std::max<std::size_t>(capacity, 1))
    , m_v(m_t.size()) {}

void TimeRing::append(double t, double value) {
    if (m_size > 0 && !(t >= lastTime())) {
        t = lastTime(); // also catches a NaN t
    } else if (std::isnan(t)) {
        t = 0.0;
    }
    if (m_size < m_t.size()) {
        const std::size_t p = physical(m_size);
        m_t[p] = t;
        m_v[p] = value;
        ++m_size;
    } else {
        m_t[m_head] = t;
        m_v[m_head] = value;
        m_head = m_head + 1 == m_t.size() ? 0 : m_head + 1;
    }
}

void TimeRing::clear() {
    m_head = 0;
    m_size = 0;
}

double TimeRing::lastTime() const {
    return m_size == 0 ? kNaN : m_t[physical(m_size - 1)];
}

double TimeRing::lastValue() const {
    return m_size == 0 ? kNaN : m_v[physical(m_size - 1)];
}

std::size_t TimeRing::lowerBound(double t) const {
    std::size_t lo = 0;
    std::size_t hi = m_size;
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (timeAt(mid) < t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

void TimeRing::decimate(double from, double to, int buckets, double xOffset, QList<QPointF>& out,
                        double* maxValue) const {
    out.clear();
    double seenMax = kNaN;
    if (buckets > 0 && m_size > 0 && from <= to) {
        out.reserve(2 * buckets);
        const double scale = to > from ? buckets / (to - from) : 0.0;
        int bucket = -1;
        std::size_t minIndex = 0;
        std::size_t maxIndex = 0;
        const auto flush = [&] {
            if (bucket < 0) {
                return;
            }
            const std::size_t first = std::min(minIndex, maxIndex);
            const std::size_t second = std::max(minIndex, maxIndex);
            out.append(QPointF(timeAt(first) + xOffset, valueAt(first)));
            if (valueAt(minIndex) != valueAt(maxIndex)) {
                out.append(QPointF(timeAt(second) + xOffset, valueAt(second)));
            }
        };
        for (std::size_t i = lowerBound(from); i < m_size; ++i) {
            const std::size_t p = physical(i);
            const double t = m_t[p];
            if (t > to) {
                break;
            }
            const double v = m_v[p];
            if (std::isnan(v)) {
                continue;
            }
            const int b = std::min(static_cast<int>((t - from) * scale), buckets - 1);
            if (b != bucket) {
                flush();
                bucket = b;
                minIndex = i;
                maxIndex = i;
            } else if (v < valueAt(minIndex)) {
                minIndex = i;
            } else if (v > valueAt(maxIndex)) {
                maxIndex = i;
            }
            if (!(v <= seenMax)) {
                seenMax = v;
            }
        }
        flush();
    }
    if (maxValue) {
        *maxValue = seenMax;
    }
}

} // namespace sluice
