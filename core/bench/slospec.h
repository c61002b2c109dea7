#pragma once

#include "core/result.h"

#include <QString>

namespace sluice {

/// A service-level objective: a percentile of a latency metric under a threshold, or the error
/// rate under a share. Written "ttft:p95<500ms", "e2e<2s" (p99 when no percentile is given),
/// "errors<1%". A request meets a latency SLO when its own value is under the threshold; goodput
/// counts requests that meet every SLO given.
struct SloSpec {
    QString text;   ///< as written
    QString metric; ///< ttft ttfb ttst itl tpot tpot_overall e2e corrected service queue errors
    double percentile = 99;
    double threshold = 0;   ///< milliseconds, or a fraction for errors
    bool isDefault = false; ///< added by Sluice (errors<1%), not given by the user
    bool isErrorRate() const { return metric == QLatin1String("errors"); }

    /// Parses one spec; the error's message names the spec as written.
    static Result<SloSpec> parse(const QString& text);
};

} // namespace sluice
