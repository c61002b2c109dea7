#pragma once

#include "core/bench/report/seriescsv.h"

#include <QJsonObject>
#include <QString>

namespace sluice {

/// Two runs side by side, in the same self-contained form as renderReportHtml: each latency
/// metric's p50/p95/p99 for A and B with the ratio B/A (more than 10% worse is highlighted),
/// counts and throughput, both runs' SLO verdicts, and the charts with A solid and B dashed on one
/// time axis (seconds since each run's start).
QString renderComparisonHtml(const QJsonObject& summaryA, const SeriesData& seriesA,
                             const QString& nameA, const QJsonObject& summaryB,
                             const SeriesData& seriesB, const QString& nameB);

} // namespace sluice
