#pragma once

// What the panel tests share: finding a named child, and an engine snapshot with every figure set.
#include "core/net/enginetypes.h"

#include <QLatin1String>
#include <QWidget>

#include <chrono>

namespace sluice::test {

using namespace std::chrono_literals;

template <typename T> T* child(QWidget* parent, const char* name) {
    auto* w = parent->findChild<T*>(QLatin1String(name));
    if (!w) {
        qWarning("no %s named %s", T::staticMetaObject.className(), name);
    }
    return w;
}

/// A running engine's snapshot: 12 of 32 in flight, 5 queued, 800 done of 900, rates and
/// latency set.
inline EngineSnapshot sampleSnapshot() {
    EngineSnapshot s;
    s.inFlight = 12;
    s.limit = 32;
    s.queued = 5;
    s.submitted = 900;
    s.done = 800;
    s.failed = 20;
    s.rejected = 30;
    s.timedOut = 7;
    s.cancelled = 3;
    s.okPerSecond = 42.4;
    s.sentPerSecond = 45;
    s.e2eP50 = 800ms;
    s.e2eP95 = 1500ms;
    s.totalP95 = 2100ms;
    s.attempts = 1000;
    s.rateLimited = 45;
    s.resources.valid = true;
    s.resources.processCpu = 0.45;
    s.resources.processRssBytes = 120LL * 1024 * 1024;
    return s;
}

} // namespace sluice::test
