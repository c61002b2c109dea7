#pragma once

#include "core/server/mock/mockconfig.h"

namespace sluice::test {

/// A mock without rate limits and with room for everyone (capacity 1000 by default), answering
/// `tokens` tokens after `ttftMs`, one every `tpotMs`: the upstream the proxy and client tests
/// put behind what they measure.
inline MockConfig unlimitedMock(int ttftMs, int tpotMs, int tokens, int capacity = 1000) {
    MockConfig m;
    m.rpm = 0;
    m.tpm = 0;
    m.capacity = capacity;
    m.ttftMs = ttftMs;
    m.tpotMs = tpotMs;
    m.tokensMin = m.tokensMax = tokens;
    return m;
}

} // namespace sluice::test
