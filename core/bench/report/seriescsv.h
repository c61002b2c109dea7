#pragma once

#include "core/result.h"

#include <QString>
#include <QStringList>

#include <limits>
#include <optional>
#include <vector>

namespace sluice {

/// One timeseries.csv in memory (docs/report-format.md): column names in header order and one
/// row per second of the run. NaN stands for an empty cell (a second without a value).
struct SeriesData {
    QStringList columns;
    std::vector<std::vector<double>> rows; ///< rows[i][j] is column j of second i
    /// Index of the column called `name` (the first, if repeated); -1 if absent.
    int column(const QString& name) const { return static_cast<int>(columns.indexOf(name)); }
};

/// Writes `data` as CSV: header, '.' as the decimal point, an empty cell for NaN (and for an
/// infinity, which a per-second series cannot mean), numbers rounded to 6 significant digits and
/// written without an exponent when 1e-6 <= |x| < 1e15. Column names are written as they are
/// (the format's names hold no comma). Rounding to 6 digits keeps the file small and is ample
/// for per-second rates and milliseconds; 123456.5 is written as 123457.
QString seriesToCsv(const SeriesData& data);

/// Parses CSV as seriesToCsv writes it, and as a spreadsheet saves it: \r\n line ends, a UTF-8
/// BOM, a trailing newline, spaces around cells, text in quotes (without commas inside). Every
/// row needs as many cells as the header; an empty cell is NaN. An error's field names the 1-based
/// line and column ("line 3, column 2").
Result<SeriesData> parseSeriesCsv(const QString& text);

/// Shared by the files in core/bench/report/; not for use elsewhere.
namespace report::detail {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Cell `column` of a row; NaN when the column is -1 or past the row's end.
double cellOf(const std::vector<double>& row, int column);

/// `s` without the trailing zeros of its decimals (and without a trailing '.').
QString trimZeros(QString s);

} // namespace report::detail

} // namespace sluice
