#pragma once

#include "core/net/enginetypes.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/httptestclient.h"
#include "tests/support/mockfixture.h"

#include <QJsonObject>

namespace sluice::test {

/// The engine tests' upstream: the mock without limits, 5 tokens after 20 ms, one every 2 ms.
inline MockConfig engineMock() {
    return unlimitedMock(20, 2, 5);
}

/// One chat request to the mock under one test key.
inline EngineRequest chat(const MockServer& mock, int maxTokens = 16, bool stream = true,
                          ApiFormat format = ApiFormat::OpenAi) {
    const QUrl base = format == ApiFormat::OpenAi
                          ? QUrl(mock.baseUrl().toString() + QStringLiteral("/v1"))
                          : mock.baseUrl();
    return chatRequest(format, base, QByteArrayLiteral("sk-test-0123456789abcdef"),
                       QStringLiteral("mock-1"),
                       {{QStringLiteral("user"), QStringLiteral("Say hi")}}, maxTokens, stream);
}

/// A counter of the mock's own (GET /mock/stats), and one of its current window.
inline double stat(MockServer& mock, const char* name) {
    return mock.statsJson().value(QLatin1String(name)).toDouble();
}

inline double windowStat(MockServer& mock, const char* name) {
    return mock.statsJson()
        .value(QStringLiteral("window"))
        .toObject()
        .value(QLatin1String(name))
        .toDouble();
}

/// Every request submitted has ended in exactly one way.
inline bool balanced(const EngineSnapshot& s) {
    return s.submitted == s.done + s.failed + s.rejected + s.timedOut + s.cancelled;
}

} // namespace sluice::test
