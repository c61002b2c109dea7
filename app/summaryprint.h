#pragma once

#include <QJsonObject>
#include <QString>

namespace sluice {

/// A duration in milliseconds as people read it: "-", "12.3 ms", "340 ms", "2.05 s".
QString fmtMs(double ms);

/// The text `sluice bench` prints at the end of a run, from its summary.json object: counts,
/// failures by reason, latency table, SLOs, stress steps and one verdict line (PASSED, FAILED: …,
/// INTERRUPTED, KNEE: …). `reportDir` is named when a report was written.
QString summaryText(const QJsonObject& summary, const QString& reportDir);

/// The verdict line alone ("PASSED", "FAILED: errors<1%", "INTERRUPTED (SIGINT)", …).
QString verdictLine(const QJsonObject& summary);

} // namespace sluice
