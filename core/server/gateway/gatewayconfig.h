#pragma once

#include "core/engine/concurrencylimit.h"

#include "core/engine/clock.h"
#include "core/net/llmformat.h"
#include "core/result.h"
#include "core/server/gateway/clienttable.h"

#include <QByteArray>
#include <QHostAddress>
#include <QJsonObject>
#include <QList>
#include <QUrl>

namespace sluice {

/// How `sluice gateway` runs: where it listens, the provider behind it, its upstream keys and
/// the limits every caller shares. The JSON of GET /admin/config is this object (keys masked,
/// the admin token never shown); `--config FILE` reads the same JSON; POST /admin/config
/// changes the limits live (see applyLimits()).
struct GatewayConfig {
    QHostAddress listenAddress = QHostAddress::LocalHost;
    quint16 port = 8080;
    /// The provider's base URL as its SDKs take it, with or without /v1.
    QUrl upstream;
    /// Format of paths that do not say (everything but /v1/messages is OpenAI's).
    ApiFormat format = ApiFormat::OpenAi;
    /// Upstream keys; empty: each caller's own key passes through (and has its own budget).
    QList<QByteArray> keys;
    /// The models each of `keys` may serve, by index (missing or empty: every model).
    QList<QStringList> keyModels;
    QByteArray adminToken; ///< required on /admin and /metrics when set
    /// Gateway clients (--clients, or "clients" here): when any, a caller must present one's
    /// token and goes upstream with `keys`; when none, a caller's own key passes through.
    /// Live: POST /admin/config may change them (a masked token keeps the client's token).
    QList<GatewayClient> clients;

    // Limits, live.
    int maxConcurrent = 100;
    bool adaptive = false;
    int adaptiveMin = 1, adaptiveMax = 100;
    std::int64_t rpm = 0; ///< 0 = none
    std::int64_t tpm = 0; ///< 0 = none
    int queueSize = 1000;
    Nanos queueTimeout = std::chrono::seconds(30);
    /// The status of an overload answer (queue full, queued too long): 503, or 429 for clients
    /// that only back off on 429.
    int rejectStatus = 503;
    int retries = 2; ///< attempts after the first, before any byte reached the caller

    int version = 1; ///< bumped by every change through the admin API

    /// Cross-field checks; an Invalid error naming the field.
    Result<void> validate() const;
    /// Reads a whole config (a --config file): every field is optional, unknown ones refused.
    Result<void> apply(const QJsonObject& json);
    /// Applies only the live limits (POST /admin/config); listen, upstream and keys are refused
    /// there, since they would need a restart. Nothing changes when any field is invalid.
    Result<void> applyLimits(const QJsonObject& json);
    QJsonObject toJson() const;
    /// The engine's concurrency settings for these limits: fixed at max_concurrent, or adaptive
    /// between adaptive_min and adaptive_max starting from max_concurrent.
    ConcurrencyConfig concurrency() const;
    /// The fields applyLimits() takes (the live limits), as they are spelled in JSON.
    static const QStringList& limitFields();

    /// The upstream URL for a caller's path ("/v1/chat/completions"), without doubling /v1.
    QUrl upstreamFor(const QByteArray& path, const QByteArray& query) const;
};

} // namespace sluice
