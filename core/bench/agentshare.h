#pragma once

#include "core/bench/scenario.h"
#include "core/result.h"

namespace sluice {

/// Agent `agent` of `agents`'s part of a scenario, so that the agents together offer what the
/// scenario says. Open loop: each sends rate/N (ramp and spike loads too). Closed loop: the
/// concurrency is split in whole workers (10 over 3 agents: 4, 3, 3). A request count and the
/// client-side limits (rpm, tpm, max concurrency) are split the same way; every agent gets its
/// own seed (seed + agent - 1) so their prompts and Poisson arrivals differ.
///
/// Stress searches are refused: each agent would look for its own knee. The error names the
/// flag (--agents, --stress) and why.
Result<BenchScenario> agentShare(BenchScenario scenario, int agents, int agent);

/// "1/3 of rate 60/s: 20/s" — what the share is, for the agent's hello and banner.
QString agentShareText(const BenchScenario& whole, const BenchScenario& share, int agents,
                       int agent);

} // namespace sluice
