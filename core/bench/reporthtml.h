#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

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
/// row needs as many cells as the header; an empty cell is NaN. On error returns nullopt and, when
/// `error` is set, a message naming the 1-based line and column.
std::optional<SeriesData> parseSeriesCsv(const QString& text, QString* error);

/// The self-contained report.html of one run: summary.json's object plus its timeseries. One
/// file, inline CSS and SVG, no script and no network reference; every text from the JSON is
/// HTML-escaped. Long runs are decimated to min/max per pixel, so a 24-hour run stays small.
QString renderReportHtml(const QJsonObject& summary, const SeriesData& series);

/// Two runs side by side, in the same self-contained form: each latency metric's p50/p95/p99 for
/// A and B with the ratio B/A (more than 10% worse is highlighted), counts and throughput, both
/// runs' SLO verdicts, and the charts with A solid and B dashed on one time axis (seconds since
/// each run's start).
QString renderComparisonHtml(const QJsonObject& summaryA, const SeriesData& seriesA,
                             const QString& nameA, const QJsonObject& summaryB,
                             const SeriesData& seriesB, const QString& nameB);

} // namespace sluice
