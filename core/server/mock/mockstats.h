#pragma once

#include "core/engine/clock.h"
#include "core/metrics/persecondseries.h"
#include "core/metrics/windowpeak.h"

#include <QByteArray>
#include <QJsonObject>

#include <cstdint>
#include <map>

namespace sluice::mock {

/// What the mock server saw: the outside truth that client-side limits are judged by.
/// Plain data, updated by MockServer in its own thread.
struct MockStats {
    std::int64_t requests = 0; ///< LLM requests received (chat, messages, models)
    std::map<QByteArray, std::int64_t>
        byStatus; ///< final status → count ("reset", "stall", "client_closed" too)
    std::int64_t rateLimited = 0;   ///< 429s from the request/token limiters
    std::int64_t quotaRejected = 0; ///< insufficient_quota faults
    std::int64_t midstreamFaults = 0;
    int concurrent = 0; ///< requests received and not yet finished
    int peakConcurrent = 0;
    int inService = 0; ///< requests holding a service slot
    int peakInService = 0;
    int waiting = 0; ///< requests waiting for a slot
    int peakWaiting = 0;
    std::int64_t tokensIn = 0;       ///< prompt tokens of admitted requests
    std::int64_t tokensOut = 0;      ///< completion tokens actually sent
    PerSecondSeries arrivals{300};   ///< requests received per second, last 5 minutes
    PerSecondSeries rejections{300}; ///< 429s from the limiters per second
    WindowPeak requestWindow{std::chrono::minutes(1)}; ///< admitted requests per sliding minute
    WindowPeak tokenWindow{std::chrono::minutes(1)};   ///< admitted tokens per sliding minute

    void reset();
    QJsonObject toJson(Nanos now, std::int64_t unixSecond, std::int64_t rpmLimit,
                       std::int64_t tpmLimit);
};

} // namespace sluice::mock
