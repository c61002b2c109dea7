#include "core/metrics/timeseries.h"

namespace sluice {

SeriesRing::SeriesRing(QStringList columns, std::size_t capacity)
    : m_columns(std::move(columns))
    , m_capacity(std::max<std::size_t>(capacity, 1)) {}

void SeriesRing::append(double t, std::vector<double> values) {
    values.resize(static_cast<std::size_t>(m_columns.size()), missing());
    if (m_rows.size() == m_capacity) {
        m_rows.pop_front();
        ++m_dropped;
    }
    m_rows.emplace_back(t, std::move(values));
}

double SeriesRing::value(std::size_t row, int column) const {
    if (row >= m_rows.size() || column < 0 || column >= m_columns.size()) {
        return missing();
    }
    return m_rows[row].second[static_cast<std::size_t>(column)];
}

} // namespace sluice
