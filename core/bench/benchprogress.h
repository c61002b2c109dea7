#pragma once

#include <QMetaType>
#include <QString>

#include <cstdint>

namespace sluice {

/// A change during the run, drawn as a marker on charts.
struct BenchEvent {
    double t = 0; ///< seconds since the start
    QString kind; ///< rate, concurrency, limits, warmup, stress, spike, alert, end
    QString text;
};

/// What the live view shows, once a second.
struct BenchProgress {
    double elapsed = 0;   ///< seconds
    double fraction = -1; ///< of the run done, when bounded by time or count; -1 unknown
    QString phase;        ///< "warm-up", "running", "stress 40 rps", "draining"
    double targetLoad = 0;
    bool openLoop = false;
    double sentPerSecond = 0;
    double okPerSecond = 0;
    int inFlight = 0;
    int queued = 0;
    int limit = 0;
    std::int64_t submitted = 0, ok = 0, errors = 0, rateLimited = 0, lateStarts = 0;
    QString topFailure; ///< the most frequent failure reason so far ("connection refused"), if any
    double e2eP50 = 0, e2eP95 = 0, e2eP99 = 0; ///< ms, of the last 10 s
    double ttftP50 = 0, ttftP99 = 0;
    double outputTokensPerSecond = 0;
};

} // namespace sluice

Q_DECLARE_METATYPE(sluice::BenchProgress)
Q_DECLARE_METATYPE(sluice::BenchEvent)
