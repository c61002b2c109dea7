#pragma once

#include "app/agentflags.h"
#include "core/bench/agentslice.h"
#include "core/bench/runstats.h"
#include "core/bench/scenario.h"
#include "core/redis/benchstream.h"
#include "core/redis/redisclient.h"
#include "core/result.h"

#include <QJsonObject>
#include <QString>

#include <chrono>
#include <map>
#include <memory>

namespace sluice {

/// A `sluice bench --agent`'s line to its run on Redis: joins (claims its agent number and
/// publishes its hello), publishes a slice of its statistics once a second while the run goes
/// on, and at the end its last slice and its own summary (see docs/agents.md).
///
/// A slice that cannot be published is not lost: the next one covers both seconds' increase.
///
/// Threading: the main thread. join() and finish() run an event loop of their own until Redis
/// answers (or the timeout), so they are called before and after the application's loop, never
/// from inside it; publish() only sends and returns.
class AgentLink final {
public:
    AgentLink(RedisUrl url, QString runId, int agents, int agent);
    ~AgentLink();
    Q_DISABLE_COPY_MOVE(AgentLink)

    /// Connects, claims the agent number and publishes `hello` (agent, agents, started_ms
    /// are added). The error names --redis or --agent-index.
    Result<void> join(QJsonObject hello, std::chrono::milliseconds timeout);
    /// Publishes what `stats` gained since the last published slice, unless one is still on
    /// its way. Warns once on stderr when a slice fails.
    void publish(const RunStats& stats, int inFlight);
    /// The last slice, then the "done" record with the agent's summary.
    Result<void> finish(const RunStats& stats, const QJsonObject& summary,
                        std::chrono::milliseconds timeout);

private:
    bool waitFor(const bool& flag, std::chrono::milliseconds timeout);
    void sendSlice(const RunStats& stats, int inFlight, std::function<void(bool)> sent);

    RedisUrl m_url;
    QString m_runId;
    int m_agents;
    int m_agent;
    std::unique_ptr<RedisClient> m_client;
    std::unique_ptr<BenchStream> m_stream;
    RunStats::Counts m_sentCounts;                  ///< as of the last published slice
    std::map<QString, LatencyHistogram> m_sentHist; ///< as of the last published slice
    std::int64_t m_seq = 0;
    bool m_sending = false;
    bool m_warned = false;
};

/// An agent that has joined its run, and the text of its share.
struct JoinedAgent {
    std::unique_ptr<AgentLink> link;
    QString share; ///< "agent 2 of 3: 20/s of 60/s"
};

/// Replaces `scenario` (the whole run) by this agent's share of it and joins the run on Redis,
/// announcing the whole run's title and scenario so the collector can describe it. The error
/// names the flag: --agents / --stress (cannot be shared), --agent-index (taken), --redis.
Result<JoinedAgent> joinRun(const AgentOptions& options, BenchScenario& scenario);

} // namespace sluice
