#pragma once

#include "core/bench/report/seriescsv.h"
#include "core/result.h"

#include <QFile>
#include <QJsonObject>
#include <QString>

#include <memory>
#include <optional>

namespace sluice {

class BenchRunner;
class SeriesRing;

/// The per-second rows of a run as the report files hold them (t_s first).
SeriesData seriesData(const SeriesRing& ring);

/// requests.jsonl, written as requests end, so a long run never holds them in memory.
class RequestLog {
public:
    /// Opens `dir`/requests.jsonl (creating `dir`); an Io error names the file.
    Result<void> open(const QString& dir);
    void append(const QJsonObject& row);
    void close();
    std::int64_t rows() const { return m_rows; }

private:
    std::unique_ptr<QFile> m_file;
    std::int64_t m_rows = 0;
};

/// Writes summary.json, timeseries.csv and report.html of a finished run into `dir`.
Result<void> writeReport(const QString& dir, const QJsonObject& summary, const SeriesData& series);

/// A report directory read back.
struct LoadedReport {
    QJsonObject summary;
    SeriesData series;
};
/// Reads `dir`'s summary.json and timeseries.csv; the error names the file (and where in it).
Result<LoadedReport> loadReport(const QString& dir);

} // namespace sluice
