#include "core/redis/redisfleetboard.h"

#include <QCoreApplication>
#include <QHostInfo>
#include <QJsonDocument>
#include <QRandomGenerator>

#include <algorithm>

namespace sluice {

namespace {

constexpr int kReadBatch = 500;

bool ended(const QString& state) {
    return state == QLatin1String("done") || state == QLatin1String("failed") ||
           state == QLatin1String("rejected") || state == QLatin1String("timed_out") ||
           state == QLatin1String("cancelled");
}

} // namespace

const QByteArray RedisFleetBoard::kStream = QByteArrayLiteral("sluice:{fleet}:requests");

RedisFleetBoard::RedisFleetBoard(RedisClientConfig config, QObject* parent)
    : QObject(parent)
    , m_client(std::move(config), this)
    , m_name(QHostInfo::localHostName() + QLatin1Char(':') +
             QString::number(QCoreApplication::applicationPid()))
    , m_idBase(static_cast<std::uint64_t>(QRandomGenerator::system()->bounded(1U, 1U << 20)) << 32)
    , m_identity(QByteArray::number(static_cast<qulonglong>(m_idBase), 16)) {
    m_elapsed.start();
    m_poll.setInterval(kPollInterval);
    connect(&m_poll, &QTimer::timeout, this, &RedisFleetBoard::poll);
    m_alive.setInterval(kAliveInterval);
    connect(&m_alive, &QTimer::timeout, this, [this] {
        if (m_lastPublishMs < 0 ||
            m_elapsed.elapsed() - m_lastPublishMs >= kAliveInterval.count()) {
            append(QByteArrayLiteral("alive"), {});
        }
    });
    m_client.start();
    m_poll.start();
    m_alive.start();
    append(QByteArrayLiteral("alive"), {});
}

RedisFleetBoard::~RedisFleetBoard() {
    m_poll.stop();
    m_alive.stop();
    if (m_client.isReady()) {
        append(QByteArrayLiteral("bye"), {});
        m_client.flush();
    }
}

void RedisFleetBoard::publish(const QJsonArray& requests) {
    if (requests.isEmpty()) {
        return;
    }
    append(QByteArrayLiteral("req"), QJsonDocument(requests).toJson(QJsonDocument::Compact));
}

void RedisFleetBoard::append(const QByteArray& kind, const QByteArray& requests) {
    m_lastPublishMs = m_elapsed.elapsed();
    QList<QByteArray> args{QByteArrayLiteral("XADD"),     kStream,
                           QByteArrayLiteral("MAXLEN"),   QByteArrayLiteral("~"),
                           QByteArray::number(kRetained), QByteArrayLiteral("*"),
                           QByteArrayLiteral("p"),        m_name.toUtf8(),
                           QByteArrayLiteral("i"),        m_identity,
                           QByteArrayLiteral("k"),        kind};
    if (!requests.isEmpty()) {
        args << QByteArrayLiteral("r") << requests;
    }
    m_client.send(args, [this](Result<RedisReply> r) {
        // Runs from the client's own callbacks, the destructor's included: counters only.
        (r ? m_published : m_failures) += 1;
    });
}

void RedisFleetBoard::poll() {
    if (m_reading) {
        return;
    }
    m_reading = true;
    m_client.send({QByteArrayLiteral("XREAD"), QByteArrayLiteral("COUNT"),
                   QByteArray::number(kReadBatch), QByteArrayLiteral("STREAMS"), kStream, m_lastId},
                  [this](Result<RedisReply> r) {
                      m_reading = false;
                      if (!r) {
                          ++m_failures;
                          m_readingSinceMs = -1;
                          return;
                      }
                      if (m_readingSinceMs < 0) {
                          m_readingSinceMs = m_elapsed.elapsed();
                      }
                      onEntries(r.value());
                      forgetSilent();
                  });
}

void RedisFleetBoard::onEntries(const RedisReply& reply) {
    if (reply.type != RedisReply::Type::Array || reply.elements.size() != 1 ||
        reply.elements[0].elements.size() != 2) {
        return; // nil: nothing new
    }
    const QList<RedisReply>& entries = reply.elements[0].elements[1].elements;
    for (const RedisReply& entry : entries) {
        if (entry.elements.size() != 2) {
            continue;
        }
        m_lastId = entry.elements[0].text;
        QByteArray name, identity, kind, requests;
        const QList<RedisReply>& fields = entry.elements[1].elements;
        for (qsizetype i = 0; i + 1 < fields.size(); i += 2) {
            const QByteArray& field = fields[i].text;
            const QByteArray& value = fields[i + 1].text;
            if (field == "p") {
                name = value;
            } else if (field == "i") {
                identity = value;
            } else if (field == "k") {
                kind = value;
            } else if (field == "r") {
                requests = value;
            }
        }
        if (identity.isEmpty() || identity == m_identity) {
            continue; // not a board's entry, or this process's own
        }
        ++m_read;
        m_heard[identity] = m_elapsed.elapsed();
        if (kind == "bye") {
            forget(identity);
        } else if (kind == "req") {
            take(identity, QString::fromUtf8(name), requests);
        }
    }
    if (entries.size() >= kReadBatch) {
        QTimer::singleShot(0, this, &RedisFleetBoard::poll); // more waiting: read on at once
    }
}

void RedisFleetBoard::take(const QByteArray& process, const QString& name,
                           const QByteArray& requests) {
    const QJsonArray list = QJsonDocument::fromJson(requests).array();
    QJsonArray told;
    const qint64 now = m_elapsed.elapsed();
    for (const QJsonValue& v : list) {
        QJsonObject json = v.toObject();
        const double id = json.value(QStringLiteral("id")).toDouble(-1);
        if (id < 1) {
            continue;
        }
        const auto key = static_cast<std::uint64_t>(id);
        json.insert(QStringLiteral("gateway"), name);
        Entry e{json, process, now};
        if (ended(json.value(QStringLiteral("state")).toString())) {
            m_live.erase(key);
            if (m_ended.insert_or_assign(key, e).second) {
                m_endedOrder.push_back(key);
            }
            while (m_endedOrder.size() > kEndedKept) {
                m_ended.erase(m_endedOrder.front());
                m_endedOrder.pop_front();
            }
        } else {
            m_live.insert_or_assign(key, e);
        }
        told.append(json);
    }
    m_heldStale = true;
    tell(told);
}

void RedisFleetBoard::forget(const QByteArray& process) {
    std::erase_if(m_live, [&process](const auto& kv) { return kv.second.process == process; });
    m_heldStale = true;
    m_heard.erase(process);
}

void RedisFleetBoard::forgetSilent() {
    const qint64 now = m_elapsed.elapsed();
    if (m_readingSinceMs < 0 || now - m_readingSinceMs < kSilentFor.count()) {
        return; // reads only just work again: the others have not had a second to speak
    }
    std::vector<QByteArray> silent;
    for (const auto& [process, at] : m_heard) {
        if (now - at >= kSilentFor.count()) {
            silent.push_back(process);
        }
    }
    for (const QByteArray& p : silent) {
        forget(p);
    }
}

QJsonObject RedisFleetBoard::shown(const Entry& e) const {
    QJsonObject json = e.json;
    json.insert(QStringLiteral("as_of_ms"), static_cast<double>(m_elapsed.elapsed() - e.atMs));
    return json;
}

std::optional<QJsonObject> RedisFleetBoard::find(std::uint64_t id) const {
    if (const auto it = m_live.find(id); it != m_live.end()) {
        return shown(it->second);
    }
    if (const auto it = m_ended.find(id); it != m_ended.end()) {
        return shown(it->second);
    }
    return std::nullopt;
}

QJsonArray RedisFleetBoard::live() const {
    QJsonArray out;
    for (const auto& [id, e] : m_live) {
        out.append(shown(e));
    }
    return out;
}

std::uint64_t RedisFleetBoard::heldAhead(const QString& sharedQueue, std::int64_t order) const {
    if (m_heldStale) {
        m_held.clear();
        for (const auto& [id, e] : m_live) {
            const QString queue = e.json.value(QStringLiteral("shared_queue")).toString();
            const QJsonValue place = e.json.value(QStringLiteral("fleet_order"));
            if (queue.isEmpty() || !place.isDouble() ||
                e.json.value(QStringLiteral("at_shared_gate")).toBool(true)) {
                continue;
            }
            m_held[queue].push_back(static_cast<std::int64_t>(place.toDouble()));
        }
        for (auto& [queue, held] : m_held) {
            std::sort(held.begin(), held.end());
        }
        m_heldStale = false;
    }
    const auto it = m_held.find(sharedQueue);
    if (it == m_held.end()) {
        return 0;
    }
    return static_cast<std::uint64_t>(
        std::lower_bound(it->second.begin(), it->second.end(), order) - it->second.begin());
}

} // namespace sluice
