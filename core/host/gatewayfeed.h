#pragma once

// What the console's gateway views (charts, stats strip, requests, limits, Clients, Keys,
// Overhead, Request detail) are fed with, whether the gateway runs inside the console
// (InProcessGatewayFeed) or elsewhere and is followed through its admin API (`--attach`).
// Both sides produce the same plain values: the shapes of GET /admin/stats, GET /admin/config,
// GET /admin/requests/{id} and the /admin/events lines, parsed by the functions below. A view
// never sees a GatewayServer, an engine or a socket.

#include "core/net/enginetypes.h"
#include "core/result.h"

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>

namespace sluice {

/// One caller of the gateway (a client token), as /admin/stats "clients" shows it.
struct GatewayClientRow {
    QString name;
    double weight = 1;
    double rps = 0; ///< requests received per second, last 10 s
    int inFlight = 0;
    int queued = 0;
    std::int64_t received = 0;
    std::int64_t rejected = 0;
    double p95Ms = 0; ///< total time (queue included) of its last requests
    double share = 0; ///< of what went upstream in the last 10 s, in [0, 1]
};

/// One upstream key of the pool, as /admin/stats "keys" shows it; the key masked (`sk-...abcd`).
struct GatewayKeyRow {
    QString masked;
    QStringList models;
    int inFlight = 0;
    std::int64_t requests = 0, rateLimited = 0, authFailures = 0;
    /// The provider's last word on the key's headroom (x-ratelimit-*); empty until it said.
    std::optional<std::int64_t> limitRequests, remainingRequests, limitTokens, remainingTokens;
    double resetRequestsMs = 0, resetTokensMs = 0;
    double coolingMs = 0; ///< > 0: held back after a 429, this long yet
    double waitMs = 0;    ///< until it can admit a request
    bool retired = false;
    QString retiredReason;
};

/// GET /admin/stats, parsed: the figures the gateway views show besides the engine snapshot.
struct GatewayStats {
    int inFlight = 0, limit = 0, queued = 0;
    std::int64_t processed = 0, rejected = 0;
    double rps = 0;
    /// The gateway's added latency (outside its queue and the upstream), ms: of the requests
    /// ended in the last 10 s (`overheadRecent`, latency.overhead_recent), else since it started.
    double overheadP50Ms = 0, overheadP99Ms = 0;
    std::int64_t overheadCount = 0;
    bool overheadRecent = false;
    int configVersion = 0;
    QList<GatewayClientRow> clients;
    QList<GatewayKeyRow> keys;
    QStringList alarms; ///< the last alarms, in words (keys masked)
    QJsonObject raw;    ///< the whole answer, for what the views do not parse
};

/// One attempt of a request, ms since the request arrived.
struct GatewayAttemptRow {
    double sentMs = 0, endedMs = 0;
    int status = 0;
    QString outcome;
};

/// GET /admin/requests/{id}, parsed: a live request (where it is) or an ended one (how it ended).
struct GatewayRequestDetail {
    std::uint64_t id = 0;
    QString state; ///< stateName(): queued, in_flight, done, failed, …
    bool ended = false;
    int priority = 1;
    int attempts = 0;
    std::int64_t ahead = -1; ///< live and queued: requests ahead of it
    double etaMs = 0;
    double ageMs = 0;         ///< live: since it arrived
    double queueMs = -1;      ///< arrival → first attempt sent (-1: not yet)
    double firstTokenMs = -1; ///< arrival → first token (-1: none yet)
    double totalMs = -1;      ///< arrival → end (-1: not ended)
    double e2eMs = -1, ttftMs = -1;
    QString upstreamKey; ///< masked
    QString answered;    ///< the status the caller got, or "caller gone"
    int upstreamStatus = 0;
    QString failure; ///< FailureReason::key(), empty when done
    QString reason;  ///< why it ended (or is retrying), in words
    std::int64_t promptTokens = 0, completionTokens = 0;
    QList<GatewayAttemptRow> attemptLog;
    QJsonObject raw;
};

/// Parsers of the admin API's shapes. Missing fields keep their defaults (an older gateway);
/// a wrong type is an Invalid error naming the field.
Result<GatewayStats> parseGatewayStats(const QJsonObject& json);
Result<GatewayRequestDetail> parseGatewayRequest(const QJsonObject& json);
/// The engine figures /admin/stats carries, for the charts and the stats strip when no engine
/// snapshot is at hand (attached): in flight, limit, queue, rates, counts, breaker, latency
/// (the gateway's since-start percentiles). `at` is the time of the sample.
EngineSnapshot snapshotFromStats(const QJsonObject& json, Nanos at);
/// An /admin/events data line (gateway::updateJson()) back into the requests table's value.
RequestUpdate requestUpdateFromJson(const QJsonObject& json);

/// The source of a gateway's live data for the console, in the GUI thread. Implemented by the
/// in-process gateway (InProcessGatewayFeed) and by the admin-API client of `--attach`. Every
/// signal carries values; every call returns at once (answers come back as signals).
class GatewayFeed : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayFeed)

public:
    using QObject::QObject;
    ~GatewayFeed() override = default;

    /// True while data flows (running in process, or attached and answering).
    virtual bool live() const = 0;
    /// Where callers send: the gateway's base URL ("http://127.0.0.1:8080").
    virtual QString baseUrl() const = 0;
    /// "in-process gateway" or "attached to …", for the status line.
    virtual QString description() const = 0;
    /// A change of live limits, the body of POST /admin/config ({"max_concurrent": 8}, …).
    /// configChanged() follows when applied, limitsRefused() when refused (names the field).
    virtual void applyLimits(const QJsonObject& change) = 0;
    /// Asks for GET /admin/requests/{id}; requestDetail() or requestDetailMissing() follows.
    virtual void fetchRequest(std::uint64_t id) = 0;

Q_SIGNALS:
    /// The engine's figures, ~10 Hz: charts, stats strip, errors, the limits panel's limit.
    void snapshot(const sluice::EngineSnapshot& snapshot);
    /// Request state changes, batched: the requests table, latency by priority, timelines.
    void requestsUpdated(const QList<sluice::RequestUpdate>& updates);
    /// /admin/stats, ~2 Hz: Clients, Keys, Overhead.
    void statsUpdated(const sluice::GatewayStats& stats);
    /// GET /admin/config (keys masked) whenever its "version" changes — from the console or
    /// from anywhere else (`sluice config set`, another POST /admin/config) — and once at start.
    void configChanged(const QJsonObject& config);
    void limitsRefused(const QString& error);
    void requestDetail(const sluice::GatewayRequestDetail& detail);
    void requestDetailMissing(std::uint64_t id);
    /// Something an operator must act on (a key retired from the pool), keys masked.
    void alarm(const QString& message);
    /// Data started or stopped flowing (stopped, disconnected, wrong admin token: `message`).
    void liveChanged(bool live, const QString& message);
};

} // namespace sluice

Q_DECLARE_METATYPE(sluice::GatewayStats)
Q_DECLARE_METATYPE(sluice::GatewayRequestDetail)
