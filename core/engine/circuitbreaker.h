#pragma once

#include "core/engine/clock.h"

#include <cstdint>
#include <deque>

namespace sluice {

struct BreakerConfig {
    /// Count: judge the last `windowCalls` outcomes (steady for any rate). Time: judge the outcomes
    /// of the last `windowDuration` (forgets a past incident even when traffic is sparse).
    enum class Window { Count, Time } window = Window::Count;
    int windowCalls = 20;
    Nanos windowDuration = std::chrono::seconds(10);
    /// Open when failures / calls >= failureRate ...
    double failureRate = 0.5;
    /// ... and at least this many calls are in the window, so two unlucky calls do not open it.
    /// With a Count window, at most windowCalls are ever needed.
    int minimumCalls = 10;
    /// How long an open breaker rejects everything before it lets probes through.
    Nanos openDuration = std::chrono::seconds(5);
    /// Permits handed out in half-open; all must succeed to close, any failure reopens.
    int halfOpenProbes = 3;
    bool enabled = true;
};

/// Stops sending to a target that is failing, so it gets room to recover and our requests fail
/// fast instead of piling up on timeouts. Classic three states: Closed counts outcomes in a
/// sliding window; Open rejects for openDuration; HalfOpen lets a few probes through to decide.
///
/// Outcomes are reported without a token, so the breaker cannot tell a probe from a call that
/// started before it opened: outcomes are ignored while Open, and in HalfOpen only as many are
/// taken as there are probes outstanding. Not thread-safe: owned by the engine's thread.
class CircuitBreaker {
public:
    enum class State { Closed, Open, HalfOpen };

    CircuitBreaker(BreakerConfig config, const Clock& clock);

    /// May a call start now? Moves Open to HalfOpen once openDuration has passed; HalfOpen hands
    /// out at most halfOpenProbes permits. A disabled breaker always admits.
    bool tryAcquire();
    /// The outcome of a call that got a permit.
    void onSuccess();
    void onFailure();
    /// The call ended without an outcome that says anything about the target's health
    /// (cancelled, 4xx, 429): nothing is counted, and a half-open probe permit is given back.
    void onIgnored();

    /// The current state, after any time-based transition.
    State state();
    /// Time left until an open breaker lets probes through; 0 unless Open.
    Nanos untilHalfOpen();

    /// Live change. Switching the window kind, or enabling/disabling, starts from a clean Closed
    /// breaker; other changes keep the state and the recorded outcomes (a shorter count window
    /// keeps the newest).
    void setConfig(BreakerConfig config);
    const BreakerConfig& config() const { return m_config; }
    /// Back to Closed with an empty window. timesOpened() is a lifetime count and is kept.
    void reset();
    /// How many times the breaker has opened (including reopening from half-open).
    std::int64_t timesOpened() const { return m_timesOpened; }

private:
    // Time window: outcomes coalesced into about 20 buckets per window, so memory is bounded
    // whatever the rate. An outcome counts for at least windowDuration and at most one bucket
    // (windowDuration / 20) longer.
    struct Bucket {
        Nanos end;
        std::int64_t calls = 0;
        std::int64_t failures = 0;
    };

    void record(bool failure);
    void expireTimeWindow(Nanos now);
    void trimCountWindow();
    void clearWindow();
    void advanceTime();
    void open();
    void close();
    int probeLimit() const;

    BreakerConfig m_config;
    const Clock& m_clock;
    State m_state = State::Closed;
    std::deque<bool> m_countWindow; // true = failure, newest at the back
    std::deque<Bucket> m_timeWindow;
    std::int64_t m_calls = 0;
    std::int64_t m_failures = 0;
    Nanos m_openedAt{0};
    int m_probesOut = 0; // half-open permits handed out and not returned
    int m_probeSuccesses = 0;
    std::int64_t m_timesOpened = 0;
};

/// "closed", "open" or "half_open": for logs, metrics labels and the UI.
const char* breakerStateName(CircuitBreaker::State state);

} // namespace sluice
