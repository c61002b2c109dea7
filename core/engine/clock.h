#pragma once

#include <chrono>

namespace sluice {

using Nanos = std::chrono::nanoseconds;
using Millis = std::chrono::milliseconds;

/// Monotonic time source injected into every algorithm so tests can drive time by hand.
class Clock {
public:
    virtual ~Clock() = default;
    /// Time since an arbitrary fixed origin; never goes backwards.
    virtual Nanos now() const = 0;
};

/// The real monotonic clock (std::chrono::steady_clock).
class SteadyClock final : public Clock {
public:
    Nanos now() const override {
        return std::chrono::duration_cast<Nanos>(
            std::chrono::steady_clock::now().time_since_epoch());
    }
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

} // namespace sluice
