#pragma once

#include "core/redis/redisclient.h"
#include "core/result.h"

#include <QByteArray>
#include <QString>

#include <functional>
#include <vector>

namespace sluice {

/// Where a distributed benchmark run lives in Redis, and how its records are written and read.
/// Every key of run ID shares the hash tag {ID}, so a cluster keeps them in one slot:
///
///   sluice:bench:{ID}:stream   a stream of records in publication order, each with the fields
///                              kind (hello | slice | done), agent (1..N) and data (JSON)
///   sluice:bench:{ID}:agents   a hash: agent number -> "joined" or "done"; an agent claims its
///                              number with HSETNX, so two agents cannot both be agent K
///
/// Both keys expire a day after the last write. The JSON inside a record is the bench layer's
/// business (AgentSlice, RunMerge); this class only moves bytes.
///
/// Threading and lifetime: the client's thread; the client must outlive this object, and
/// callbacks run exactly once, from the client's own callbacks.
class BenchStream final {
public:
    /// One record read back: the stream entry's id and its fields.
    struct Record {
        QByteArray id;
        QByteArray kind;
        int agent = 0;
        QByteArray data;
    };

    /// A run id is 1 to 64 of A-Z a-z 0-9 . _ -; the error names `flag`.
    static Result<void> validateRunId(const QString& runId, const QString& flag);
    static QByteArray streamKey(const QString& runId);
    static QByteArray agentsKey(const QString& runId);
    static constexpr int kTtlSeconds = 24 * 3600;

    BenchStream(RedisClient& client, QString runId);

    /// Claims agent number `agent` (HSETNX ... joined); false when another agent has it.
    void claim(int agent, std::function<void(Result<bool>)> done);
    /// Appends a record (XADD ... *) and renews the keys' expiry; gives the entry id.
    /// kind "done" also marks the agent done in the agents hash.
    void publish(const QByteArray& kind, int agent, const QByteArray& data,
                 std::function<void(Result<QByteArray>)> done);
    /// Records after entry `afterId` ("0" for all), waiting up to `blockMs` for the first.
    /// An entry whose fields are not a record is an error naming the entry.
    void read(const QByteArray& afterId, int blockMs, int count,
              std::function<void(Result<std::vector<Record>>)> done);

private:
    RedisClient& m_client;
    QString m_runId;
};

} // namespace sluice
