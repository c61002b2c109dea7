#include "core/redis/benchstream.h"

#include <QRegularExpression>

namespace sluice {

namespace {

Result<std::vector<BenchStream::Record>> parseEntries(const RedisReply& reply) {
    std::vector<BenchStream::Record> records;
    if (reply.isNil()) {
        return records; // XREAD BLOCK timed out: nothing new
    }
    const auto malformed = [](const QString& what) {
        return Error::invalid(QStringLiteral("redis reply"), QStringLiteral("XREAD: %1").arg(what));
    };
    if (reply.type != RedisReply::Type::Array || reply.elements.size() != 1 ||
        reply.elements[0].elements.size() != 2) {
        return malformed(QStringLiteral("not one stream's entries"));
    }
    for (const RedisReply& entry : reply.elements[0].elements[1].elements) {
        if (entry.elements.size() != 2 || entry.elements[0].type != RedisReply::Type::String) {
            return malformed(QStringLiteral("an entry is not [id, fields]"));
        }
        BenchStream::Record r;
        r.id = entry.elements[0].text;
        const QList<RedisReply>& fields = entry.elements[1].elements;
        for (qsizetype i = 0; i + 1 < fields.size(); i += 2) {
            const QByteArray& name = fields[i].text;
            if (name == "kind") {
                r.kind = fields[i + 1].text;
            } else if (name == "agent") {
                r.agent = fields[i + 1].text.toInt();
            } else if (name == "data") {
                r.data = fields[i + 1].text;
            }
        }
        if (r.kind.isEmpty() || r.agent < 1) {
            return Error::invalid(QStringLiteral("stream entry %1").arg(QString::fromLatin1(r.id)),
                                  QStringLiteral("has no kind or agent field: not written by a "
                                                 "sluice bench agent"));
        }
        records.push_back(std::move(r));
    }
    return records;
}

} // namespace

Result<void> BenchStream::validateRunId(const QString& runId, const QString& flag) {
    static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    if (!valid.match(runId).hasMatch()) {
        return Error::invalid(flag, QStringLiteral("'%1' is not a run id (1 to 64 of A-Z a-z 0-9 "
                                                   ". _ -)")
                                        .arg(runId));
    }
    return {};
}

QByteArray BenchStream::streamKey(const QString& runId) {
    return "sluice:bench:{" + runId.toUtf8() + "}:stream";
}

QByteArray BenchStream::agentsKey(const QString& runId) {
    return "sluice:bench:{" + runId.toUtf8() + "}:agents";
}

BenchStream::BenchStream(RedisClient& client, QString runId)
    : m_client(client)
    , m_runId(std::move(runId)) {}

void BenchStream::claim(int agent, std::function<void(Result<bool>)> done) {
    const QByteArray key = agentsKey(m_runId);
    m_client.send({"HSETNX", key, QByteArray::number(agent), "joined"},
                  [done](Result<RedisReply> r) {
                      if (!r) {
                          done(r.error());
                      } else {
                          done(r->integer == 1);
                      }
                  });
    m_client.send({"EXPIRE", key, QByteArray::number(kTtlSeconds)}, [](Result<RedisReply>) {});
}

void BenchStream::publish(const QByteArray& kind, int agent, const QByteArray& data,
                          std::function<void(Result<QByteArray>)> done) {
    const QByteArray stream = streamKey(m_runId);
    m_client.send(
        {"XADD", stream, "*", "kind", kind, "agent", QByteArray::number(agent), "data", data},
        [done](Result<RedisReply> r) {
            if (!r) {
                done(r.error());
            } else {
                done(r->toBytes());
            }
        });
    // Expiry renewals: best effort; a failure here shows up in the next XADD anyway.
    m_client.send({"EXPIRE", stream, QByteArray::number(kTtlSeconds)}, [](Result<RedisReply>) {});
    if (kind == "done") {
        const QByteArray agents = agentsKey(m_runId);
        m_client.send({"HSET", agents, QByteArray::number(agent), "done"},
                      [](Result<RedisReply>) {});
    }
}

void BenchStream::read(const QByteArray& afterId, int blockMs, int count,
                       std::function<void(Result<std::vector<Record>>)> done) {
    m_client.send({"XREAD", "COUNT", QByteArray::number(count), "BLOCK",
                   QByteArray::number(blockMs), "STREAMS", streamKey(m_runId), afterId},
                  [done](Result<RedisReply> r) {
                      if (!r) {
                          done(r.error());
                      } else {
                          done(parseEntries(*r));
                      }
                  });
}

} // namespace sluice
