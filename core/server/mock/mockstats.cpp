#include "core/server/mock/mockstats.h"

#include <QJsonArray>

namespace sluice::mock {

void MockStats::reset() {
    // Live gauges (concurrent, in service, waiting) describe requests still in progress; they
    // stay, and their peaks restart from the current level.
    const int keepConcurrent = concurrent;
    const int keepInService = inService;
    const int keepWaiting = waiting;
    *this = MockStats{};
    concurrent = peakConcurrent = keepConcurrent;
    inService = peakInService = keepInService;
    waiting = peakWaiting = keepWaiting;
}

QJsonObject MockStats::toJson(Nanos now, std::int64_t unixSecond, std::int64_t rpmLimit,
                              std::int64_t tpmLimit) {
    QJsonObject statuses;
    for (const auto& [status, count] : byStatus) {
        statuses.insert(QString::fromLatin1(status), static_cast<double>(count));
    }
    const auto series = [](const std::vector<std::int64_t>& values) {
        QJsonArray a;
        for (const std::int64_t v : values) {
            a.append(static_cast<double>(v));
        }
        return a;
    };
    const QJsonObject window{
        {QStringLiteral("window_ms"),
         static_cast<double>(std::chrono::duration_cast<Millis>(requestWindow.window()).count())},
        {QStringLiteral("rpm_limit"), static_cast<double>(rpmLimit)},
        {QStringLiteral("tpm_limit"), static_cast<double>(tpmLimit)},
        {QStringLiteral("requests_now"), static_cast<double>(requestWindow.current(now))},
        {QStringLiteral("tokens_now"), static_cast<double>(tokenWindow.current(now))},
        {QStringLiteral("max_requests"), static_cast<double>(requestWindow.peak())},
        {QStringLiteral("max_tokens"), static_cast<double>(tokenWindow.peak())},
    };
    return QJsonObject{
        {QStringLiteral("requests"), static_cast<double>(requests)},
        {QStringLiteral("by_status"), statuses},
        {QStringLiteral("rate_limited"), static_cast<double>(rateLimited)},
        {QStringLiteral("quota_rejected"), static_cast<double>(quotaRejected)},
        {QStringLiteral("midstream_faults"), static_cast<double>(midstreamFaults)},
        {QStringLiteral("concurrent"), concurrent},
        {QStringLiteral("peak_concurrent"), peakConcurrent},
        {QStringLiteral("in_service"), inService},
        {QStringLiteral("peak_in_service"), peakInService},
        {QStringLiteral("waiting"), waiting},
        {QStringLiteral("peak_waiting"), peakWaiting},
        {QStringLiteral("tokens_in"), static_cast<double>(tokensIn)},
        {QStringLiteral("tokens_out"), static_cast<double>(tokensOut)},
        {QStringLiteral("arrivals_per_second"), series(arrivals.values(unixSecond))},
        {QStringLiteral("rate_limited_per_second"), series(rejections.values(unixSecond))},
        {QStringLiteral("series_end_unix"), static_cast<double>(unixSecond)},
        {QStringLiteral("window"), window},
    };
}

} // namespace sluice::mock
