#pragma once

#include "core/bench/trafficlimits.h"
#include "core/metrics/alerts.h"
#include "core/net/enginetypes.h"
#include "core/result.h"
#include "core/server/gateway/gatewayconfig.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <QCoroTask>

#include <chrono>
#include <optional>

class QNetworkReply;

namespace sluice {

class SseParser;

/// Follows a running `sluice gateway` through its admin API, so the console can draw it as it
/// draws a run: GET /admin/config on connecting, GET /admin/stats about twice a second (turned
/// into EngineSnapshots and alerts), GET /admin/events (SSE) for the requests table, and POST
/// /admin/config for limits changed in the console.
///
/// Never blocks: every call returns at once and the network runs on QNAM's own thread. A lost
/// or unreachable gateway is reported Disconnected within requestTimeout + pollInterval (< 2 s
/// by default) and retried by itself with a bounded backoff; a refused admin token (401/403) is
/// reported Unauthorized and not retried until setToken() or attach() is called again.
///
/// Lives in one thread (the console's GUI thread) and emits there. Deleting it aborts every
/// reply and ends every pause first, and delivers those ends at once: its coroutines all run to
/// their end inside the destructor, none is left waiting on a reply or timer that is gone.
class AttachClient final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AttachClient)

public:
    enum class State { Detached, Connecting, Attached, Disconnected, Unauthorized };

    struct Timing {
        std::chrono::milliseconds pollInterval{500};
        std::chrono::milliseconds requestTimeout{1200}; ///< a stats answer later than this: lost
        std::chrono::milliseconds backoffMin{250};
        std::chrono::milliseconds backoffMax{2000};
    };

    explicit AttachClient(QObject* parent = nullptr);
    ~AttachClient() override;

    /// "host:port" or a URL ("http://host:port"); an Invalid error names "url" otherwise.
    static Result<QUrl> parseUrl(const QString& text);

    /// Starts following the gateway at `base` (any previous one is left) and returns at once;
    /// stateChanged(Connecting) now, then Attached, Disconnected or Unauthorized.
    void attach(const QUrl& base, const QByteArray& adminToken = {});
    /// Stops following; stateChanged(Detached).
    void detach();
    /// A new admin token: connects again at once with it (also after Unauthorized).
    void setToken(const QByteArray& adminToken);
    /// Sends the panel's limits to the gateway (POST /admin/config). Its answer arrives as
    /// configChanged(..., ours = true), or limitsRefused() with the gateway's reason.
    void applyLimits(const TrafficLimits& limits);
    /// Sends a raw POST /admin/config body (only live limits: {"max_concurrent": 8}); answered
    /// like applyLimits().
    void postConfig(const QJsonObject& change);
    /// Asks for GET /admin/requests/{id}: requestJson() or requestMissing() follows.
    void fetchRequest(std::uint64_t id);
    void setTiming(const Timing& timing) { m_timing = timing; }

    State state() const { return m_state; }
    /// Why, in words, for Disconnected and Unauthorized; the gateway's URL otherwise.
    QString detail() const { return m_detail; }
    QUrl url() const { return m_base; }
    /// The gateway's config as last read (none before the first answer).
    const std::optional<GatewayConfig>& config() const { return m_config; }

    static const char* stateName(State state);

Q_SIGNALS:
    void stateChanged(sluice::AttachClient::State state, const QString& detail);
    /// The gateway's figures, about twice a second while attached.
    void snapshot(const sluice::EngineSnapshot& snapshot);
    /// Request state changes from /admin/events, batched at most ten times a second.
    void requestsUpdated(const QList<sluice::RequestUpdate>& updates);
    /// The console's alert rules, evaluated on the gateway's figures.
    void alertChanged(const sluice::AlertEvent& alert);
    /// The gateway's limits changed: by this client (`ours`) or elsewhere (`sluice config set`,
    /// another console). `changes` is empty for the first config read after connecting.
    void configChanged(const sluice::GatewayConfig& config, const QStringList& changes, bool ours);
    /// The gateway refused limits sent by applyLimits() (the error names the field).
    void limitsRefused(const sluice::Error& error);
    /// A gateway alarm not seen before (a retired key), in its words.
    void alarm(const QString& message);
    /// Each /admin/stats answer as it came (clients, keys, overhead...), after snapshot().
    void statsJson(const QJsonObject& stats);
    /// /admin/config as it came (keys masked), with every configChanged().
    void configJson(const QJsonObject& config);
    void requestJson(std::uint64_t id, const QJsonObject& request);
    void requestMissing(std::uint64_t id);
    /// Emitted by the destructor before anything is torn down: every pause of the polling
    /// (between polls, the backoff) ends on it, so no coroutine is left suspended.
    void stopping();

private:
    struct Answer {
        int status = 0; ///< 0: no HTTP answer (refused, reset, timed out)
        QByteArray body;
        QString error;
    };
    QCoro::Task<Answer> call(QByteArray method, QString path, QByteArray body = {});
    QCoro::Task<> run(quint64 generation, std::chrono::milliseconds delay);
    QCoro::Task<> post(quint64 generation, QByteArray body);
    QCoro::Task<> getRequest(quint64 generation, std::uint64_t id);
    /// Waits `delay`, or until stopping(). QCoro::sleepFor keeps its timer in the coroutine's
    /// frame: a client deleted during the pause would leave that frame suspended for good.
    QCoro::Task<> pause(std::chrono::milliseconds delay);
    /// Why an answer is not a 200, in words; nothing when it is.
    std::optional<QString> problem(const Answer& answer, const QString& path) const;
    bool unauthorized(const Answer& answer) const;
    void restart(const QString& why);
    void abortAll();
    void setState(State state, const QString& detail);
    void adopt(const GatewayConfig& config, bool ours);
    void onStats(const EngineSnapshot& snapshot, const QStringList& alarms);
    void clearAlerts();
    void openEvents(quint64 generation);
    void onEventBytes();
    void flushUpdates();
    std::chrono::milliseconds nextBackoff();

    QNetworkAccessManager m_nam;
    QUrl m_base;
    QByteArray m_token;
    Timing m_timing;
    State m_state = State::Detached;
    QString m_detail;
    /// Bumped by attach/detach/restart: a coroutine of an older one ends at its next resume.
    quint64 m_generation = 0;
    int m_failures = 0; ///< connection attempts failed in a row, for the backoff
    std::optional<GatewayConfig> m_config;
    QJsonObject m_configJson; ///< m_config as the gateway wrote it
    /// Replies in flight (every call and the event stream), aborted on detach or restart.
    QList<QPointer<QNetworkReply>> m_replies;
    QPointer<QNetworkReply> m_events;
    std::unique_ptr<SseParser> m_sse;
    QList<RequestUpdate> m_pending;
    QTimer m_flush;
    // Alerts, from the difference between two stats answers.
    std::optional<AlertMonitor> m_alerts;
    std::optional<EngineSnapshot> m_previous;
    QElapsedTimer m_since;
};

} // namespace sluice

Q_DECLARE_METATYPE(sluice::AttachClient::State)
