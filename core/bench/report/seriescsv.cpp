#include "core/bench/report/seriescsv.h"

#include <algorithm>
#include <cmath>

namespace sluice {

using namespace Qt::Literals::StringLiterals;

namespace report::detail {

double cellOf(const std::vector<double>& row, int column) {
    return column >= 0 && static_cast<size_t>(column) < row.size() ? row[size_t(column)] : kNaN;
}

QString trimZeros(QString s) {
    if (s.contains(u'.')) {
        while (s.endsWith(u'0')) {
            s.chop(1);
        }
        if (s.endsWith(u'.')) {
            s.chop(1);
        }
    }
    return s;
}

} // namespace report::detail

using report::detail::cellOf;
using report::detail::kNaN;

namespace {

QString csvNumber(double v) {
    if (!std::isfinite(v)) {
        return {};
    }
    const double a = std::abs(v);
    if (a == 0) {
        return u"0"_s;
    }
    if (a < 1e-6 || a >= 1e15) {
        return QString::number(v, 'g', 6);
    }
    // Fixed notation with as many decimals as 6 significant digits need, then no trailing zeros.
    const int intDigits = static_cast<int>(std::floor(std::log10(a))) + 1;
    return report::detail::trimZeros(QString::number(v, 'f', std::max(0, 6 - intDigits)));
}

/// A cell without spaces around it and without the quotes a spreadsheet may put around text.
/// Cells never hold a comma (numbers and the format's column names), so no quote-aware split.
QString cellText(QStringView cell) {
    cell = cell.trimmed();
    if (cell.size() >= 2 && cell.startsWith(u'"') && cell.endsWith(u'"')) {
        cell = cell.mid(1, cell.size() - 2).trimmed();
    }
    return cell.toString();
}

} // namespace

QString seriesToCsv(const SeriesData& data) {
    QString out = data.columns.join(u',') + u'\n';
    out.reserve(out.size() + static_cast<qsizetype>(data.rows.size() * data.columns.size() * 6));
    for (const auto& row : data.rows) {
        for (qsizetype j = 0; j < data.columns.size(); ++j) {
            if (j > 0) {
                out += u',';
            }
            out += csvNumber(cellOf(row, static_cast<int>(j)));
        }
        out += u'\n';
    }
    return out;
}

Result<SeriesData> parseSeriesCsv(const QString& text) {
    const auto fail = [](qsizetype line, qsizetype column, const QString& what) {
        return Error::invalid(column > 0 ? u"line %1, column %2"_s.arg(line).arg(column)
                                         : u"line %1"_s.arg(line),
                              what);
    };
    QStringView body(text);
    if (body.startsWith(QChar(0xFEFF))) {
        body = body.mid(1);
    }
    QList<QStringView> lines = body.split(u'\n');
    for (QStringView& line : lines) {
        if (line.endsWith(u'\r')) {
            line.chop(1);
        }
    }
    // A trailing newline ends the last row; it does not start an empty one.
    while (!lines.isEmpty() && lines.last().isEmpty()) {
        lines.removeLast();
    }
    if (lines.isEmpty()) {
        return fail(1, 0, u"empty file, expected a header line"_s);
    }
    SeriesData data;
    const QList<QStringView> header = lines[0].split(u',');
    for (qsizetype j = 0; j < header.size(); ++j) {
        data.columns.append(cellText(header[j]));
        if (data.columns.last().isEmpty()) {
            return fail(1, j + 1, u"empty column name"_s);
        }
    }
    const qsizetype width = data.columns.size();
    data.rows.reserve(static_cast<size_t>(lines.size() - 1));
    for (qsizetype n = 1; n < lines.size(); ++n) {
        const QList<QStringView> cells = lines[n].split(u',');
        if (cells.size() != width) {
            return fail(n + 1, std::min(cells.size(), width) + 1,
                        u"%1 cell: the row has %2 cells, the header %3"_s
                            .arg(cells.size() < width ? u"missing"_s : u"extra"_s)
                            .arg(cells.size())
                            .arg(width));
        }
        std::vector<double> row(static_cast<size_t>(width), kNaN);
        for (qsizetype j = 0; j < width; ++j) {
            const QString cell = cellText(cells[j]);
            bool ok = true;
            if (!cell.isEmpty()) {
                row[size_t(j)] = cell.toDouble(&ok);
            }
            if (!ok) {
                return fail(n + 1, j + 1,
                            u"\"%1\" is not a number (%2)"_s.arg(cell.left(40), data.columns[j]));
            }
        }
        data.rows.push_back(std::move(row));
    }
    return data;
}

} // namespace sluice
