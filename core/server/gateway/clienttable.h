#pragma once

#include "core/engine/clock.h"
#include "core/engine/gcralimiter.h"
#include "core/net/enginetypes.h"
#include "core/result.h"

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <deque>
#include <map>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace sluice {

/// One caller of the gateway, from `--clients FILE` or the config's "clients" array. A caller
/// presenting its token (Authorization: Bearer, x-api-key) is this client; its request goes
/// upstream with the gateway's own keys.
struct GatewayClient {
    QString name;
    QByteArray token;      ///< what the caller presents; never shown in clear (masked in JSON)
    double weight = 1.0;   ///< its share of the queue against other clients at the same priority
    int maxPriority = 0;   ///< the most urgent x-sluice-priority it may ask for (0: any)
    std::int64_t rpm = 0;  ///< its own requests per minute, on top of the gateway's (0: none)
    std::int64_t tpm = 0;  ///< its own tokens per minute (reserved, then reconciled; 0: none)
    int maxConcurrent = 0; ///< its open requests (queued or in flight) at most (0: none)
    /// The longest x-sluice-timeout it may ask for, and its deadline when it asks none (0: none).
    Nanos maxTimeout{0};

    friend bool operator==(const GatewayClient&, const GatewayClient&) = default;
};

/// Reads a clients array; `field` names it in errors ("clients"). Names and tokens must be
/// unique and present. A token written masked (as GET /admin/config shows it, "sk-...abcd") is
/// taken from `known`'s client of the same name, so the answer of GET can be posted back.
Result<QList<GatewayClient>> parseClients(const QJsonValue& json, const QString& field,
                                          const QList<GatewayClient>& known = {});
/// The array as GET /admin/config shows it: tokens masked.
QJsonArray clientsJson(const QList<GatewayClient>& clients);
/// Reads a --clients file: a JSON array of clients, or an object with a "clients" array.
Result<QList<GatewayClient>> readClientsFile(const QString& path);

/// The gateway's live view of its clients: whose token a caller presents, each client's own
/// rate and open-request limits, and what each one got (for /admin/stats and /metrics). Also
/// counts answers by client, model and status for every caller (client "" when none).
///
/// Plain C++, not thread-safe: the gateway's thread only.
class ClientTable {
public:
    /// Replaces the clients; a client of the same name keeps its rate state, counters and
    /// open requests.
    void setClients(const QList<GatewayClient>& clients, Nanos now);
    bool empty() const { return m_clients.empty(); }
    int size() const { return static_cast<int>(m_clients.size()); }
    const GatewayClient& client(int index) const { return m_clients.at(index).config; }
    /// The client whose token this is, -1 when none.
    int find(const QByteArray& token) const;

    /// Why a client's own limits turned a request away, and when to come back.
    struct Refusal {
        QString reason; ///< empty: admitted
        Nanos retryAfter{0};
        explicit operator bool() const { return !reason.isEmpty(); }
    };
    /// Admits request `id` of client `index` reserving `tokens` against its own limits; on
    /// success the request counts as open until ended().
    Refusal admit(int index, std::uint64_t id, std::int64_t tokens, Nanos now);
    /// A request ended: its reservation reconciled with the tokens it used, its slot freed.
    /// `index` -1 for a caller that is no client; `refused`: turned away for overload or limits.
    void ended(int index, std::uint64_t id, const QString& model, int status,
               const RequestRecord& record, bool refused, Nanos now);
    /// A caller answered before reaching the engine (unknown token, bad header, client limit).
    void answered(int index, const QString& model, int status, bool refused, Nanos now);
    /// The client of a live request (-1: none).
    int clientOf(std::uint64_t id) const;

    /// A client's own per-minute limiters (unlimited when it has none), for its headers.
    const GcraLimiter& requestLimiter(int index) const {
        return m_clients.at(static_cast<std::size_t>(index)).requests;
    }
    const GcraLimiter& tokenLimiter(int index) const {
        return m_clients.at(static_cast<std::size_t>(index)).tokens;
    }

    /// "clients" of /admin/stats: per client its rate, open requests, rejections, total-time
    /// p95 and share of what went upstream in the last 10 s. `live` is the engine's statuses().
    QJsonObject statsJson(const std::vector<RequestStatus>& live, Nanos now) const;
    /// Metric lines: sluice_requests_total{client,model,code} and the per-client families.
    QByteArray metricsText(const std::vector<RequestStatus>& live) const;

private:
    struct State {
        GatewayClient config;
        GcraLimiter requests, tokens;
        int open = 0;
        std::int64_t received = 0, rejected = 0;
        std::deque<Nanos> receivedAt; ///< the last 10 s
        std::deque<Nanos> sentAt;     ///< first attempt sent, of requests ended in the last 10 s
        std::deque<Nanos> totals;     ///< total time of the last 1000 requests done
    };
    struct Open {
        int client = -1;
        std::int64_t reserved = 0;
    };
    static void trim(std::deque<Nanos>& times, Nanos now);

    std::vector<State> m_clients;
    QHash<QByteArray, int> m_byToken;
    std::unordered_map<std::uint64_t, Open> m_open;
    /// Answers by client name ("" for none), model and status.
    std::map<std::tuple<QString, QString, int>, std::int64_t> m_answers;
    QHash<QString, int> m_models; ///< distinct models seen, bounded (label cardinality)
    std::deque<Nanos> m_sentAt;   ///< every client's, for the share
};

} // namespace sluice
