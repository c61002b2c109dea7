#pragma once

namespace sluice {

/// The exit codes of `sluice bench` (README's table), shared by a run, an agent and a collector.
inline constexpr int kExitPassed = 0;
inline constexpr int kExitRunFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitSloFailed = 3;
inline constexpr int kExitNoKnee = 4;
// Interrupted: the shell's convention, 128 + the signal.
inline constexpr int kExitSigint = 130;
inline constexpr int kExitSigterm = 143;

} // namespace sluice
