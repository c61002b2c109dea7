#pragma once

#include "core/engine/clock.h"
#include "core/engine/failure.h"
#include "core/net/enginetypes.h"
#include "core/net/failurereason.h"

#include <cstdint>
#include <deque>
#include <utility>

namespace sluice {

/// What the engine counts, and the statistics of EngineSnapshot computed from it: the counters
/// since the start, a second of their history for per-second rates, the completions of the
/// last 10 s for percentiles, and the failure tally.
///
/// Plain C++ with no clock of its own: the engine passes its clock's `now`. Owned by one
/// RequestEngine and used only in its thread. The mutators are events the engine reports as
/// they happen; advance() runs once per snapshot tick; fill() is const, so a snapshot taken
/// between ticks (a bench runner's, the gateway's admin API) changes nothing.
class EngineStats {
public:
    /// A request was accepted into the engine (before any queue check).
    void onSubmitted() { ++m_counters.submitted; }
    /// An attempt went to the network; `retry` when it is not the request's first.
    void onSent(bool retry);
    /// The breaker refused an attempt: a fast failure, an error like any other on the charts.
    void onBreakerRefused() { ++m_counters.errors; }
    /// The server answered 429 about rate.
    void onRateLimited() { ++m_counters.rateLimited; }
    /// Tokens the server charged (or we estimated) for a successful attempt.
    void onTokens(std::int64_t in, std::int64_t out);
    /// An attempt ended with `outcome`: ok, or an error unless the caller cancelled it.
    void onAnswer(Outcome outcome);
    /// A request ended with this final record (state, failure, reason and times set).
    void onEnded(const RequestRecord& record);

    /// Once per tick: keeps a second of counter history (the rate base) and drops the
    /// completions older than 10 s.
    void advance(Nanos now);

    /// Fills the statistics part of a snapshot taken at `now`: counters, failures, the
    /// per-second rates and the e2e / total / TTFT percentiles of the last 10 s.
    void fill(EngineSnapshot& s, Nanos now) const;

private:
    struct Counters {
        std::int64_t submitted = 0, done = 0, failed = 0, rejected = 0, timedOut = 0, cancelled = 0,
                     attempts = 0, retries = 0, ok = 0, errors = 0, rateLimited = 0, tokensIn = 0,
                     tokensOut = 0;
    };
    struct Sample {
        Nanos at;
        std::int64_t e2e;
        std::int64_t total;
        std::int64_t ttft;
    };
    /// At most this many completions are kept, whatever the rate (bounded memory).
    static constexpr std::size_t kMaxSamples = 100000;

    void fillCounts(EngineSnapshot& s) const;
    void fillRates(EngineSnapshot& s, Nanos now) const;
    void fillPercentiles(EngineSnapshot& s, Nanos now) const;

    Counters m_counters;
    std::deque<std::pair<Nanos, Counters>> m_history; ///< (tick time, counters then): ~1 s
    std::deque<Sample> m_samples;                     ///< completions of the last 10 s
    FailureTally m_failures;
};

} // namespace sluice
