#include "core/redis/sharedbudget.h"

#include <QCryptographicHash>
#include <QPointer>

#include <algorithm>
#include <cmath>
#include <memory>

namespace sluice {

namespace {

// KEYS: one per level. ARGV[1]: "admit" or "adjust"; then per level: interval, tolerance, cost
// and catch-up (microseconds, microseconds, units, microseconds). Time is Redis's own. Admit:
// refused (with the wait) unless every level's TAT is within its tolerance of now; then every
// level is charged. Admit and adjust alike: a level whose TAT passed less than its catch-up ago
// continues from its TAT (the caller was late, by a timer or a round trip, or a reconciled
// reservation gave time back), so neither lateness nor a refund leaks throughput; the
// interval's window margin (GcraLimiter's jitter allowance, twice the catch-up) covers it: the
// TAT never falls more than the catch-up behind now, so no window of the period holds more than
// the limit. Older than that, the level was idle and starts at now. A refund may take the TAT
// below now, where the next admission finds it. Returns {admitted, wait, now}.
const QByteArray kScript = QByteArrayLiteral(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tats = {}
local wait = 0
for i = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  tats[i] = tat
  local w = tat - tonumber(ARGV[4 * i - 1]) - now
  if w > wait then wait = w end
end
if ARGV[1] == 'admit' and wait > 0 then
  return {0, wait, now}
end
for i = 1, #KEYS do
  local tat = tats[i]
  local own = tonumber(ARGV[4 * i]) * tonumber(ARGV[4 * i - 2])
  local catchup = tonumber(ARGV[4 * i + 1])
  if tat < now - catchup then tat = now end
  tat = tat + own
  redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX',
             math.floor(math.max(tat - now, 0) / 1000) + 1000)
end
return {1, 0, now}
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

QByteArray SharedBudget::levelKey(const QByteArray& keyHash, bool tokens, Nanos period) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(period).count();
    return QByteArrayLiteral("{sluice:") + keyHash + (tokens ? "}:t:" : "}:r:") +
           QByteArray::number(static_cast<qint64>(ms));
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
        l.key = levelKey(keyHash, isTokens, level.period);
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
                         DecisionCallback done) {
    run(Op{true, levelsFor(keyHash, limits, tokens, true), std::move(done)});
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
    if (op.levels.empty()) {
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
    QList<QByteArray> args{withEval ? QByteArrayLiteral("EVAL") : QByteArrayLiteral("EVALSHA"),
                           withEval ? kScript : m_sha,
                           QByteArray::number(static_cast<qsizetype>(op.levels.size()))};
    for (const Level& l : op.levels) {
        args << l.key;
    }
    args << (op.admit ? QByteArrayLiteral("admit") : QByteArrayLiteral("adjust"));
    for (const Level& l : op.levels) {
        args << QByteArray::number(static_cast<qint64>(l.intervalUs))
             << QByteArray::number(static_cast<qint64>(l.toleranceUs))
             << QByteArray::number(static_cast<qint64>(l.cost))
             << QByteArray::number(static_cast<qint64>(l.catchUpUs));
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
            if (v.type != RedisReply::Type::Array || v.elements.size() != 3) {
                o.done(internalError(QStringLiteral("unexpected reply from the budget script")));
                return;
            }
            o.done(SharedDecision{v.elements[0].toInt() == 1,
                                  std::chrono::microseconds(v.elements[1].toInt()),
                                  v.elements[2].toInt()});
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
    QList<QByteArray> watch{QByteArrayLiteral("WATCH")};
    QList<QByteArray> mget{QByteArrayLiteral("MGET")};
    for (const Level& l : op.levels) {
        watch << l.key;
        mget << l.key;
    }
    // WATCH, MGET and TIME pipelined: the time is read inside the optimistic transaction.
    auto shared = std::make_shared<Op>(std::move(op));
    auto values = std::make_shared<std::optional<Result<RedisReply>>>();
    m_client.send(watch, [](Result<RedisReply>) {}); // its failure shows in the next two
    m_client.send(mget, [values](Result<RedisReply> r) { values->emplace(std::move(r)); });
    QPointer<SharedBudget> self(this);
    m_client.send({QByteArrayLiteral("TIME")},
                  [this, self, shared, values](Result<RedisReply> time) {
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
                      if (!time.ok()) {
                          casDone(o, time.error());
                          return;
                      }
                      casWrite(std::move(o), (*values)->value(), time.value());
                  });
}

void SharedBudget::casWrite(Op op, const RedisReply& values, const RedisReply& time) {
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
    if (op.admit && wait > 0) {
        m_client.send({QByteArrayLiteral("UNWATCH")}, [](Result<RedisReply>) {});
        casDone(op, SharedDecision{false, std::chrono::microseconds(wait), now});
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
