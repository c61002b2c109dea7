#pragma once

#include "core/bench/runmerge.h"
#include "core/redis/benchstream.h"
#include "core/redis/redisclient.h"
#include "core/result.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QString>

#include <chrono>
#include <memory>

namespace sluice {

/// Follows a distributed benchmark run in Redis, as `sluice bench --collect` and the console's
/// `--collect` do: reads run ID's stream (BenchStream) from its first record, feeds every record
/// to a RunMerge, and says what changed. One reading loop for both: the command prints from
/// these signals, the console draws from them.
///
/// It keeps reading until every agent is done (Complete), a record cannot be used (Failed), or,
/// with a silence timeout, nothing new came for that long (ended() with timedOut()). A Redis
/// that cannot be reached is Unreachable and read again shortly (the client reconnects by
/// itself); with failWhenUnreachableFirst, one that was never reached ends following instead
/// (a typo in a command's --redis should not wait for ever).
///
/// Threading and lifetime: lives in the client's thread; the client must outlive it. A read
/// still pending when it goes, or after stop(), is ignored when it answers.
class RunFollower final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunFollower)

public:
    enum class State {
        Connecting,  ///< the first read has not answered yet
        Waiting,     ///< Redis answers, no agent has said hello yet
        Following,   ///< agents joined, not all done
        Complete,    ///< every agent finished: the merge is final
        Unreachable, ///< the last read failed to reach Redis: retrying (detail: why)
        Failed,      ///< a record or Redis' answer cannot be used: stopped (detail: why)
    };

    /// How long one read waits for new records in Redis (XREAD BLOCK): the client's command
    /// timeout must be longer (clientConfig() makes such a config).
    static constexpr int kBlockMs = 1000;
    /// A client config for following from `url`: command timeout above kBlockMs.
    static RedisClientConfig clientConfig(const RedisUrl& url);

    RunFollower(RedisClient& client, QString runId, QObject* parent = nullptr);
    ~RunFollower() override;

    /// Ends following when no record came for `timeout` (0: never, the default).
    void setSilenceTimeout(std::chrono::milliseconds timeout) { m_silenceTimeout = timeout; }
    /// A Redis never reached fails following at once instead of retrying (the default: retry).
    void setFailWhenUnreachableFirst(bool fail) { m_failUnreachableFirst = fail; }

    /// Sends the first read (from the event loop, not from inside this call).
    void start();
    /// Reads no more; what was merged stays.
    void stop();

    const QString& runId() const { return m_runId; }
    State state() const { return m_state; }
    /// Why it is Unreachable or Failed; empty otherwise.
    const QString& detail() const { return m_detail; }
    /// Failed on reading from Redis (not on a record): the --redis flag's problem.
    bool failedReading() const { return m_failedReading; }
    /// Ended because nothing new came for the silence timeout.
    bool timedOut() const { return m_timedOut; }
    /// No more reads: Complete, Failed, timed out or stopped.
    bool ended() const { return m_ended; }
    /// What was merged so far (summary() and series() close it for a report).
    RunMerge& merge() { return m_merge; }
    const RunMerge& merge() const { return m_merge; }

    static QString stateName(State state);

Q_SIGNALS:
    void stateChanged(sluice::RunFollower::State state, const QString& detail);
    /// Agent `agent` said hello (its hello record's JSON).
    void agentJoined(int agent, const QJsonObject& hello);
    void agentFinished(int agent);
    /// A read brought records: the merge changed (after every record of the batch is in).
    void recordsMerged();
    /// No more reads (Complete, Failed or timed out; not after stop()).
    void finished();

private:
    void readNext();
    void onRead(Result<std::vector<BenchStream::Record>> r);
    Result<void> use(const BenchStream::Record& record);
    void setState(State state, const QString& detail = {});
    void end();

    RedisClient& m_client;
    QString m_runId;
    BenchStream m_stream;
    RunMerge m_merge;
    QByteArray m_lastId = "0";
    QElapsedTimer m_silence; ///< since the last record arrived
    std::chrono::milliseconds m_silenceTimeout{0};
    bool m_failUnreachableFirst = false;
    bool m_reachedOnce = false;
    bool m_reading = false; ///< a read is out
    bool m_timedOut = false;
    bool m_failedReading = false;
    bool m_ended = false;
    State m_state = State::Connecting;
    QString m_detail;
    /// Told to every read's callback: false once this object went (the callback then returns).
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

} // namespace sluice

Q_DECLARE_METATYPE(sluice::RunFollower::State)
