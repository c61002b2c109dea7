#include "app/agentflags.h"

#include "app/commandline.h"
#include "core/redis/benchstream.h"

namespace sluice {

AgentFlags::AgentFlags()
    : agent(QStringLiteral("agent"),
            QStringLiteral("Run as one agent of a distributed benchmark: take this agent's "
                           "share of the load and publish results to --redis (see "
                           "docs/agents.md)."))
    , runId(QStringLiteral("run-id"),
            QStringLiteral("Agent: the run this agent belongs to (A-Z a-z 0-9 . _ -)."),
            QStringLiteral("id"))
    , redis(QStringLiteral("redis"),
            QStringLiteral("Agent and collector: the Redis that holds the run "
                           "(redis://[user:pass@]host:port[/db], rediss:// for TLS)."),
            QStringLiteral("url"))
    , agents(QStringLiteral("agents"),
             QStringLiteral("Agent: how many agents share the load (default 1)."),
             QStringLiteral("n"))
    , agentIndex(QStringLiteral("agent-index"),
                 QStringLiteral("Agent: which one this is, 1..--agents."), QStringLiteral("k"))
    , collect(QStringLiteral("collect"),
              QStringLiteral("Wait for the agents of run ID, merge their results and print and "
                             "write (--report) one summary."),
              QStringLiteral("id"))
    , collectTimeout(QStringLiteral("collect-timeout"),
                     QStringLiteral("Collector: give up when the agents publish nothing for "
                                    "this long (default 2m)."),
                     QStringLiteral("duration")) {}

void AgentFlags::addTo(QCommandLineParser& parser) const {
    parser.addOptions({agent, runId, redis, agents, agentIndex, collect, collectTimeout});
}

Result<std::optional<AgentOptions>> AgentFlags::read(const QCommandLineParser& parser) const {
    if (!parser.isSet(agent)) {
        for (const QCommandLineOption* o : {&runId, &redis, &agents, &agentIndex}) {
            if (parser.isSet(*o)) {
                return Error::invalid(QStringLiteral("--") + o->names().first(),
                                      QStringLiteral("only with --agent (or --redis with "
                                                     "--collect)"));
            }
        }
        if (parser.isSet(collectTimeout)) {
            return Error::invalid(QStringLiteral("--collect-timeout"),
                                  QStringLiteral("only with --collect"));
        }
        return std::optional<AgentOptions>{};
    }
    AgentOptions o;
    if (!parser.isSet(runId)) {
        return Error::invalid(QStringLiteral("--run-id"),
                              QStringLiteral("required with --agent: the same id on every agent "
                                             "and the collector"));
    }
    o.runId = parser.value(runId);
    if (auto valid = BenchStream::validateRunId(o.runId, QStringLiteral("--run-id")); !valid) {
        return valid.error();
    }
    if (!parser.isSet(redis)) {
        return Error::invalid(QStringLiteral("--redis"),
                              QStringLiteral("required with --agent (redis://host:port)"));
    }
    auto url = RedisUrl::parse(parser.value(redis));
    if (!url) {
        return Error::invalid(QStringLiteral("--redis"), url.error().text());
    }
    o.redis = *url;
    QString error;
    if (parser.isSet(agents)) {
        const auto n =
            cli::parseInteger(QStringLiteral("--agents"), parser.value(agents), 1, 10000, &error);
        if (!n) {
            return Error::invalid({}, error);
        }
        o.agents = static_cast<int>(*n);
    }
    if (parser.isSet(agentIndex)) {
        const auto k = cli::parseInteger(QStringLiteral("--agent-index"), parser.value(agentIndex),
                                         1, o.agents, &error);
        if (!k) {
            return Error::invalid({}, error);
        }
        o.index = static_cast<int>(*k);
    } else if (o.agents > 1) {
        return Error::invalid(QStringLiteral("--agent-index"),
                              QStringLiteral("required with --agents %1: which agent this is, 1 "
                                             "to %1")
                                  .arg(o.agents));
    }
    return std::optional<AgentOptions>(o);
}

} // namespace sluice
