#include "core/redis/sharedqueue.h"

#include <QPointer>

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>

namespace sluice {

namespace {

constexpr std::int64_t kBand = std::int64_t{1} << 49;    // 17.8 years of microseconds
constexpr int kBands = 10;                               // priorities 0..9
constexpr std::int64_t kEpochUs = 1'735'689'600'000'000; // 2025-01-01T00:00:00Z
/// How long a queue or liveness set outlives the last word about it.
const QByteArray kKeepMs = QByteArrayLiteral("60000");

void ignore(Result<RedisReply>) {}

std::int64_t parseScore(const RedisReply& r) {
    return std::llround(r.text.toDouble());
}

} // namespace

SharedQueue::SharedQueue(RedisClient& client, QByteArray processId,
                         std::chrono::milliseconds liveTtl)
    : m_client(client)
    , m_processId(std::move(processId))
    , m_liveTtl(liveTtl) {
    m_local.start();
}

QByteArray SharedQueue::queueKey(const QByteArray& keyHash) {
    return QByteArrayLiteral("{sluice:") + keyHash + QByteArrayLiteral("}:queue");
}

QByteArray SharedQueue::liveKey(const QByteArray& keyHash) {
    return QByteArrayLiteral("{sluice:") + keyHash + QByteArrayLiteral("}:qlive");
}

std::int64_t SharedQueue::score(int priority, std::int64_t arrivalUs) {
    const std::int64_t band = std::clamp(priority, 0, kBands - 1);
    return band * kBand + std::clamp<std::int64_t>(arrivalUs - kEpochUs, 0, kBand - 1);
}

QByteArray SharedQueue::processOf(const QByteArray& member) {
    const qsizetype colon = member.lastIndexOf(':');
    return colon < 0 ? QByteArray() : member.left(colon);
}

QByteArray SharedQueue::member(std::uint64_t ticket) const {
    return m_processId + ':' +
           QByteArray::number(static_cast<qulonglong>(ticket), 16).rightJustified(16, '0');
}

QueuePlace SharedQueue::place(const QByteArray& keyHash, const QByteArray& member,
                              std::int64_t score, bool removeOnAdmit) const {
    QueuePlace p;
    p.queueKey = queueKey(keyHash);
    p.liveKey = liveKey(keyHash);
    p.member = member;
    p.processId = m_processId;
    p.score = score;
    p.liveTtlUs = std::chrono::duration_cast<std::chrono::microseconds>(m_liveTtl).count();
    p.removeOnAdmit = removeOnAdmit;
    return p;
}

std::optional<std::int64_t> SharedQueue::redisNowUs() const {
    return redisUsAt(localUs());
}

std::optional<std::int64_t> SharedQueue::redisUsAt(std::int64_t localUs) const {
    if (!m_haveOffset) {
        return std::nullopt;
    }
    return localUs + m_offsetUs;
}

void SharedQueue::learnTime(std::int64_t redisNowUs) {
    m_offsetUs = redisNowUs - localUs();
    m_haveOffset = true;
}

std::vector<QList<QByteArray>> SharedQueue::checkCommands(const QueuePlace& place) {
    return {
        {QByteArrayLiteral("ZRANGE"), place.queueKey, "0", QByteArray::number(kHeadScan - 1)},
        {QByteArrayLiteral("ZRANGE"), place.liveKey, "0", "-1", QByteArrayLiteral("WITHSCORES")},
        {QByteArrayLiteral("ZRANK"), place.queueKey, place.member}};
}

QueueCheck SharedQueue::check(const QueuePlace& place, const std::vector<RedisReply>& replies,
                              std::int64_t nowUs) {
    QueueCheck c;
    if (replies.size() != 3) {
        return c;
    }
    std::set<QByteArray> alive;
    const auto& live = replies[1].elements;
    for (qsizetype i = 0; i + 1 < live.size(); i += 2) {
        if (parseScore(live[i + 1]) > nowUs) {
            alive.insert(live[i].text);
        }
    }
    alive.insert(place.processId); // this decision says it is alive
    for (const RedisReply& head : replies[0].elements) {
        if (head.text == place.member || alive.count(processOf(head.text))) {
            break;
        }
        c.dead.push_back(head.text);
    }
    c.present = !replies[2].isNil();
    c.rank = c.present ? std::max<std::int64_t>(0, replies[2].toInt() -
                                                       static_cast<std::int64_t>(c.dead.size()))
                       : 0;
    return c;
}

std::vector<QList<QByteArray>> SharedQueue::upkeep(const QueuePlace& place, const QueueCheck& check,
                                                   std::int64_t nowUs) {
    std::vector<QList<QByteArray>> out{
        {QByteArrayLiteral("ZADD"), place.liveKey,
         QByteArray::number(qint64(nowUs + place.liveTtlUs)), place.processId},
        {QByteArrayLiteral("PEXPIRE"), place.liveKey, kKeepMs},
        {QByteArrayLiteral("ZADD"), place.queueKey, QByteArrayLiteral("NX"),
         QByteArray::number(qint64(place.score)), place.member},
        {QByteArrayLiteral("PEXPIRE"), place.queueKey, kKeepMs}};
    if (!check.dead.empty()) {
        QList<QByteArray> drop{QByteArrayLiteral("ZREM"), place.queueKey};
        for (const QByteArray& d : check.dead) {
            drop << d;
        }
        out.push_back(std::move(drop));
    }
    return out;
}

void SharedQueue::touch(const QByteArray& keyHash) {
    const auto now = redisNowUs();
    if (!now) {
        return;
    }
    const auto ttlUs = std::chrono::duration_cast<std::chrono::microseconds>(m_liveTtl).count();
    const QByteArray live = liveKey(keyHash);
    m_client.send(
        {QByteArrayLiteral("ZADD"), live, QByteArray::number(qint64(*now + ttlUs)), m_processId},
        ignore);
    m_client.send({QByteArrayLiteral("PEXPIRE"), live, kKeepMs}, ignore);
    m_client.send({QByteArrayLiteral("PEXPIRE"), queueKey(keyHash), kKeepMs}, ignore);
}

void SharedQueue::add(const QByteArray& keyHash,
                      const std::vector<std::pair<std::int64_t, QByteArray>>& entries) {
    if (entries.empty()) {
        return;
    }
    // Bounded commands: a long line registers in chunks.
    constexpr std::size_t kChunk = 256;
    for (std::size_t from = 0; from < entries.size(); from += kChunk) {
        QList<QByteArray> args{QByteArrayLiteral("ZADD"), queueKey(keyHash),
                               QByteArrayLiteral("NX")};
        for (std::size_t i = from; i < std::min(entries.size(), from + kChunk); ++i) {
            args << QByteArray::number(static_cast<qint64>(entries[i].first)) << entries[i].second;
        }
        m_client.send(args, ignore);
    }
    touch(keyHash);
}

void SharedQueue::remove(const QByteArray& keyHash, const QByteArray& member) {
    m_client.send({QByteArrayLiteral("ZREM"), queueKey(keyHash), member}, ignore);
}

void SharedQueue::read(const QByteArray& keyHash, std::function<void(Result<QueueView>)> done) {
    touch(keyHash);
    struct Replies {
        std::optional<Result<RedisReply>> range, card, live;
    };
    auto r = std::make_shared<Replies>();
    m_client.send({QByteArrayLiteral("ZRANGE"), queueKey(keyHash), "0",
                   QByteArray::number(kWindow - 1), QByteArrayLiteral("WITHSCORES")},
                  [r](Result<RedisReply> v) { r->range.emplace(std::move(v)); });
    m_client.send({QByteArrayLiteral("ZCARD"), queueKey(keyHash)},
                  [r](Result<RedisReply> v) { r->card.emplace(std::move(v)); });
    m_client.send(
        {QByteArrayLiteral("ZRANGE"), liveKey(keyHash), "0", "-1", QByteArrayLiteral("WITHSCORES")},
        [r](Result<RedisReply> v) { r->live.emplace(std::move(v)); });
    // The queue may be gone by the time TIME answers; only its own members are touched.
    m_client.send({QByteArrayLiteral("TIME")},
                  [this, r, done = std::move(done)](Result<RedisReply> time) {
                      for (const auto* part : {&r->range, &r->card, &r->live}) {
                          if (!*part) {
                              done(Error{Error::Kind::Internal, QStringLiteral("redis"),
                                         QStringLiteral("queue read: a reply is missing")});
                              return;
                          }
                          if (!(*part)->ok()) {
                              done((*part)->error());
                              return;
                          }
                      }
                      if (!time.ok()) {
                          done(time.error());
                          return;
                      }
                      const auto& t = time.value().elements;
                      if (t.size() != 2) {
                          done(Error{Error::Kind::Internal, QStringLiteral("redis"),
                                     QStringLiteral("unexpected reply to TIME")});
                          return;
                      }
                      QueueView view;
                      view.nowUs = t[0].toInt() * 1000000 + t[1].toInt();
                      learnTime(view.nowUs);
                      std::set<QByteArray> alive;
                      const auto& live = r->live->value().elements;
                      for (qsizetype i = 0; i + 1 < live.size(); i += 2) {
                          if (parseScore(live[i + 1]) > view.nowUs) {
                              alive.insert(live[i].text);
                          }
                      }
                      const auto& range = r->range->value().elements;
                      for (qsizetype i = 0; i + 1 < range.size(); i += 2) {
                          view.members.push_back(range[i].text);
                          if (alive.count(processOf(range[i].text))) {
                              view.entries.push_back({parseScore(range[i + 1]), range[i].text});
                          }
                      }
                      view.total = r->card->value().toInt();
                      view.complete = view.total <= kWindow;
                      done(std::move(view));
                  });
}

} // namespace sluice
