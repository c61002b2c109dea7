#include "core/host/runfollower.h"

#include "core/bench/agentslice.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QTimer>

namespace sluice {

namespace {

constexpr int kBatch = 500;
// While Redis is down the client fails a read at once: the next try waits this long.
constexpr int kRetryMs = 200;

} // namespace

RedisClientConfig RunFollower::clientConfig(const RedisUrl& url) {
    RedisClientConfig config;
    config.url = url;
    config.commandTimeout = std::chrono::milliseconds(kBlockMs + 2000);
    return config;
}

RunFollower::RunFollower(RedisClient& client, QString runId, QObject* parent)
    : QObject(parent)
    , m_client(client)
    , m_runId(std::move(runId))
    , m_stream(client, m_runId) {
    qRegisterMetaType<sluice::RunFollower::State>();
}

RunFollower::~RunFollower() {
    *m_alive = false;
}

QString RunFollower::stateName(State state) {
    switch (state) {
    case State::Connecting:
        return QStringLiteral("connecting");
    case State::Waiting:
        return QStringLiteral("waiting");
    case State::Following:
        return QStringLiteral("following");
    case State::Complete:
        return QStringLiteral("complete");
    case State::Unreachable:
        return QStringLiteral("unreachable");
    case State::Failed:
        return QStringLiteral("failed");
    }
    return {};
}

void RunFollower::start() {
    m_silence.start();
    QTimer::singleShot(0, this, &RunFollower::readNext);
}

void RunFollower::stop() {
    m_ended = true;
}

void RunFollower::readNext() {
    if (m_ended || m_reading) {
        return;
    }
    m_reading = true;
    m_stream.read(m_lastId, kBlockMs, kBatch,
                  [this, alive = m_alive](Result<std::vector<BenchStream::Record>> r) {
                      if (*alive) {
                          m_reading = false;
                          onRead(std::move(r));
                      }
                  });
}

void RunFollower::onRead(Result<std::vector<BenchStream::Record>> r) {
    if (m_ended) {
        return;
    }
    if (!r) {
        const bool unreachable = r.error().kind == Error::Kind::Unavailable;
        if (!unreachable || (m_failUnreachableFirst && !m_reachedOnce)) {
            m_failedReading = true;
            setState(State::Failed, QStringLiteral("cannot read the run from %1: %2")
                                        .arg(m_client.config().url.display(), r.error().text()));
            end();
            return;
        }
        setState(State::Unreachable, r.error().text());
    } else {
        m_reachedOnce = true;
        if (!r->empty()) {
            m_silence.restart();
        }
        for (const BenchStream::Record& record : *r) {
            m_lastId = record.id;
            if (auto used = use(record); !used) {
                setState(State::Failed, QStringLiteral("record %1 from agent %2: %3")
                                            .arg(QString::fromLatin1(record.id))
                                            .arg(record.agent)
                                            .arg(used.error().text()));
                if (!r->empty()) {
                    Q_EMIT recordsMerged();
                }
                end();
                return;
            }
        }
        if (m_merge.complete()) {
            m_merge.closeAll(); // nothing more will come: the last seconds are final
        }
        if (!r->empty()) {
            Q_EMIT recordsMerged();
        }
        setState(m_merge.complete()     ? State::Complete
                 : m_merge.joined() > 0 ? State::Following
                                        : State::Waiting);
        if (m_merge.complete()) {
            end();
            return;
        }
    }
    if (m_silenceTimeout.count() > 0 && m_silence.hasExpired(m_silenceTimeout.count())) {
        m_timedOut = true;
        end();
        return;
    }
    // Not from inside the client's callback: the next read is sent from the loop.
    QTimer::singleShot(r ? 0 : kRetryMs, this, &RunFollower::readNext);
}

Result<void> RunFollower::use(const BenchStream::Record& record) {
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(record.data, &parseError);
    if (!doc.isObject()) {
        return Error::invalid(
            QStringLiteral("data"),
            QStringLiteral("not a JSON object (%1)").arg(parseError.errorString()));
    }
    const QJsonObject o = doc.object();
    if (record.kind == "hello") {
        auto added = m_merge.addHello(o);
        if (added) {
            Q_EMIT agentJoined(record.agent, o);
        }
        return added;
    }
    if (record.kind == "slice") {
        auto slice = AgentSlice::fromJson(o);
        if (!slice) {
            return slice.error();
        }
        if (slice->agent != record.agent) {
            return Error::invalid(QStringLiteral("slice: agent"),
                                  QStringLiteral("%1 in the data, %2 in the record")
                                      .arg(slice->agent)
                                      .arg(record.agent));
        }
        return m_merge.addSlice(*slice);
    }
    if (record.kind == "done") {
        auto added = m_merge.addDone(o);
        if (added) {
            Q_EMIT agentFinished(record.agent);
        }
        return added;
    }
    return Error::invalid(
        QStringLiteral("kind"),
        QStringLiteral("'%1' is not hello, slice or done").arg(QString::fromLatin1(record.kind)));
}

void RunFollower::setState(State state, const QString& detail) {
    if (state == m_state && detail == m_detail) {
        return;
    }
    m_state = state;
    m_detail = detail;
    Q_EMIT stateChanged(state, detail);
}

void RunFollower::end() {
    m_ended = true;
    Q_EMIT finished();
}

} // namespace sluice
