#pragma once

#include "core/metrics/latencyhistogram.h"
#include "core/net/enginetypes.h"
#include "core/server/gateway/clienttable.h"
#include "core/server/gateway/gatewayconfig.h"

#include <QByteArray>
#include <QJsonObject>

#include <map>

namespace sluice {

class RequestEngine;

namespace gateway {

/// What the gateway counted beyond the engine's snapshot (borrowed, not owned).
struct GatewayCounters {
    const std::map<int, std::int64_t>& byCode; ///< answers by the status the caller got
    std::int64_t clientGone = 0;
    std::int64_t doorRejected = 0; ///< queue full, answered before reaching the engine
    std::int64_t promptTokens = 0, completionTokens = 0;
    const LatencyHistogram* overhead = nullptr; ///< ns
    const LatencyHistogram* ttft = nullptr;     ///< ns
    const LatencyHistogram* e2e = nullptr;      ///< ns
    /// Answers by client, model and status, and each client's own figures (null: none).
    const ClientTable* clients = nullptr;
    const std::vector<RequestStatus>* live = nullptr; ///< the engine's statuses(), for clients
};

/// GET /admin/stats: in flight / limit, queued, processed, rejected (count and share), rates,
/// latency, TTFT and gateway overhead percentiles, failures by reason, breaker, config version.
QJsonObject statsJson(const EngineSnapshot& snapshot, const GatewayConfig& config,
                      const GatewayCounters& counters);

/// {count, p50_ms, p99_ms} of a few durations (reordered); {count: 0} when there are none.
QJsonObject recentPercentiles(std::vector<Nanos>& values);

/// GET /metrics in the Prometheus text format (conventional names: sluice_requests_total,
/// sluice_in_flight, sluice_queue_depth, sluice_limit, sluice_failures_total,
/// sluice_tokens_total, sluice_overhead_seconds, sluice_ttft_seconds, …). No key appears.
QByteArray metricsText(const EngineSnapshot& snapshot, const GatewayConfig& config,
                       const GatewayCounters& counters);

/// A live request: state, requests ahead of it, ETA, attempts, times.
QJsonObject requestStatusJson(const RequestStatus& status, Nanos now);
/// An ended request: its final state and why, the status the caller got, timings.
QJsonObject requestRecordJson(const RequestRecord& record, int clientStatus);
/// GET /admin/requests[?state=queued]: every live request, queued ones in dispatch order.
QJsonObject requestListJson(const RequestEngine& engine, const QByteArray& query);
/// One state change, as an /admin/events data line.
QJsonObject updateJson(const RequestUpdate& update);

} // namespace gateway
} // namespace sluice
