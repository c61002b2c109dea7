#pragma once

#include "core/server/gateway/gatewayconfig.h"

#include <QString>
#include <QUrl>

namespace sluice::test {

/// A gateway config in front of the mock at `mockBase` (its baseUrl()): a free port on
/// 127.0.0.1, `maxConcurrent` slots and room for `queue` waiting callers.
inline GatewayConfig gatewayFor(const QUrl& mockBase, int maxConcurrent, int queue = 1000) {
    GatewayConfig c;
    c.port = 0;
    c.upstream = QUrl(mockBase.toString() + QStringLiteral("/v1"));
    c.maxConcurrent = maxConcurrent;
    c.queueSize = queue;
    return c;
}

} // namespace sluice::test
