#include "app/agentlink.h"

#include "app/commandline.h"
#include "core/bench/agentshare.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QEventLoop>
#include <QHostInfo>
#include <QJsonDocument>
#include <QTimer>

namespace sluice {

AgentLink::AgentLink(RedisUrl url, QString runId, int agents, int agent)
    : m_url(std::move(url))
    , m_runId(std::move(runId))
    , m_agents(agents)
    , m_agent(agent) {
    RedisClientConfig config;
    config.url = m_url;
    config.commandTimeout = std::chrono::seconds(3);
    m_client = std::make_unique<RedisClient>(config);
    m_stream = std::make_unique<BenchStream>(*m_client, m_runId);
}

AgentLink::~AgentLink() {
    m_stream.reset();
    m_client.reset(); // pending callbacks run now, before the members they touch go
}

bool AgentLink::waitFor(const bool& flag, std::chrono::milliseconds timeout) {
    QEventLoop loop;
    QTimer limit;
    QTimer poll;
    limit.setSingleShot(true);
    QObject::connect(&limit, &QTimer::timeout, &loop, &QEventLoop::quit);
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (flag) {
            loop.quit();
        }
    });
    limit.start(timeout);
    poll.start(5);
    if (!flag) {
        loop.exec();
    }
    if (!flag) {
        // Fails what is still pending now, while the callbacks' targets are alive.
        m_client->stop();
    }
    return flag;
}

Result<void> AgentLink::join(QJsonObject hello, std::chrono::milliseconds timeout) {
    const QString where = m_url.display();
    bool answered = false;
    std::optional<Result<bool>> claimed;
    m_client->start();
    m_stream->claim(m_agent, [&](Result<bool> r) {
        claimed.emplace(std::move(r));
        answered = true;
    });
    if (!waitFor(answered, timeout)) {
        return Error{
            Error::Kind::Unavailable, QStringLiteral("--redis"),
            QStringLiteral("no answer from %1 within %2 ms").arg(where).arg(timeout.count())};
    }
    if (!*claimed) {
        return Error{Error::Kind::Unavailable, QStringLiteral("--redis"),
                     QStringLiteral("cannot use %1: %2").arg(where, claimed->error().text())};
    }
    if (!claimed->value()) {
        return Error::invalid(QStringLiteral("--agent-index"),
                              QStringLiteral("agent %1 of run '%2' has already joined (give each "
                                             "agent its own index, or start a new run id)")
                                  .arg(m_agent)
                                  .arg(m_runId));
    }
    hello.insert(QStringLiteral("agent"), m_agent);
    hello.insert(QStringLiteral("agents"), m_agents);
    hello.insert(QStringLiteral("host"), QHostInfo::localHostName());
    hello.insert(QStringLiteral("pid"), static_cast<double>(QCoreApplication::applicationPid()));
    hello.insert(QStringLiteral("started_ms"),
                 static_cast<double>(QDateTime::currentMSecsSinceEpoch()));
    answered = false;
    std::optional<Result<QByteArray>> sent;
    m_stream->publish("hello", m_agent, QJsonDocument(hello).toJson(QJsonDocument::Compact),
                      [&](Result<QByteArray> r) {
                          sent.emplace(std::move(r));
                          answered = true;
                      });
    if (!waitFor(answered, timeout) || !*sent) {
        return Error{Error::Kind::Unavailable, QStringLiteral("--redis"),
                     QStringLiteral("cannot publish to %1: %2")
                         .arg(where, sent ? sent->error().text() : QStringLiteral("no answer"))};
    }
    return {};
}

void AgentLink::sendSlice(const RunStats& stats, int inFlight, std::function<void(bool)> sent) {
    auto slice = AgentSlice::between(m_sentCounts, m_sentHist, stats.counts(), stats.histograms());
    if (!slice) {
        cli::printError(
            QStringLiteral("sluice bench: agent %1: %2").arg(m_agent).arg(slice.error().text()));
        sent(false);
        return;
    }
    slice.value().agent = m_agent;
    slice.value().seq = m_seq + 1;
    slice.value().unixSecond = QDateTime::currentSecsSinceEpoch();
    slice.value().inFlight = inFlight;
    const QByteArray data = QJsonDocument(slice->toJson()).toJson(QJsonDocument::Compact);
    // What this slice covers, adopted as the baseline only once Redis has it.
    auto counts = std::make_shared<RunStats::Counts>(stats.counts());
    auto hist = std::make_shared<std::map<QString, LatencyHistogram>>(stats.histograms());
    m_sending = true;
    m_stream->publish("slice", m_agent, data, [this, counts, hist, sent](Result<QByteArray> r) {
        m_sending = false;
        if (r) {
            ++m_seq;
            m_sentCounts = *counts;
            m_sentHist = std::move(*hist);
        } else if (!m_warned) {
            m_warned = true;
            cli::printError(QStringLiteral("sluice bench: agent %1: a slice was not published "
                                           "(%2); the next one will carry it")
                                .arg(m_agent)
                                .arg(r.error().text()));
        }
        sent(r.ok());
    });
}

void AgentLink::publish(const RunStats& stats, int inFlight) {
    if (!m_sending) {
        sendSlice(stats, inFlight, [](bool) {});
    }
}

Result<void> AgentLink::finish(const RunStats& stats, const QJsonObject& summary,
                               std::chrono::milliseconds timeout) {
    bool idle = !m_sending;
    if (!idle) {
        // The slice on its way must land (or fail) before the last one is cut.
        QTimer poll;
        QObject::connect(&poll, &QTimer::timeout, &poll, [&] { idle = !m_sending; });
        poll.start(5);
        waitFor(idle, timeout);
    }
    bool answered = false;
    bool ok = false;
    sendSlice(stats, 0, [&](bool sent) {
        ok = sent;
        answered = true;
    });
    if (!waitFor(answered, timeout) || !ok) {
        return Error{Error::Kind::Unavailable, QStringLiteral("--redis"),
                     QStringLiteral("could not publish the last slice to %1: %2")
                         .arg(m_url.display(), m_client->lastError())};
    }
    const QJsonObject done{
        {QStringLiteral("agent"), m_agent},
        {QStringLiteral("ended_ms"), static_cast<double>(QDateTime::currentMSecsSinceEpoch())},
        {QStringLiteral("slices"), static_cast<double>(m_seq)},
        {QStringLiteral("summary"), summary}};
    answered = false;
    std::optional<Result<QByteArray>> sent;
    m_stream->publish("done", m_agent, QJsonDocument(done).toJson(QJsonDocument::Compact),
                      [&](Result<QByteArray> r) {
                          sent.emplace(std::move(r));
                          answered = true;
                      });
    if (!waitFor(answered, timeout) || !*sent) {
        return Error{
            Error::Kind::Unavailable, QStringLiteral("--redis"),
            QStringLiteral("could not publish the summary to %1: %2")
                .arg(m_url.display(), sent ? sent->error().text() : QStringLiteral("no answer"))};
    }
    return {};
}

Result<JoinedAgent> joinRun(const AgentOptions& options, BenchScenario& scenario) {
    auto share = agentShare(scenario, options.agents, options.index);
    if (!share) {
        return share.error();
    }
    JoinedAgent joined;
    joined.share = agentShareText(scenario, share.value(), options.agents, options.index);
    const QJsonObject hello{{QStringLiteral("title"), scenario.title.isEmpty()
                                                          ? scenario.profile.describe()
                                                          : scenario.title},
                            {QStringLiteral("config"), scenario.toJson()},
                            {QStringLiteral("share"), joined.share}};
    joined.link =
        std::make_unique<AgentLink>(options.redis, options.runId, options.agents, options.index);
    if (auto ok = joined.link->join(hello, std::chrono::seconds(5)); !ok) {
        return ok.error();
    }
    scenario = std::move(share).value();
    return joined;
}

} // namespace sluice
