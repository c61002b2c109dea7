#pragma once

#include "core/redis/redisurl.h"
#include "core/result.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <optional>

namespace sluice {

/// What `sluice bench --agent` was told: which run, where, and which share of it.
struct AgentOptions {
    QString runId;
    RedisUrl redis;
    int agents = 1; ///< how many agents share the load
    int index = 1;  ///< this one, 1..agents
};

/// The flags of distributed benchmarks (docs/agents.md): --agent, --run-id, --redis, --agents,
/// --agent-index for an agent; --collect, --collect-timeout (and --redis) for the collector.
struct AgentFlags {
    AgentFlags();
    void addTo(QCommandLineParser& parser) const;
    /// The agent's options, nothing without --agent. The error names the flag: a missing
    /// --run-id or --redis, a bad URL or index, or an agent flag without --agent.
    Result<std::optional<AgentOptions>> read(const QCommandLineParser& parser) const;

    QCommandLineOption agent, runId, redis, agents, agentIndex, collect, collectTimeout;
};

} // namespace sluice
