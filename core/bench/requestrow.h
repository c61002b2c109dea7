#pragma once

#include "core/metrics/requestmetrics.h"
#include "core/net/enginetypes.h"

#include <QJsonObject>

namespace sluice {

/// One finished request as a requests.jsonl row (see docs/report-format.md): its end state,
/// timings in ms (only those it has), tokens and failure; never the prompt or the key.
/// `intendedSeconds` is its intended send time since the run's start; `sloMet` whether it counted
/// towards goodput.
QJsonObject requestRow(const RequestRecord& r, const RequestMetrics& m, bool warmup,
                       double intendedSeconds, bool sloMet);

} // namespace sluice
