#pragma once

#include "core/metrics/requestmetrics.h"
#include "core/net/enginetypes.h"

namespace sluice {

/// Derives the metrics of a finished request. It lives in net, not metrics, because it reads the
/// engine's RequestRecord: metrics sits below net and knows nothing of it.
RequestMetrics measureRequest(const RequestRecord& record);

} // namespace sluice
