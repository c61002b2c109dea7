#pragma once

#include <QStringList>

#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <vector>

namespace sluice {

/// Rows of named values at 1 s resolution, bounded: the oldest row leaves when `capacity` is
/// reached (24 h by default, ~17 MB at 25 columns), so a long run never grows without limit.
/// A missing value is NaN.
class SeriesRing {
public:
    explicit SeriesRing(QStringList columns, std::size_t capacity = 86'400);

    static double missing() { return std::numeric_limits<double>::quiet_NaN(); }
    const QStringList& columns() const { return m_columns; }
    int column(const QString& name) const { return static_cast<int>(m_columns.indexOf(name)); }
    /// Appends the row of second `t` (seconds since the start), one value per column.
    void append(double t, std::vector<double> values);
    std::size_t size() const { return m_rows.size(); }
    std::size_t capacity() const { return m_capacity; }
    /// Rows dropped because the ring was full.
    std::int64_t dropped() const { return m_dropped; }
    double time(std::size_t row) const { return m_rows[row].first; }
    double value(std::size_t row, int column) const;
    const std::vector<double>& row(std::size_t row) const { return m_rows[row].second; }

private:
    QStringList m_columns;
    std::size_t m_capacity;
    std::deque<std::pair<double, std::vector<double>>> m_rows;
    std::int64_t m_dropped = 0;
};

} // namespace sluice
