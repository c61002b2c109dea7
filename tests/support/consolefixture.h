#pragma once

#include "core/server/mock/mockconfig.h"
#include "tests/support/mockfixture.h"
#include "ui/session.h"

#include <QSignalSpy>

namespace sluice::test {

/// A quick mock for the console's tests: no rate limits, 64 slots, 5 to 10 tokens after 40 ms.
inline MockConfig fastMock() {
    MockConfig m = unlimitedMock(40, 5, 5, 64);
    m.tokensMax = 10;
    return m;
}

/// Starts the session's mock and waits until it listens (Session::startMock() returns at once).
inline bool startMock(Session& session, const MockConfig& config) {
    QSignalSpy started(&session, &Session::mockStarted);
    return session.startMock(config) && (session.mockRunning() || started.wait(5000));
}

} // namespace sluice::test
