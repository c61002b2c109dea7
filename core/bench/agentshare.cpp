#include "core/bench/agentshare.h"

#include <algorithm>
#include <cmath>

namespace sluice {

namespace {

// Agent `agent`'s whole part of `total` (the first ones take the remainder).
std::int64_t wholePart(std::int64_t total, int agents, int agent) {
    return total / agents + (agent <= total % agents ? 1 : 0);
}

} // namespace

Result<BenchScenario> agentShare(BenchScenario s, int agents, int agent) {
    if (agents < 1 || agent < 1 || agent > agents) {
        return Error::invalid(
            QStringLiteral("--agent-index"),
            QStringLiteral("%1 is not from 1 to --agents %2").arg(agent).arg(agents));
    }
    if (s.profile.stress) {
        return Error::invalid(QStringLiteral("--stress"),
                              QStringLiteral("a stress search cannot be split between agents "
                                             "(each would find its own knee)"));
    }
    LoadProfile& p = s.profile;
    const double n = agents;
    if (p.openLoop()) {
        p.load /= n;
        if (p.rampTo) {
            *p.rampTo /= n;
        }
        if (p.spikeLoad) {
            *p.spikeLoad /= n;
        }
    } else {
        const auto workers = static_cast<std::int64_t>(std::llround(p.load));
        if (workers < agents) {
            return Error::invalid(QStringLiteral("--agents"),
                                  QStringLiteral("%1 agents cannot share a concurrency of %2 "
                                                 "(each needs at least 1)")
                                      .arg(agents)
                                      .arg(workers));
        }
        p.load = static_cast<double>(wholePart(workers, agents, agent));
        if (p.rampTo) {
            *p.rampTo = std::max(1.0, std::round(*p.rampTo / n));
        }
        if (p.spikeLoad) {
            *p.spikeLoad = std::max(1.0, std::round(*p.spikeLoad / n));
        }
    }
    if (s.requests > 0) {
        if (s.requests < agents) {
            return Error::invalid(
                QStringLiteral("--agents"),
                QStringLiteral("%1 agents cannot share %2 requests").arg(agents).arg(s.requests));
        }
        s.requests = wholePart(s.requests, agents, agent);
    }
    s.rpm = s.rpm > 0 ? std::max<std::int64_t>(1, wholePart(s.rpm, agents, agent)) : 0;
    s.tpm = s.tpm > 0 ? std::max<std::int64_t>(1, wholePart(s.tpm, agents, agent)) : 0;
    if (s.maxConcurrency > 0) {
        s.maxConcurrency =
            static_cast<int>(std::max<std::int64_t>(1, wholePart(s.maxConcurrency, agents, agent)));
    }
    s.seed += static_cast<std::uint64_t>(agent - 1);
    return s;
}

QString agentShareText(const BenchScenario& whole, const BenchScenario& share, int agents,
                       int agent) {
    const bool open = whole.profile.openLoop();
    return QStringLiteral("agent %1 of %2: %3 of %4")
        .arg(agent)
        .arg(agents)
        .arg(open ? QStringLiteral("%1/s").arg(share.profile.load)
                  : QStringLiteral("%1 concurrent").arg(share.profile.load),
             open ? QStringLiteral("%1/s").arg(whole.profile.load)
                  : QStringLiteral("%1 concurrent").arg(whole.profile.load));
}

} // namespace sluice
