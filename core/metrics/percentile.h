#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace sluice {

/// The nearest-rank percentile of a sample, exact: the value at rank ceil(p * n) (at least 1)
/// in sorted order, so p99 of 100 values is the 99th smallest and p50 of 3 is the middle one.
///
/// `p` is a FRACTION, 0..1 (0.99 for p99), never a percent: a percent (an SloSpec's
/// `percentile`, 99) is divided by 100 by the caller. Returns `empty` when there are no values.
///
/// Reorders `values` partially (std::nth_element, O(n)) instead of copying them: a caller
/// taking several percentiles of one sample passes the same vector each time. Pass a temporary
/// (or a copy) to keep the original order.
template <class T> T percentile(std::vector<T>& values, double p, T empty = T{}) {
    if (values.empty()) {
        return empty;
    }
    const double n = static_cast<double>(values.size());
    const auto rank = static_cast<std::size_t>(std::clamp(std::ceil(p * n), 1.0, n));
    const auto nth = values.begin() + static_cast<std::ptrdiff_t>(rank - 1);
    std::nth_element(values.begin(), nth, values.end());
    return *nth;
}

template <class T> T percentile(std::vector<T>&& values, double p, T empty = T{}) {
    return percentile(values, p, empty);
}

} // namespace sluice
