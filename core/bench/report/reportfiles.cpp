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

std::optional<QString> RequestLog::open(const QString& dir) {
    if (!QDir().mkpath(dir)) {
        return QStringLiteral("cannot create the report directory %1").arg(dir);
    }
    m_file = std::make_unique<QFile>(QDir(dir).filePath(QStringLiteral("requests.jsonl")));
    if (!m_file->open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        const QString error =
            QStringLiteral("cannot write %1: %2").arg(m_file->fileName(), m_file->errorString());
        m_file.reset();
        return error;
    }
    return std::nullopt;
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

std::optional<QString> save(const QString& path, const QByteArray& bytes) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        return QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
    }
    return std::nullopt;
}

} // namespace

std::optional<QString> writeReport(const QString& dir, const QJsonObject& summary,
                                   const SeriesData& series) {
    if (!QDir().mkpath(dir)) {
        return QStringLiteral("cannot create the report directory %1").arg(dir);
    }
    const QDir d(dir);
    if (auto e = save(d.filePath(QStringLiteral("summary.json")),
                      QJsonDocument(summary).toJson(QJsonDocument::Indented))) {
        return e;
    }
    if (auto e = save(d.filePath(QStringLiteral("timeseries.csv")), seriesToCsv(series).toUtf8())) {
        return e;
    }
    return save(d.filePath(QStringLiteral("report.html")),
                renderReportHtml(summary, series).toUtf8());
}

std::optional<LoadedReport> loadReport(const QString& dir, QString* error) {
    const QDir d(dir);
    QFile summaryFile(d.filePath(QStringLiteral("summary.json")));
    if (!summaryFile.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: %2").arg(summaryFile.fileName(), summaryFile.errorString());
        return std::nullopt;
    }
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(summaryFile.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject() ||
        !doc.object().contains(QStringLiteral("sluice_report"))) {
        *error = QStringLiteral("%1: not a Sluice summary (%2)")
                     .arg(summaryFile.fileName(), parseError.error != QJsonParseError::NoError
                                                      ? parseError.errorString()
                                                      : QStringLiteral("no sluice_report field"));
        return std::nullopt;
    }
    LoadedReport report;
    report.summary = doc.object();
    QFile csv(d.filePath(QStringLiteral("timeseries.csv")));
    if (!csv.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: %2").arg(csv.fileName(), csv.errorString());
        return std::nullopt;
    }
    QString csvError;
    const auto series = parseSeriesCsv(QString::fromUtf8(csv.readAll()), &csvError);
    if (!series) {
        *error = QStringLiteral("%1: %2").arg(csv.fileName(), csvError);
        return std::nullopt;
    }
    report.series = *series;
    return report;
}

} // namespace sluice
