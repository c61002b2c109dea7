#pragma once

#include "core/bench/report/seriescsv.h"

#include <QJsonObject>
#include <QString>

#include <vector>

/// The inline SVG charts of both report pages, drawn from timeseries rows. Shared by the files in
/// core/bench/report/; not for use elsewhere.
namespace sluice::report::detail {

/// A change event, drawn as a dashed vertical at `t` (seconds since the run's start).
struct Marker {
    double t;
    QString label;
    QString tip;
};

/// One run's data on the charts; in a comparison B is dashed.
struct Run {
    const SeriesData* data;
    QString name;
    bool dashed;
    std::vector<Marker> markers;
};

/// The change events of summary.json's "events" (alerts left out), labels and tips prefixed with
/// `prefix` (a comparison's "A " or "B ").
std::vector<Marker> markersOf(const QJsonObject& summary, const QString& prefix);

/// The "Charts" heading and section: every chart of the report, each run's lines on it.
QString chartsHtml(const std::vector<Run>& runs);

} // namespace sluice::report::detail
