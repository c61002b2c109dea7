#pragma once

#include "core/engine/clock.h"

#include <QObject>

class QSocketNotifier;

namespace sluice {

/// One wake-up at a steady-clock instant, late by the kernel's wake-up latency (microseconds)
/// rather than QTimer's millisecond, and without a busy loop: a Linux timerfd on
/// CLOCK_MONOTONIC (the clock std::chrono::steady_clock and SteadyClock read), armed at an
/// absolute time and watched by a QSocketNotifier, so any event dispatcher serves it.
///
/// Lives in the thread that creates it (the notifier is its child); not thread-safe.
/// available() is false where there is no timerfd (not Linux, or the call failed): the owner
/// keeps its own timer for that case.
class PreciseWake final : public QObject {
    Q_OBJECT

public:
    explicit PreciseWake(QObject* parent = nullptr);
    ~PreciseWake() override;
    PreciseWake(const PreciseWake&) = delete;
    PreciseWake& operator=(const PreciseWake&) = delete;

    bool available() const { return m_fd >= 0; }
    /// timeout() once at `steadyTime` (a SteadyClock reading), or at the next turn of the event
    /// loop if that has passed. Arming again replaces the time. Does nothing unless available().
    void startAt(Nanos steadyTime);
    /// No timeout() until the next startAt(), even if the time has already come.
    void stop();
    bool isActive() const { return m_armed; }

Q_SIGNALS:
    void timeout();

private:
    void onReadable();

    int m_fd = -1;
    QSocketNotifier* m_notifier = nullptr; ///< child; deleted before m_fd is closed
    bool m_armed = false;
};

} // namespace sluice
