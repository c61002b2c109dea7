#include "core/bench/report/reportfiles.h"

#include "core/bench/report/reporthtml.h"
#include "core/metrics/timeseries.h"

#include <QDir>
#include <QJsonDocument>
#include <QSaveFile>

namespace sluice {

SeriesData seriesData(const SeriesRing& ring) {
    SeriesData data;
    data.columns = QStringList{QStringLiteral("t_s")} + ring.columns();
    data.rows.reserve(ring.size());
    for (std::size_t i = 0; i < ring.size(); ++i) {
        std::vector<double> row{ring.time(i)};
        row.insert(row.end(), ring.row(i).begin(), ring.row(i).end());
        data.rows.push_back(std::move(row));
    }
    return data;
}

namespace {

Error io(QString message) {
    return Error{Error::Kind::Io, {}, std::move(message)};
}

} // namespace

Result<void> RequestLog::open(const QString& dir) {
    if (!QDir().mkpath(dir)) {
        return io(QStringLiteral("cannot create the report directory %1").arg(dir));
    }
    m_file = std::make_unique<QFile>(QDir(dir).filePath(QStringLiteral("requests.jsonl")));
    if (!m_file->open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        const QString error =
            QStringLiteral("cannot write %1: %2").arg(m_file->fileName(), m_file->errorString());
        m_file.reset();
        return io(error);
    }
    return {};
}

void RequestLog::append(const QJsonObject& row) {
    if (!m_file) {
        return;
    }
    m_file->write(QJsonDocument(row).toJson(QJsonDocument::Compact));
    m_file->write("\n", 1);
    ++m_rows;
}

void RequestLog::close() {
    if (m_file) {
        m_file->close();
        m_file.reset();
    }
}

namespace {

Result<void> save(const QString& path, const QByteArray& bytes) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        return io(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    }
    return {};
}

} // namespace

Result<void> writeReport(const QString& dir, const QJsonObject& summary, const SeriesData& series) {
    if (!QDir().mkpath(dir)) {
        return io(QStringLiteral("cannot create the report directory %1").arg(dir));
    }
    const QDir d(dir);
    if (auto saved = save(d.filePath(QStringLiteral("summary.json")),
                          QJsonDocument(summary).toJson(QJsonDocument::Indented));
        !saved) {
        return saved;
    }
    if (auto saved =
            save(d.filePath(QStringLiteral("timeseries.csv")), seriesToCsv(series).toUtf8());
        !saved) {
        return saved;
    }
    return save(d.filePath(QStringLiteral("report.html")),
                renderReportHtml(summary, series).toUtf8());
}

Result<LoadedReport> loadReport(const QString& dir) {
    const QDir d(dir);
    QFile summaryFile(d.filePath(QStringLiteral("summary.json")));
    if (!summaryFile.open(QIODevice::ReadOnly)) {
        return Error{Error::Kind::Io, summaryFile.fileName(), summaryFile.errorString()};
    }
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(summaryFile.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject() ||
        !doc.object().contains(QStringLiteral("sluice_report"))) {
        return Error::invalid(summaryFile.fileName(),
                              QStringLiteral("not a Sluice summary (%1)")
                                  .arg(parseError.error != QJsonParseError::NoError
                                           ? parseError.errorString()
                                           : QStringLiteral("no sluice_report field")));
    }
    LoadedReport report;
    report.summary = doc.object();
    QFile csv(d.filePath(QStringLiteral("timeseries.csv")));
    if (!csv.open(QIODevice::ReadOnly)) {
        return Error{Error::Kind::Io, csv.fileName(), csv.errorString()};
    }
    const auto series = parseSeriesCsv(QString::fromUtf8(csv.readAll()));
    if (!series) {
        return Error::invalid(csv.fileName(), series.error().text());
    }
    report.series = *series;
    return report;
}

} // namespace sluice
