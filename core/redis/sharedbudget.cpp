#include "core/redis/sharedbudget.h"

#include <QCryptographicHash>
#include <QPointer>

#include <algorithm>
#include <cmath>
#include <memory>

namespace sluice {

namespace {

// KEYS: one per level, then (ARGV[1] 'qadmit') the key's queue and liveness sets. ARGV[1]:
// "admit", "qadmit" or "adjust"; then per level: interval, tolerance, cost and catch-up
// (microseconds, microseconds, units, microseconds); then, for 'qadmit', the member, its process,
// its score, the liveness TTL (microseconds) and '1' to leave the queue on admission. Time is
// Redis's own. Admit: refused (with the wait) unless every level's TAT is within its tolerance
// of now; then every level is charged. Admit and adjust alike: a level whose TAT passed less
// than its catch-up ago continues from its TAT (the caller was late, by a timer or a round trip,
// or a reconciled reservation gave time back), so neither lateness nor a refund leaks
// throughput; the interval's window margin (GcraLimiter's jitter allowance, twice the catch-up)
// covers it: the TAT never falls more than the catch-up behind now, so no window of the period
// holds more than the limit. Older than that, the level was idle and starts at now. A refund
// may take the TAT below now, where the next admission finds it.
// 'qadmit' admits only the queue's head: members of dead processes at the head are dropped (64
// at most per decision); any other member is refused with the wait until the budget could take
// the `rank` requests ahead of it, each charged like this one, but at most two of its own
// emission intervals (refunds of reconciled reservations free the budget sooner than that
// forecast, and a waiter asleep past its turn would leave the budget idle) and at least 5 ms.
// Returns {admitted, wait, now, rank}.
const QByteArray kScript = QByteArrayLiteral(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local queued = ARGV[1] == 'qadmit'
local n = #KEYS
if queued then n = n - 2 end
local tats = {}
local wait = 0
for i = 1, n do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  tats[i] = tat
  local w = tat - tonumber(ARGV[4 * i - 1]) - now
  if w > wait then wait = w end
end
local member
if queued then
  local q, live, b = KEYS[n + 1], KEYS[n + 2], 4 * n + 1
  member = ARGV[b + 1]
  redis.call('ZREMRANGEBYSCORE', live, '-inf', string.format('%.0f', now))
  redis.call('ZADD', live, string.format('%.0f', now + tonumber(ARGV[b + 4])), ARGV[b + 2])
  redis.call('PEXPIRE', live, 60000)
  redis.call('ZADD', q, 'NX', ARGV[b + 3], member)
  redis.call('PEXPIRE', q, 60000)
  for k = 1, 64 do
    local head = redis.call('ZRANGE', q, 0, 0)[1]
    if head == nil or head == member then break end
    local owner = string.match(head, '^(.*):')
    if owner and redis.call('ZSCORE', live, owner) then break end
    redis.call('ZREM', q, head)
  end
  local rank = redis.call('ZRANK', q, member)
  if rank > 0 then
    local w, emit = 0, 0
    for i = 1, n do
      local own = tonumber(ARGV[4 * i]) * tonumber(ARGV[4 * i - 2])
      w = math.max(w, math.max(tats[i], now) + rank * own - tonumber(ARGV[4 * i - 1]) - now)
      emit = math.max(emit, own)
    end
    return {0, math.max(math.min(w, 2 * emit), 5000, wait), now, rank}
  end
end
if ARGV[1] ~= 'adjust' and wait > 0 then
  return {0, wait, now, 0}
end
for i = 1, n do
  local tat = tats[i]
  local own = tonumber(ARGV[4 * i]) * tonumber(ARGV[4 * i - 2])
  local catchup = tonumber(ARGV[4 * i + 1])
  if tat < now - catchup then tat = now end
  tat = tat + own
  redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX',
             math.floor(math.max(tat - now, 0) / 1000) + 1000)
end
if queued and ARGV[4 * n + 6] == '1' then
  redis.call('ZREM', KEYS[n + 1], member)
end
return {1, 0, now, 0}
)lua");

/// Script-free: transactions tried per decision before it is answered "not yet".
constexpr int kCasTries = 16;

Error internalError(const QString& message) {
    return Error{Error::Kind::Internal, QStringLiteral("redis"), message};
}

/// The answer a caller gets when the budget went away before Redis answered.
Error gone() {
    return Error{Error::Kind::Unavailable, QStringLiteral("redis"),
                 QStringLiteral("shared budget destroyed")};
}

} // namespace

SharedBudget::SharedBudget(RedisClient& client, QObject* parent)
    : QObject(parent)
    , m_client(client)
    , m_sha(QCryptographicHash::hash(kScript, QCryptographicHash::Sha1).toHex()) {}

QByteArray SharedBudget::scriptSource() {
    return kScript;
}

QByteArray SharedBudget::keyHash(const QByteArray& apiKey) {
    return QCryptographicHash::hash(apiKey, QCryptographicHash::Sha256).toHex().left(16);
}

QByteArray SharedBudget::levelKey(const QByteArray& keyHash, bool tokens, Nanos period,
                                  std::int64_t limit) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(period).count();
    return QByteArrayLiteral("{sluice:") + keyHash + (tokens ? "}:t:" : "}:r:") +
           QByteArray::number(static_cast<qint64>(ms)) + ':' +
           QByteArray::number(static_cast<qint64>(limit));
}

QString SharedBudget::modeName(Mode mode) {
    return mode == Mode::Scripted ? QStringLiteral("scripted") : QStringLiteral("script-free");
}

bool SharedBudget::isScriptRefusal(const QString& message) {
    // Seen in the wild: "ERR unknown command 'EVALSHA', with args beginning with: ..." (renamed
    // away; Redis 6 quotes with backquotes), "NOPERM this user has no permissions to run the
    // 'evalsha' command" (ACL), "ERR command eval not support for normal user" and "... script
    // ... disabled/not allowed" (managed services).
    const QString m = message.toLower();
    if (m.startsWith(QLatin1String("noperm"))) {
        return true;
    }
    const bool aboutScripts =
        m.contains(QLatin1String("eval")) || m.contains(QLatin1String("script"));
    static const char* const refusals[] = {"unknown command", "not allowed", "not support",
                                           "disabled",        "forbidden",   "no permission",
                                           "denied"};
    return aboutScripts &&
           std::any_of(std::begin(refusals), std::end(refusals),
                       [&m](const char* r) { return m.contains(QLatin1String(r)); });
}

std::vector<SharedBudget::Level> SharedBudget::levelsFor(const QByteArray& keyHash,
                                                         const BudgetLimits& limits,
                                                         std::int64_t tokens, bool admit) {
    std::vector<Level> out;
    auto add = [&](const RateLevel& level, bool isTokens, std::int64_t cost) {
        if (level.limit <= 0 || (!admit && !isTokens)) {
            return;
        }
        Level l;
        l.key = levelKey(keyHash, isTokens, level.period, level.limit);
        auto it = m_pacing.find(l.key);
        if (it == m_pacing.end() || !(it->second.level() == level)) {
            it = m_pacing.insert_or_assign(l.key, GcraLimiter(level)).first;
        }
        GcraLimiter& pacing = it->second;
        if (admit && cost > 0) {
            pacing.charge(cost, Nanos{0}); // widens the interval for the largest cost seen
        }
        const auto us = [](Nanos n) {
            return std::chrono::duration_cast<std::chrono::microseconds>(n).count();
        };
        l.intervalUs = std::max<std::int64_t>(1, us(pacing.interval()));
        l.toleranceUs = l.intervalUs * std::max<std::int64_t>(0, level.burst);
        l.cost = cost;
        // GcraLimiter's jitter allowance: 0.5% of the period, at most 1 s.
        l.catchUpUs = std::min<std::int64_t>(us(level.period) / 200, 1'000'000);
        out.push_back(std::move(l));
    };
    for (const RateLevel& level : limits.requests) {
        add(level, false, 1);
    }
    for (const RateLevel& level : limits.tokens) {
        add(level, true, tokens);
    }
    return out;
}

void SharedBudget::admit(const QByteArray& keyHash, const BudgetLimits& limits, std::int64_t tokens,
                         DecisionCallback done, std::optional<QueuePlace> place) {
    run(Op{true, levelsFor(keyHash, limits, tokens, true), std::move(done), 0, std::move(place)});
}

void SharedBudget::adjust(const QByteArray& keyHash, const BudgetLimits& limits,
                          std::int64_t deltaTokens, DecisionCallback done) {
    run(Op{false, levelsFor(keyHash, limits, deltaTokens, false), std::move(done)});
}

void SharedBudget::refund(const QByteArray& keyHash, const BudgetLimits& limits,
                          std::int64_t tokens) {
    std::vector<Level> levels = levelsFor(keyHash, limits, tokens, true);
    for (Level& l : levels) {
        l.cost = -l.cost;
    }
    run(Op{false, std::move(levels), [](Result<SharedDecision>) {}});
}

void SharedBudget::run(Op op) {
    if (op.levels.empty() && !op.queue) {
        op.done(SharedDecision{true, Nanos{0}, 0}); // nothing limited
        return;
    }
    if (m_mode == Mode::Scripted) {
        runScripted(std::move(op), false);
    } else {
        enqueueCas(std::move(op));
    }
}

void SharedBudget::runScripted(Op op, bool withEval) {
    const bool queued = op.admit && op.queue;
    QList<QByteArray> args{
        withEval ? QByteArrayLiteral("EVAL") : QByteArrayLiteral("EVALSHA"),
        withEval ? kScript : m_sha,
        QByteArray::number(static_cast<qsizetype>(op.levels.size()) + (queued ? 2 : 0))};
    for (const Level& l : op.levels) {
        args << l.key;
    }
    if (queued) {
        args << op.queue->queueKey << op.queue->liveKey;
    }
    args << (queued     ? QByteArrayLiteral("qadmit")
             : op.admit ? QByteArrayLiteral("admit")
                        : QByteArrayLiteral("adjust"));
    for (const Level& l : op.levels) {
        args << QByteArray::number(static_cast<qint64>(l.intervalUs))
             << QByteArray::number(static_cast<qint64>(l.toleranceUs))
             << QByteArray::number(static_cast<qint64>(l.cost))
             << QByteArray::number(static_cast<qint64>(l.catchUpUs));
    }
    if (queued) {
        const QueuePlace& q = *op.queue;
        args << q.member << q.processId << QByteArray::number(static_cast<qint64>(q.score))
             << QByteArray::number(static_cast<qint64>(q.liveTtlUs))
             << (q.removeOnAdmit ? QByteArrayLiteral("1") : QByteArrayLiteral("0"));
    }
    // The op moves into the callback; the client calls it exactly once.
    auto shared = std::make_shared<Op>(std::move(op));
    QPointer<SharedBudget> self(this);
    m_client.send(args, [this, self, shared, withEval](Result<RedisReply> r) {
        Op& o = *shared;
        if (!self) {
            o.done(gone());
            return;
        }
        if (r.ok()) {
            const RedisReply& v = r.value();
            if (v.type != RedisReply::Type::Array || v.elements.size() != 4) {
                o.done(internalError(QStringLiteral("unexpected reply from the budget script")));
                return;
            }
            o.done(SharedDecision{v.elements[0].toInt() == 1,
                                  std::chrono::microseconds(v.elements[1].toInt()),
                                  v.elements[2].toInt(), v.elements[3].toInt()});
            return;
        }
        const Error& e = r.error();
        if (RedisClient::isReplyError(e) && e.message.startsWith(QLatin1String("NOSCRIPT")) &&
            !withEval) {
            runScripted(std::move(o), true); // not cached on this server yet: EVAL loads it
        } else if (RedisClient::isReplyError(e) && isScriptRefusal(e.message)) {
            switchToScriptFree(e.message);
            enqueueCas(std::move(o));
        } else {
            o.done(e);
        }
    });
}

void SharedBudget::switchToScriptFree(const QString& why) {
    if (m_mode == Mode::ScriptFree) {
        return;
    }
    m_mode = Mode::ScriptFree;
    m_modeReason = why;
    qWarning("sluice: Redis refuses scripts (%s); shared budgets use the script-free "
             "WATCH/MULTI path from now on",
             qPrintable(why));
    Q_EMIT modeChanged(m_mode, why);
}

void SharedBudget::enqueueCas(Op op) {
    m_casQueue.push_back(std::move(op));
    if (!m_casBusy) {
        nextCas();
    }
}

void SharedBudget::nextCas() {
    // Bounded: each round takes one op off the queue or hands it to Redis.
    while (!m_casBusy && !m_casQueue.empty()) {
        Op op = std::move(m_casQueue.front());
        m_casQueue.pop_front();
        m_casBusy = true;
        casRead(std::move(op));
    }
}

void SharedBudget::casRead(Op op) {
    // WATCH, MGET, the queue's head and TIME pipelined: the time is read inside the optimistic
    // transaction. The queue is read but not watched: a member registering in between is
    // ordered as if it came just after this decision (watching it would abort a decision at
    // every arrival anywhere in the fleet).
    const bool queued = op.admit && op.queue;
    QList<QByteArray> watch{QByteArrayLiteral("WATCH")};
    QList<QByteArray> mget{QByteArrayLiteral("MGET")};
    for (const Level& l : op.levels) {
        watch << l.key;
        mget << l.key;
    }
    auto shared = std::make_shared<Op>(std::move(op));
    auto values = std::make_shared<std::optional<Result<RedisReply>>>();
    auto queue = std::make_shared<std::vector<Result<RedisReply>>>();
    if (shared->levels.empty()) {
        RedisReply none;
        none.type = RedisReply::Type::Array;
        values->emplace(none);
    } else {
        m_client.send(watch, [](Result<RedisReply>) {}); // its failure shows in the next ones
        m_client.send(mget, [values](Result<RedisReply> r) { values->emplace(std::move(r)); });
    }
    if (queued) {
        for (const auto& command : SharedQueue::checkCommands(*shared->queue)) {
            m_client.send(command,
                          [queue](Result<RedisReply> r) { queue->push_back(std::move(r)); });
        }
    }
    QPointer<SharedBudget> self(this);
    m_client.send({QByteArrayLiteral("TIME")},
                  [this, self, shared, values, queue, queued](Result<RedisReply> time) {
                      Op& o = *shared;
                      if (!self) {
                          o.done(gone());
                          return;
                      }
                      if (!*values || !(*values)->ok()) {
                          casDone(o, *values ? (*values)->error()
                                             : internalError(QStringLiteral("no MGET reply")));
                          return;
                      }
                      std::vector<RedisReply> q;
                      for (const auto& r : *queue) {
                          if (!r.ok()) {
                              casDone(o, r.error());
                              return;
                          }
                          q.push_back(r.value());
                      }
                      if (!time.ok()) {
                          casDone(o, time.error());
                          return;
                      }
                      if (queued && q.size() != 3) {
                          casDone(o, internalError(QStringLiteral("no queue reply")));
                          return;
                      }
                      casWrite(std::move(o), (*values)->value(), time.value(), q);
                  });
}

void SharedBudget::casWrite(Op op, const RedisReply& values, const RedisReply& time,
                            const std::vector<RedisReply>& queue) {
    if (time.elements.size() != 2 ||
        values.elements.size() != static_cast<qsizetype>(op.levels.size())) {
        casDone(op, internalError(QStringLiteral("unexpected reply to MGET/TIME")));
        return;
    }
    const std::int64_t now = time.elements[0].toInt() * 1000000 + time.elements[1].toInt();
    // The same arithmetic as the script.
    std::vector<std::int64_t> tats;
    std::int64_t wait = 0;
    for (std::size_t i = 0; i < op.levels.size(); ++i) {
        const std::int64_t tat = values.elements[qsizetype(i)].toInt();
        tats.push_back(tat);
        wait = std::max(wait, tat - op.levels[i].toleranceUs - now);
    }
    const bool queued = op.admit && op.queue;
    QueueCheck check;
    if (queued) {
        check = SharedQueue::check(*op.queue, queue, now);
    }
    const bool notHead = queued && (!check.present || check.rank > 0);
    if (notHead || (op.admit && wait > 0)) {
        m_client.send({QByteArrayLiteral("UNWATCH")}, [](Result<RedisReply>) {});
        if (queued) {
            for (const auto& command : SharedQueue::upkeep(*op.queue, check, now)) {
                m_client.send(command, [](Result<RedisReply>) {});
            }
        }
        if (notHead) {
            // As the script: until the budget could take the `rank` ahead, each charged like
            // this one, at most two of its emission intervals, at least 5 ms.
            std::int64_t turn = 0;
            std::int64_t emit = 0;
            for (std::size_t i = 0; i < op.levels.size(); ++i) {
                const Level& l = op.levels[i];
                const std::int64_t own = l.cost * l.intervalUs;
                turn =
                    std::max(turn, std::max(tats[i], now) + check.rank * own - l.toleranceUs - now);
                emit = std::max(emit, own);
            }
            wait = std::max({wait, std::min(turn, 2 * emit), std::int64_t{5000}});
        }
        casDone(op, SharedDecision{false, std::chrono::microseconds(wait), now, check.rank});
        return;
    }
    m_client.send({QByteArrayLiteral("MULTI")}, [](Result<RedisReply>) {});
    for (std::size_t i = 0; i < op.levels.size(); ++i) {
        const Level& l = op.levels[i];
        const std::int64_t own = l.cost * l.intervalUs;
        const std::int64_t from = tats[i] < now - l.catchUpUs ? now : tats[i];
        const std::int64_t tat = from + own;
        m_client.send(
            {QByteArrayLiteral("SET"), l.key, QByteArray::number(qint64(tat)),
             QByteArrayLiteral("PX"),
             QByteArray::number(qint64(std::max<std::int64_t>(tat - now, 0) / 1000 + 1000))},
            [](Result<RedisReply>) {});
    }
    if (queued) {
        for (const auto& command : SharedQueue::upkeep(*op.queue, check, now)) {
            m_client.send(command, [](Result<RedisReply>) {});
        }
        if (op.queue->removeOnAdmit) {
            m_client.send({QByteArrayLiteral("ZREM"), op.queue->queueKey, op.queue->member},
                          [](Result<RedisReply>) {});
        }
    }
    auto shared = std::make_shared<Op>(std::move(op));
    QPointer<SharedBudget> self(this);
    m_client.send({QByteArrayLiteral("EXEC")}, [this, self, shared, now](Result<RedisReply> r) {
        Op& o = *shared;
        if (!self) {
            o.done(gone());
            return;
        }
        if (!r.ok()) {
            casDone(o, r.error());
        } else if (r.value().isNil()) {
            // Another process wrote a level in between: read again, a few times. Past that,
            // others are taking the budget as fast as it frees: answer "not yet" (one
            // interval), not an error, so the caller simply asks again.
            ++m_casRetries;
            if (++o.tries >= kCasTries * 4 && !o.admit) {
                casDone(o, Error{Error::Kind::Unavailable, QStringLiteral("redis"),
                                 QStringLiteral("shared budget too contended to adjust")});
                return;
            }
            if (o.tries >= kCasTries && o.admit) {
                std::int64_t intervalUs = 1000;
                for (const Level& l : o.levels) {
                    intervalUs = std::min(intervalUs, l.intervalUs);
                }
                casDone(o, SharedDecision{false, std::chrono::microseconds(intervalUs), now});
                return;
            }
            casRead(std::move(o));
        } else {
            casDone(o, SharedDecision{true, Nanos{0}, now});
        }
    });
}

void SharedBudget::casDone(Op& op, Result<SharedDecision> result) {
    m_casBusy = false;
    DecisionCallback done = std::move(op.done);
    done(std::move(result));
    nextCas();
}

} // namespace sluice
