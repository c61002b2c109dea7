#pragma once

#include "core/bench/trafficlimits.h"
#include "core/net/enginetypes.h"
#include "core/result.h"
#include "core/server/gateway/gatewayconfig.h"

#include <QByteArray>
#include <QJsonObject>
#include <QStringList>

namespace sluice::attach {

/// What one GET /admin/stats answer says, in the engine's own vocabulary so the console draws
/// an attached gateway exactly as it draws a run.
struct AdminStats {
    EngineSnapshot snapshot; ///< `at` is left 0: the receiver stamps it with its own clock
    int configVersion = 0;
    std::int64_t promptTokens = 0, completionTokens = 0;
    /// The gateway's alarms (retired keys...), oldest first, as it words them.
    QStringList alarms;
    QJsonObject raw; ///< the whole answer, for views that read more (clients, keys, overhead)
};

/// Reads a /admin/stats body. Garbage (not JSON, not an object, a field of the wrong type)
/// is an Invalid error naming the field; absent optional fields read as 0.
Result<AdminStats> parseStats(const QByteArray& body);

/// Reads a /admin/config body into the limits of a GatewayConfig (and its version); listen,
/// upstream and keys are left as they are. Errors name the field.
Result<GatewayConfig> parseConfig(const QByteArray& body);

/// Reads one /admin/events `state` event's data line into the update the requests table and
/// charts take. Errors name the field.
Result<RequestUpdate> parseEvent(const QByteArray& data);

/// "connection_refused", "http_429:insufficient_quota"... back into a FailureReason (an
/// unknown key reads as Network, so a newer gateway's reasons still count as failures).
FailureReason failureFromKey(const QString& key);

/// The gateway's limits as the console's limits panel shows them; knobs the gateway does not
/// have keep their value from `base`.
TrafficLimits limitsOf(const GatewayConfig& config, TrafficLimits base);
/// The POST /admin/config body that sets the gateway's limits to the panel's `limits`.
QJsonObject configBody(const TrafficLimits& limits);
/// What changed between two gateway configs, one phrase per knob ("max_concurrent 8 -> 4").
QStringList configChanges(const GatewayConfig& before, const GatewayConfig& after);

} // namespace sluice::attach
