#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>

namespace sluice {

using Nanos = std::chrono::nanoseconds;
using Millis = std::chrono::milliseconds;

/// A duration as floating-point seconds / milliseconds, for reports and people.
inline double toSeconds(Nanos d) {
    return static_cast<double>(d.count()) / 1e9;
}
inline double toMillis(Nanos d) {
    return static_cast<double>(d.count()) / 1e6;
}

/// Monotonic time source injected into every algorithm so tests can drive time by hand.
class Clock {
public:
    virtual ~Clock() = default;
    /// Time since an arbitrary fixed origin; never goes backwards.
    virtual Nanos now() const = 0;
    /// How many clock seconds pass per real second. Code that arms real timers for a clock
    /// duration divides by this, so a scaled clock runs whole scenarios faster than real time.
    virtual double speed() const { return 1.0; }
    /// True when now() is std::chrono::steady_clock's reading as it is (no origin, no scaling):
    /// only then can a time stamped by another process on this machine (a server's event
    /// stamps) be compared with ours. A capability, so callers need not test the clock's type.
    virtual bool isWallSteady() const { return false; }
};

/// The real monotonic clock (std::chrono::steady_clock).
class SteadyClock final : public Clock {
public:
    Nanos now() const override {
        return std::chrono::duration_cast<Nanos>(
            std::chrono::steady_clock::now().time_since_epoch());
    }
    bool isWallSteady() const override { return true; }
};

/// The real monotonic clock running `speed` times faster: a minute of limits passes in
/// 60 / speed real seconds. Lets tests run minute-window scenarios against a real server quickly.
class ScaledClock final : public Clock {
public:
    explicit ScaledClock(double speed)
        : m_speed(speed)
        , m_origin(m_real.now()) {}
    Nanos now() const override {
        return Nanos{static_cast<Nanos::rep>(
            static_cast<double>((m_real.now() - m_origin).count()) * m_speed)};
    }
    double speed() const override { return m_speed; }

private:
    SteadyClock m_real;
    double m_speed;
    Nanos m_origin;
};

/// A clock that moves only when told to: for deterministic tests of rates and timeouts.
class ManualClock final : public Clock {
public:
    explicit ManualClock(Nanos start = Nanos{0})
        : m_now(start) {}
    Nanos now() const override { return m_now; }
    void advance(Nanos by) { m_now += by; }
    void set(Nanos to) { m_now = to; }

private:
    Nanos m_now;
};

/// A clock duration as whole real milliseconds, for arming a Qt timer: divided by the clock's
/// speed and rounded up, so a timer never fires before the clock time it was armed for.
/// Negative durations give 0; the result is capped below INT_MAX.
inline int realMs(const Clock& clock, Nanos d) {
    if (d.count() <= 0) {
        return 0;
    }
    const double ms = static_cast<double>(d.count()) / 1e6 / clock.speed();
    return static_cast<int>(std::min(std::ceil(ms), 2e9));
}

} // namespace sluice
