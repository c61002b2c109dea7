#pragma once

#include "core/server/gateway/gatewayconfig.h"
#include "core/server/gateway/gatewayserver.h"
#include "core/server/mock/mockserver.h"

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

/// The same with one upstream key of its own (a pool of one), as the caller tests use.
inline GatewayConfig keyedGatewayFor(const MockServer& mock, int maxConcurrent, int queue = 1000) {
    GatewayConfig c = gatewayFor(mock.baseUrl(), maxConcurrent, queue);
    c.keys = {"sk-upstream-key-0123456789abcdef"};
    return c;
}

/// A path on a listening gateway.
inline QUrl gatewayUrl(const GatewayServer& g, const char* path) {
    return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(g.port()).arg(QLatin1String(path)));
}

} // namespace sluice::test
