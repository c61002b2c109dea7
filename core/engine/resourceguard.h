#pragma once

#include "core/engine/clock.h"

#include <cstdint>
#include <string>

namespace sluice {

/// One reading of the client machine. CPU figures are averages since the previous sample (0 on
/// the first), memory figures are as of now.
struct ResourceSample {
    /// Cores used by this process (1.0 = one full core).
    double processCpu = 0;
    /// Fraction 0..1 of all cores busy (iowait counts as idle, steal as busy).
    double systemCpu = 0;
    std::int64_t processRssBytes = 0;
    std::int64_t memTotalBytes = 0;
    std::int64_t memAvailableBytes = 0;
    /// Used fraction 0..1 = 1 - available / total.
    double systemMem = 0;
    int cores = 1;
    /// False when some /proc file could not be read or parsed; the fields that could be read
    /// are still filled in.
    bool valid = false;
};

struct ResourceGuardConfig {
    /// Whether paused() may ever be true; off, the guard only observes.
    bool pauseAdmission = false;
    /// In cores; 0 = not watched (as for every threshold here).
    double maxProcessCpu = 0;
    double maxSystemCpu = 0.95;
    double maxSystemMem = 0.95;
    /// Hysteresis, so admission does not flap around a threshold: resume only when every watched
    /// value is below resumeBelow * its threshold.
    double resumeBelow = 0.9;
};

/// Watches the client's own CPU and memory, so a load test can tell "the target is slow" from
/// "the client itself is saturated", and optionally pauses admission before the client machine
/// is overwhelmed (which would corrupt every latency figure). Linux: reads /proc under
/// `procRoot` (a fake tree in tests); elsewhere every sample is invalid and nothing pauses.
/// Not thread-safe: call from one thread, typically a ~1 s timer.
class ResourceGuard {
public:
    /// `clock` measures the wall time between samples, against which process CPU is averaged.
    ResourceGuard(ResourceGuardConfig config, const Clock& clock, std::string procRoot = "/proc");

    /// Reads <procRoot>/self/stat, self/statm (or self/status), stat and meminfo, and updates
    /// paused(). CPU figures are deltas from the previous sample().
    ResourceSample sample();
    /// The most recent sample().
    const ResourceSample& last() const { return m_last; }

    /// Admission should wait: only ever true with pauseAdmission. Updated by sample(); false
    /// while samples are invalid, since a guard that cannot see must not stall the engine.
    bool paused() const { return m_paused; }
    /// The client, not the target, is the bottleneck: process CPU >= 0.9 * cores or system CPU
    /// >= 0.95 in the last sample.
    bool clientSaturated() const;

    /// Live change; paused() is re-evaluated against the last sample at once.
    void setConfig(ResourceGuardConfig config);
    const ResourceGuardConfig& config() const { return m_config; }

private:
    void updatePaused();

    ResourceGuardConfig m_config;
    const Clock& m_clock;
    std::string m_procRoot;
    long m_ticksPerSecond;
    long m_pageSize;

    ResourceSample m_last;
    bool m_paused = false;
    // Baselines for the CPU deltas.
    bool m_haveProcess = false;
    std::uint64_t m_processTicks = 0;
    Nanos m_processAt{0};
    bool m_haveSystem = false;
    std::uint64_t m_systemBusy = 0;
    std::uint64_t m_systemTotal = 0;
};

} // namespace sluice
