#pragma once

#include "core/engine/gcralimiter.h"
#include "core/engine/ratebudget.h"
#include "core/redis/redisclient.h"
#include "core/redis/sharedqueue.h"

#include <QByteArray>
#include <QObject>

#include <deque>
#include <functional>
#include <map>

namespace sluice {

/// The answer to one shared admission.
struct SharedDecision {
    bool admitted = false;
    Nanos wait{0};              ///< when refused: until the tightest level admits again
    std::int64_t redisTimeUs{}; ///< Redis's clock at the decision (TIME), microseconds
    std::int64_t ahead = 0;     ///< refused for the queue order: members ahead in the queue
};

/// One API key's request and token levels as GCRA state in Redis, shared by every process that
/// uses the same Redis: one theoretical arrival time (TAT, microseconds on Redis's clock) per
/// level, all of a key's levels decided together, atomically.
///
/// Key layout: `{sluice:<keyhash>}:r:<period ms>:<limit>` and `…:t:<period ms>:<limit>` (string
/// TATs with a TTL), where keyhash is a hash of the API key (the key itself never reaches
/// Redis). The hash tag puts every level of a key in one cluster slot, and scripts get their
/// keys only through KEYS, as managed services that restrict scripts require.
///
/// Time comes from Redis (`TIME`), never from the callers, so clock skew between machines does
/// not move the window. Pacing matches the local GcraLimiter (same interval with its window
/// safety margin, same explicit burst, the debt form: a request is admitted when every level's
/// TAT is within its burst of now, then each level is charged its cost).
///
/// Two paths, chosen by what the server allows:
///  - Scripted (the default): one EVALSHA per decision (EVAL when the script is not cached yet,
///    on NOSCRIPT). Exact: the decision is atomic on the server.
///  - Script-free: when scripts are refused (EVAL/EVALSHA renamed, forbidden by ACL or by the
///    service), it switches at once to WATCH/MGET/TIME then MULTI/SET/EXEC, retried when
///    another process wrote in between. Just as exact, at two round trips per decision, and
///    decisions of one client run one at a time (a connection holds one WATCH).
/// modeChanged() says which path is in use and why; the switch is kept for the client's life.
///
/// Threading and ownership: the client's thread; the client must outlive this object and, on
/// the script-free path, not be used for other transactions. Every callback runs exactly once,
/// with a decision or an error (Redis down, timed out); inside admit()/adjust() only when Redis
/// is already known to be down (the client fails such commands at once).
class SharedBudget final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SharedBudget)

public:
    enum class Mode { Scripted, ScriptFree };
    using DecisionCallback = std::function<void(Result<SharedDecision>)>;

    explicit SharedBudget(RedisClient& client, QObject* parent = nullptr);

    /// The Redis-side name of an API key: a hash, so keys never reach Redis in clear.
    static QByteArray keyHash(const QByteArray& apiKey);
    /// The Lua source of the decision script (for benchmarks against redis-benchmark).
    static QByteArray scriptSource();
    /// The Redis key of one level (see the class comment). The limit is part of it: a limit
    /// changed live starts from a fresh window instead of a state paced for the old one (a
    /// raised limit takes effect at once, not when the old pacing runs out).
    static QByteArray levelKey(const QByteArray& keyHash, bool tokens, Nanos period,
                               std::int64_t limit);

    /// Decides one request of `tokens` (reserved: prompt estimate + max_tokens) against every
    /// level of `limits`: admitted (and charged one request and `tokens` on every level) or
    /// refused with the wait.
    /// With `place`, only the head of the key's queue (SharedQueue) is admitted, in the same
    /// atomic step: members of dead processes at the head are dropped, any other member is
    /// refused with the wait until its turn (SharedDecision::ahead says how many are ahead).
    void admit(const QByteArray& keyHash, const BudgetLimits& limits, std::int64_t tokens,
               DecisionCallback done, std::optional<QueuePlace> place = std::nullopt);
    /// Reconciles a reservation with real usage: charges `deltaTokens` more (refunds when
    /// negative) on the token levels.
    void adjust(const QByteArray& keyHash, const BudgetLimits& limits, std::int64_t deltaTokens,
                DecisionCallback done);

    /// Undoes an admission that will not be sent after all (one request and `tokens` back on
    /// every level), fire and forget.
    void refund(const QByteArray& keyHash, const BudgetLimits& limits, std::int64_t tokens);

    Mode mode() const { return m_mode; }
    static QString modeName(Mode mode);
    /// Why the script-free path is in use (the server's refusal), empty on the scripted path.
    QString modeReason() const { return m_modeReason; }
    /// True for the server's ways of refusing scripts (renamed, ACL, managed-service policy).
    static bool isScriptRefusal(const QString& message);
    /// Script-free only: decisions retried because another process wrote in between.
    std::uint64_t casRetries() const { return m_casRetries; }

Q_SIGNALS:
    void modeChanged(sluice::SharedBudget::Mode mode, const QString& why);

private:
    struct Level {
        QByteArray key;
        std::int64_t intervalUs = 0;
        std::int64_t toleranceUs = 0;
        std::int64_t cost = 0;
        std::int64_t catchUpUs = 0; ///< how late a caller may start where it should have
    };
    struct Op {
        bool admit = true;
        std::vector<Level> levels;
        DecisionCallback done;
        int tries = 0;
        std::optional<QueuePlace> queue; ///< admit only: the queue order applies
    };
    std::vector<Level> levelsFor(const QByteArray& keyHash, const BudgetLimits& limits,
                                 std::int64_t tokens, bool admit);
    void run(Op op);
    void runScripted(Op op, bool withEval);
    void switchToScriptFree(const QString& why);
    // Script-free: one transaction at a time on this client.
    void enqueueCas(Op op);
    void nextCas();
    void casRead(Op op);
    void casWrite(Op op, const RedisReply& values, const RedisReply& time,
                  const std::vector<RedisReply>& queue);
    void casDone(Op& op, Result<SharedDecision> result);

    RedisClient& m_client;
    Mode m_mode = Mode::Scripted;
    QString m_modeReason;
    QByteArray m_sha;
    std::deque<Op> m_casQueue;
    bool m_casBusy = false;
    std::uint64_t m_casRetries = 0;
    /// Per level key: a local limiter used only for its pacing interval (which widens with the
    /// largest cost seen, as the local one does).
    std::map<QByteArray, GcraLimiter> m_pacing;
};

} // namespace sluice
