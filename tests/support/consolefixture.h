#pragma once

#include "core/server/mock/mockconfig.h"
#include "ui/session.h"

#include <QSignalSpy>

namespace sluice::test {

/// A quick mock for the console's tests: no rate limits, 64 slots, 5 to 10 tokens after 40 ms.
inline MockConfig fastMock() {
    MockConfig m;
    m.rpm = 0;
    m.tpm = 0;
    m.capacity = 64;
    m.ttftMs = 40;
    m.tpotMs = 5;
    m.tokensMin = 5;
    m.tokensMax = 10;
    return m;
}

/// Starts the session's mock and waits until it listens (Session::startMock() returns at once).
inline bool startMock(Session& session, const MockConfig& config) {
    QSignalSpy started(&session, &Session::mockStarted);
    return session.startMock(config) && (session.mockRunning() || started.wait(5000));
}

} // namespace sluice::test
