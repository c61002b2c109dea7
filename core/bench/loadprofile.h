#pragma once

#include "core/engine/clock.h"

#include <QJsonObject>
#include <QString>

#include <optional>
#include <random>

namespace sluice {

/// How load is offered. Closed loop: N workers, each sends its next request when the last one
/// ends (the load is a concurrency). Open loop: requests are sent on a schedule whatever the
/// answers do (the load is a rate), at constant gaps or as a Poisson process; each request
/// carries its intended send time, so latency can be measured from it (coordinated omission).
struct LoadProfile {
    enum class Kind { Closed, Constant, Poisson };
    Kind kind = Kind::Closed;
    double load = 1; ///< concurrency (closed) or requests per second (open)

    /// Ramp from `load` to `rampTo` over `rampOver`: linearly, or in `rampSteps` equal steps.
    std::optional<double> rampTo;
    Nanos rampOver{0};
    int rampSteps = 0; ///< 0 = linear

    /// Spike: `spikeLoad` instead of the base load during [spikeAt, spikeAt + spikeFor).
    std::optional<double> spikeLoad;
    Nanos spikeAt{0};
    Nanos spikeFor{0};

    /// Stress: from `load`, add `stressStep` every `stressStepFor` until an SLO breaks or
    /// `stressMax`; then bisect between the last load that met every SLO and the first that did
    /// not. The knee is the highest load that still met them.
    bool stress = false;
    double stressStep = 0;
    double stressMax = 0;
    Nanos stressStepFor = std::chrono::seconds(10);

    bool openLoop() const { return kind != Kind::Closed; }
    /// The scheduled load at `t` since the start (ramp and spike applied; stress is driven by
    /// the runner).
    double loadAt(Nanos t) const;
    QString describe() const;
    QJsonObject toJson() const;
};

const char* loadKindName(LoadProfile::Kind kind);

/// Intended send times of an open loop: constant gaps or exponential ones (Poisson), from a
/// seeded source. The rate may change at any moment; the next gap uses the rate in force.
class ArrivalSchedule {
public:
    ArrivalSchedule(bool poisson, std::uint64_t seed);

    /// The first arrival is at `start`.
    void start(Nanos start) { m_next = start; }
    Nanos next() const { return m_next; }
    /// Consumes the arrival at next() and schedules the one after it at `rate` per second.
    /// A rate <= 0 parks the schedule (next() becomes Nanos::max()) until changeRate().
    void advance(double rate);
    /// A rate change takes effect at once: the pending arrival is re-placed one new gap after
    /// the last one sent (or `now`, when nothing was sent yet), never in the past.
    void changeRate(double rate, Nanos now);

private:
    Nanos gap(double rate);

    bool m_poisson;
    std::mt19937_64 m_rng;
    Nanos m_next{0};
    std::optional<Nanos> m_last;
};

} // namespace sluice
