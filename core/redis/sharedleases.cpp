#include "core/redis/sharedleases.h"

#include "core/redis/sharedbudget.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QPointer>
#include <QRandomGenerator>

namespace sluice {

namespace {

// KEYS[1]: the key's lease set; KEYS[2], when given, its queue (SharedQueue), which the granted
// member ARGV[4] leaves in the same step. ARGV: limit, ttl (microseconds), lease id, member.
// Returns {granted, leases held after, now}.
const QByteArray kAcquire = QByteArrayLiteral(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[1]) then
  return {0, n, now}
end
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[2])), ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.floor(tonumber(ARGV[2]) / 1000) + 1000)
if #KEYS > 1 then
  redis.call('ZREM', KEYS[2], ARGV[4])
end
return {1, n + 1, now}
)lua");

Error internalError(const QString& message) {
    return Error{Error::Kind::Internal, QStringLiteral("redis"), message};
}

Error gone() {
    return Error{Error::Kind::Unavailable, QStringLiteral("redis"),
                 QStringLiteral("shared leases destroyed")};
}

} // namespace

SharedLeases::SharedLeases(RedisClient& client, std::chrono::milliseconds ttl, QObject* parent)
    : QObject(parent)
    , m_client(client)
    , m_ttl(std::max(ttl, std::chrono::milliseconds(30)))
    , m_sha(QCryptographicHash::hash(kAcquire, QCryptographicHash::Sha1).toHex()) {
    // Unique across processes and machines: pid plus 64 random bits.
    m_idPrefix = QByteArray::number(QCoreApplication::applicationPid()) + ':' +
                 QByteArray::number(QRandomGenerator::system()->generate64(), 36) + ':';
    m_local.start();
    m_refresh.setInterval(static_cast<int>(m_ttl.count() / 3));
    connect(&m_refresh, &QTimer::timeout, this, &SharedLeases::refresh);
}

QByteArray SharedLeases::leaseKey(const QByteArray& keyHash) {
    return QByteArrayLiteral("{sluice:") + keyHash + QByteArrayLiteral("}:leases");
}

void SharedLeases::learnTime(std::int64_t redisNowUs) {
    m_offsetUs = redisNowUs - m_local.nsecsElapsed() / 1000;
    m_haveOffset = true;
}

std::int64_t SharedLeases::redisNowUs() const {
    return m_local.nsecsElapsed() / 1000 + m_offsetUs;
}

void SharedLeases::acquire(const QByteArray& keyHash, std::int64_t limit, Callback done,
                           QByteArray queueKey, QByteArray member) {
    auto op = std::make_shared<Op>();
    op->key = leaseKey(keyHash);
    op->queueKey = std::move(queueKey);
    op->member = std::move(member);
    op->limit = limit;
    op->id = m_idPrefix + QByteArray::number(++m_nextId);
    op->done = std::move(done);
    if (m_scriptFree) {
        enqueueCas(std::move(op));
    } else {
        runScripted(std::move(op), false);
    }
}

void SharedLeases::runScripted(std::shared_ptr<Op> op, bool withEval) {
    const auto ttlUs = std::chrono::duration_cast<std::chrono::microseconds>(m_ttl).count();
    const bool queued = !op->queueKey.isEmpty();
    QList<QByteArray> args{withEval ? QByteArrayLiteral("EVAL") : QByteArrayLiteral("EVALSHA"),
                           withEval ? kAcquire : m_sha,
                           queued ? QByteArrayLiteral("2") : QByteArrayLiteral("1"), op->key};
    if (queued) {
        args << op->queueKey;
    }
    args << QByteArray::number(static_cast<qint64>(op->limit))
         << QByteArray::number(static_cast<qint64>(ttlUs)) << op->id;
    if (queued) {
        args << op->member;
    }
    QPointer<SharedLeases> self(this);
    m_client.send(args, [this, self, op, withEval](Result<RedisReply> r) {
        if (!self) {
            op->done(gone());
            return;
        }
        if (r.ok()) {
            const RedisReply& v = r.value();
            if (v.type != RedisReply::Type::Array || v.elements.size() != 3) {
                finishOp(op,
                         internalError(QStringLiteral("unexpected reply from the lease script")),
                         false);
                return;
            }
            learnTime(v.elements[2].toInt());
            const bool granted = v.elements[0].toInt() == 1;
            finishOp(op,
                     LeaseDecision{granted, granted ? op->id : QByteArray(), v.elements[1].toInt()},
                     false);
            return;
        }
        const Error& e = r.error();
        if (RedisClient::isReplyError(e) && e.message.startsWith(QLatin1String("NOSCRIPT")) &&
            !withEval) {
            runScripted(op, true);
        } else if (RedisClient::isReplyError(e) && SharedBudget::isScriptRefusal(e.message)) {
            if (!m_scriptFree) {
                m_scriptFree = true;
                qWarning("sluice: Redis refuses scripts (%s); shared leases use the script-free "
                         "WATCH/MULTI path from now on",
                         qPrintable(e.message));
            }
            enqueueCas(op);
        } else {
            finishOp(op, e, false);
        }
    });
}

void SharedLeases::enqueueCas(std::shared_ptr<Op> op) {
    m_casQueue.push_back(std::move(op));
    nextCas();
}

void SharedLeases::nextCas() {
    if (m_casBusy || m_casQueue.empty()) {
        return;
    }
    m_casBusy = true;
    auto op = std::move(m_casQueue.front());
    m_casQueue.pop_front();
    casRead(std::move(op));
}

void SharedLeases::casRead(std::shared_ptr<Op> op) {
    auto members = std::make_shared<std::optional<Result<RedisReply>>>();
    m_client.send({QByteArrayLiteral("WATCH"), op->key}, [](Result<RedisReply>) {});
    m_client.send(
        {QByteArrayLiteral("ZRANGE"), op->key, "0", "-1", QByteArrayLiteral("WITHSCORES")},
        [members](Result<RedisReply> r) { members->emplace(std::move(r)); });
    QPointer<SharedLeases> self(this);
    m_client.send({QByteArrayLiteral("TIME")}, [this, self, op, members](Result<RedisReply> time) {
        if (!self) {
            op->done(gone());
            return;
        }
        if (!*members || !(*members)->ok() || !time.ok()) {
            finishOp(op,
                     !time.ok() ? time.error()
                     : *members ? (*members)->error()
                                : internalError(QStringLiteral("no ZRANGE reply")),
                     true);
            return;
        }
        const RedisReply& t = time.value();
        const std::int64_t now =
            t.elements.value(0).toInt() * 1000000 + t.elements.value(1).toInt();
        learnTime(now);
        std::int64_t live = 0;
        const auto& e = (*members)->value().elements;
        for (qsizetype i = 1; i < e.size(); i += 2) {
            live += e[i].text.toDouble() > static_cast<double>(now) ? 1 : 0;
        }
        if (live >= op->limit) {
            m_client.send({QByteArrayLiteral("UNWATCH")}, [](Result<RedisReply>) {});
            finishOp(op, LeaseDecision{false, {}, live}, true);
            return;
        }
        const auto ttlUs = std::chrono::duration_cast<std::chrono::microseconds>(m_ttl).count();
        m_client.send({QByteArrayLiteral("MULTI")}, [](Result<RedisReply>) {});
        m_client.send({QByteArrayLiteral("ZREMRANGEBYSCORE"), op->key, "-inf",
                       QByteArray::number(qint64(now))},
                      [](Result<RedisReply>) {});
        m_client.send(
            {QByteArrayLiteral("ZADD"), op->key, QByteArray::number(qint64(now + ttlUs)), op->id},
            [](Result<RedisReply>) {});
        m_client.send({QByteArrayLiteral("PEXPIRE"), op->key,
                       QByteArray::number(qint64(ttlUs / 1000 + 1000))},
                      [](Result<RedisReply>) {});
        if (!op->queueKey.isEmpty()) {
            m_client.send({QByteArrayLiteral("ZREM"), op->queueKey, op->member},
                          [](Result<RedisReply>) {});
        }
        m_client.send({QByteArrayLiteral("EXEC")}, [this, self, op, live](Result<RedisReply> r) {
            if (!self) {
                op->done(gone());
                return;
            }
            if (!r.ok()) {
                finishOp(op, r.error(), true);
            } else if (r.value().isNil()) {
                if (++op->tries >= 64) {
                    finishOp(op,
                             Error{Error::Kind::Unavailable, QStringLiteral("redis"),
                                   QStringLiteral("leases too contended (64 retries)")},
                             true);
                    return;
                }
                casRead(op);
            } else {
                finishOp(op, LeaseDecision{true, op->id, live + 1}, true);
            }
        });
    });
}

void SharedLeases::finishOp(const std::shared_ptr<Op>& op, Result<LeaseDecision> result, bool cas) {
    if (result.ok() && result.value().granted) {
        m_held.emplace(op->id, op->key);
        if (!m_refresh.isActive()) {
            m_refresh.start();
        }
    }
    if (cas) {
        m_casBusy = false;
    }
    Callback done = std::move(op->done);
    done(std::move(result));
    if (cas) {
        nextCas();
    }
}

void SharedLeases::release(const QByteArray& keyHash, const QByteArray& leaseId) {
    Q_UNUSED(keyHash);
    const auto it = m_held.find(leaseId);
    if (it == m_held.end()) {
        return;
    }
    m_client.send({QByteArrayLiteral("ZREM"), it->second, leaseId}, [](Result<RedisReply>) {});
    m_held.erase(it);
    if (m_held.empty()) {
        m_refresh.stop();
    }
}

void SharedLeases::refresh() {
    if (!m_haveOffset || !m_client.isReady()) {
        return; // leases lapse by themselves if Redis stays away longer than their TTL
    }
    const auto ttlUs = std::chrono::duration_cast<std::chrono::microseconds>(m_ttl).count();
    const QByteArray expiry = QByteArray::number(qint64(redisNowUs() + ttlUs));
    std::set<QByteArray> keys;
    for (const auto& [id, key] : m_held) {
        m_client.send({QByteArrayLiteral("ZADD"), key, QByteArrayLiteral("XX"), expiry, id},
                      [](Result<RedisReply>) {});
        keys.insert(key);
    }
    for (const QByteArray& key : keys) {
        m_client.send(
            {QByteArrayLiteral("PEXPIRE"), key, QByteArray::number(qint64(ttlUs / 1000 + 1000))},
            [](Result<RedisReply>) {});
    }
}

} // namespace sluice
