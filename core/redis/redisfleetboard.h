#pragma once

#include "core/fleetboard.h"
#include "core/redis/redisclient.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <deque>
#include <map>
#include <unordered_map>
#include <vector>

namespace sluice {

/// The fleet's requests on Redis (FleetBoard): one stream, `sluice:{fleet}:requests`, that every
/// process appends its requests' changes to (XADD, capped at about kRetained entries) and reads
/// the others' from (XREAD every kPollInterval, from where it left off; a process that starts
/// reads what the stream retains first, so it knows the requests already live).
///
/// An entry's fields: `p` the process's name (host:pid), `i` its id base in hex (its identity:
/// names can repeat, bases are random), `k` the kind (`req`: `r` holds a JSON array of requests;
/// `alive`: nothing changed for a second; `bye`: the process stopped), `r`.
///
/// Another process's live requests are forgotten when it says bye or has not been heard from for
/// kSilentFor (it died; its requests ended with it); ended requests are kept, the last 10,000.
/// While Redis is unreachable, changes are neither published nor read (not queued: a change lost
/// is caught up by the request's next one), and nothing is forgotten for silence until a read
/// has worked again for kSilentFor.
///
/// Threading: one thread (the engine's); owns its own connection, so reading the board never
/// delays an admission decision.
class RedisFleetBoard final : public QObject, public FleetBoard {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RedisFleetBoard)

public:
    static constexpr std::chrono::milliseconds kPollInterval{100};
    static constexpr std::chrono::milliseconds kAliveInterval{1000};
    static constexpr std::chrono::milliseconds kSilentFor{3000};
    static constexpr int kRetained = 300;
    static constexpr std::size_t kEndedKept = 10000;
    static const QByteArray kStream;

    explicit RedisFleetBoard(RedisClientConfig config, QObject* parent = nullptr);
    /// Says bye (best effort: handed to the kernel, not awaited).
    ~RedisFleetBoard() override;

    QString processName() const override { return m_name; }
    void setProcessName(const QString& name) override { m_name = name; }
    std::uint64_t idBase() const override { return m_idBase; }
    void publish(const QJsonArray& requests) override;
    std::optional<QJsonObject> find(std::uint64_t id) const override;
    QJsonArray live() const override;
    std::uint64_t heldAhead(const QString& sharedQueue, std::int64_t order) const override;

    /// Entries published and read, and commands that failed (for tests and stats).
    std::uint64_t published() const { return m_published; }
    std::uint64_t read() const { return m_read; }
    std::uint64_t failures() const { return m_failures; }

private:
    struct Entry {
        QJsonObject json;
        QByteArray process; ///< the publisher's identity (`i`)
        qint64 atMs = 0;    ///< read at, on m_elapsed
    };
    void append(const QByteArray& kind, const QByteArray& requests);
    void poll();
    void onEntries(const RedisReply& reply);
    void take(const QByteArray& process, const QString& name, const QByteArray& requests);
    void forget(const QByteArray& process);
    void forgetSilent();
    QJsonObject shown(const Entry& e) const;

    // Before the client: its destructor fails what is in flight, whose callbacks count here.
    std::uint64_t m_published = 0, m_read = 0, m_failures = 0;
    RedisClient m_client;
    QString m_name;
    std::uint64_t m_idBase = 0;
    QByteArray m_identity; ///< m_idBase in hex
    QElapsedTimer m_elapsed;
    QTimer m_poll;
    QTimer m_alive;
    bool m_reading = false;
    QByteArray m_lastId = QByteArrayLiteral("0-0");
    qint64 m_lastPublishMs = -1;
    /// Reads have worked since (on m_elapsed); -1 while they fail.
    qint64 m_readingSinceMs = -1;
    std::unordered_map<std::uint64_t, Entry> m_live;
    std::unordered_map<std::uint64_t, Entry> m_ended;
    std::deque<std::uint64_t> m_endedOrder;
    std::map<QByteArray, qint64> m_heard; ///< process identity -> last entry read (m_elapsed)
    /// m_live's requests still held in their own gateway's queue, by shared queue: their
    /// fleet orders, sorted; rebuilt on the first heldAhead() after a change.
    mutable std::map<QString, std::vector<std::int64_t>> m_held;
    mutable bool m_heldStale = true;
};

} // namespace sluice
