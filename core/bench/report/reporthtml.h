#pragma once

#include "core/bench/report/seriescsv.h"

#include <QJsonObject>
#include <QString>

namespace sluice {

/// The self-contained report.html of one run: summary.json's object plus its timeseries. One
/// file, inline CSS and SVG, no script and no network reference; every text from the JSON is
/// HTML-escaped. Long runs are decimated to min/max per pixel, so a 24-hour run stays small.
QString renderReportHtml(const QJsonObject& summary, const SeriesData& series);

} // namespace sluice
