#include "core/host/attachclient.h"

#include "core/bench/runstats.h"
#include "core/host/attachwire.h"
#include "core/net/sseparser.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

#include <QCoroNetworkReply>
#include <QCoroSignal>

#include <memory>

namespace sluice {

namespace {

using std::chrono::milliseconds;

struct DeleteLater {
    void operator()(QObject* o) const { o->deleteLater(); }
};

// The state changes kept while the window is busy: beyond this the oldest go (the table only
// shows where each request is now, and the next batch brings the news).
constexpr qsizetype kMaxPending = 20000;

} // namespace

AttachClient::AttachClient(QObject* parent)
    : QObject(parent)
    , m_sse(std::make_unique<SseParser>()) {
    qRegisterMetaType<State>();
    m_flush.setInterval(100);
    connect(&m_flush, &QTimer::timeout, this, &AttachClient::flushUpdates);
}

AttachClient::~AttachClient() {
    ++m_generation; // coroutines resumed below end without touching anything
    abortAll();
    // QCoro resumes a signal's awaiter through a queued call on the sender: deliver it now,
    // while the sender (this) still exists.
    Q_EMIT stopping();
    QCoreApplication::sendPostedEvents(this, QEvent::MetaCall);
}

const char* AttachClient::stateName(State state) {
    switch (state) {
    case State::Detached:
        return "detached";
    case State::Connecting:
        return "connecting";
    case State::Attached:
        return "attached";
    case State::Disconnected:
        return "disconnected";
    case State::Unauthorized:
        return "wrong admin token";
    }
    return "unknown";
}

Result<QUrl> AttachClient::parseUrl(const QString& text) {
    QString t = text.trimmed();
    if (t.isEmpty()) {
        return Error::invalid(QStringLiteral("url"), QStringLiteral("is empty"));
    }
    if (!t.contains(QLatin1String("://"))) {
        t.prepend(QStringLiteral("http://"));
    }
    QUrl url(t, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() ||
        (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))) {
        return Error::invalid(QStringLiteral("url"),
                              QStringLiteral("\"%1\" is not a gateway address (like "
                                             "http://127.0.0.1:8080)")
                                  .arg(text));
    }
    url.setPath({});
    url.setQuery(QString());
    return url;
}

void AttachClient::attach(const QUrl& base, const QByteArray& adminToken) {
    ++m_generation;
    abortAll();
    clearAlerts();
    m_base = base;
    m_token = adminToken;
    m_failures = 0;
    m_config.reset();
    setState(State::Connecting, base.toString());
    run(m_generation, milliseconds{0});
}

void AttachClient::detach() {
    ++m_generation;
    abortAll();
    clearAlerts();
    flushUpdates();
    m_flush.stop();
    setState(State::Detached, {});
}

void AttachClient::setToken(const QByteArray& adminToken) {
    if (m_state == State::Detached) {
        m_token = adminToken;
        return;
    }
    attach(m_base, adminToken);
}

void AttachClient::applyLimits(const TrafficLimits& limits) {
    postConfig(attach::configBody(limits));
}

void AttachClient::postConfig(const QJsonObject& change) {
    if (m_state != State::Attached) {
        Q_EMIT limitsRefused(Error{Error::Kind::Unavailable,
                                   {},
                                   tr("not attached to a gateway: the limits were not sent")});
        return;
    }
    post(m_generation, QJsonDocument(change).toJson(QJsonDocument::Compact));
}

void AttachClient::fetchRequest(std::uint64_t id) {
    if (m_state != State::Attached) {
        Q_EMIT requestMissing(id);
        return;
    }
    getRequest(m_generation, id);
}

QCoro::Task<> AttachClient::getRequest(quint64 generation, std::uint64_t id) {
    QPointer<AttachClient> self(this);
    try {
        const Answer a = co_await call("GET", QStringLiteral("/admin/requests/%1").arg(id));
        if (!self || self->m_generation != generation) {
            co_return;
        }
        const QJsonDocument doc = QJsonDocument::fromJson(a.body);
        if (a.status == 200 && doc.isObject()) {
            Q_EMIT requestJson(id, doc.object());
        } else {
            Q_EMIT requestMissing(id);
        }
    } catch (const std::exception& e) {
        qWarning("attach: %s", e.what());
    }
}

void AttachClient::setState(State state, const QString& detail) {
    if (state == m_state && detail == m_detail) {
        return;
    }
    m_state = state;
    m_detail = detail;
    Q_EMIT stateChanged(state, detail);
}

void AttachClient::abortAll() {
    // Taken out first: an abort finishes its reply at once, resuming a coroutine that must not
    // find the list half walked.
    const QList<QPointer<QNetworkReply>> replies = std::exchange(m_replies, {});
    m_events.clear();
    for (const QPointer<QNetworkReply>& reply : replies) {
        if (reply && reply->isRunning()) {
            reply->abort();
        }
        // QCoro resumes call() through a queued call on the reply: delivered here, as the
        // contract above says, and before ~QNetworkAccessManager deletes the reply (which would
        // drop the call and leave the coroutine suspended for good).
        if (reply) {
            QCoreApplication::sendPostedEvents(reply, QEvent::MetaCall);
        }
    }
}

milliseconds AttachClient::nextBackoff() {
    const int doublings = std::min(m_failures, 10);
    ++m_failures;
    return std::min(m_timing.backoffMax, m_timing.backoffMin * (1 << doublings));
}

void AttachClient::restart(const QString& why) {
    ++m_generation;
    abortAll();
    clearAlerts();
    flushUpdates();
    m_flush.stop();
    setState(State::Disconnected, why);
    run(m_generation, nextBackoff());
}

bool AttachClient::unauthorized(const Answer& a) const {
    return a.status == 401 || a.status == 403;
}

std::optional<QString> AttachClient::problem(const Answer& a, const QString& path) const {
    if (a.status == 200) {
        return std::nullopt;
    }
    if (a.status == 0) {
        return tr("cannot reach %1: %2").arg(m_base.toString(), a.error);
    }
    const QString said = QJsonDocument::fromJson(a.body)
                             .object()
                             .value(QStringLiteral("error"))
                             .toString(QString::fromUtf8(a.body.left(200)).simplified());
    if (unauthorized(a)) {
        return m_token.isEmpty() ? tr("the gateway wants an admin token: %1").arg(said)
                                 : tr("the gateway refused the admin token: %1").arg(said);
    }
    return tr("%1 answered %2 %3").arg(path).arg(a.status).arg(said);
}

QCoro::Task<AttachClient::Answer> AttachClient::call(QByteArray method, QString path,
                                                     QByteArray body) {
    QUrl url = m_base;
    url.setPath(path);
    QNetworkRequest request(url);
    request.setTransferTimeout(static_cast<int>(m_timing.requestTimeout.count()));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    if (!m_token.isEmpty()) {
        request.setRawHeader("Authorization", "Bearer " + m_token);
    }
    QNetworkReply* raw = method == "POST" ? m_nam.post(request, body) : m_nam.get(request);
    m_replies.removeIf([](const QPointer<QNetworkReply>& r) { return !r; });
    m_replies.append(raw);
    // Owned from here; finished() always comes: an abort (detach, the destructor) finishes it.
    const std::unique_ptr<QNetworkReply, DeleteLater> reply(raw);
    co_await qCoro(raw).waitForFinished();
    // `this` may be gone now: only the reply is touched.
    Answer out;
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.body = reply->readAll();
    if (out.status == 0) {
        out.error = reply->error() == QNetworkReply::OperationCanceledError
                        ? QStringLiteral("no answer in time")
                        : reply->errorString();
    }
    co_return out;
}

QCoro::Task<> AttachClient::pause(milliseconds delay) {
    co_await qCoro(this, &AttachClient::stopping, delay);
}

QCoro::Task<> AttachClient::run(quint64 generation, milliseconds delay) {
    QPointer<AttachClient> self(this);
    const auto current = [&self, generation] { return self && self->m_generation == generation; };
    try {
        if (delay.count() > 0) {
            co_await pause(delay);
        }
        // Connect: the config says this is a gateway, and what its limits are.
        while (current()) {
            const Answer a = co_await call("GET", QStringLiteral("/admin/config"));
            if (!current()) {
                co_return;
            }
            if (unauthorized(a)) {
                setState(State::Unauthorized, *problem(a, QStringLiteral("/admin/config")));
                co_return;
            }
            std::optional<QString> why = problem(a, QStringLiteral("/admin/config"));
            std::optional<GatewayConfig> config;
            if (!why) {
                auto parsed = attach::parseConfig(a.body);
                if (parsed) {
                    config = std::move(parsed).value();
                    m_configJson = QJsonDocument::fromJson(a.body).object();
                } else {
                    why = tr("not a Sluice gateway's answer: %1").arg(parsed.error().text());
                }
            }
            if (why) {
                setState(State::Disconnected, *why);
                co_await pause(nextBackoff());
                continue;
            }
            adopt(*config, false);
            break;
        }
        if (!current()) {
            co_return;
        }
        m_failures = 0;
        m_since.start();
        m_previous.reset();
        m_alerts.emplace();
        openEvents(generation);
        m_flush.start();
        setState(State::Attached, m_base.toString());

        // Follow: the figures twice a second; any failure starts over (restart()).
        while (current()) {
            const Answer a = co_await call("GET", QStringLiteral("/admin/stats"));
            if (!current()) {
                co_return;
            }
            if (unauthorized(a)) {
                ++m_generation;
                abortAll();
                clearAlerts();
                setState(State::Unauthorized, *problem(a, QStringLiteral("/admin/stats")));
                co_return;
            }
            if (const auto why = problem(a, QStringLiteral("/admin/stats"))) {
                restart(*why);
                co_return;
            }
            auto stats = attach::parseStats(a.body);
            if (!stats) {
                restart(tr("not a Sluice gateway's answer: %1").arg(stats.error().text()));
                co_return;
            }
            onStats(stats->snapshot, stats->alarms);
            Q_EMIT statsJson(stats->raw);
            if (m_config && stats->configVersion != m_config->version) {
                // Changed elsewhere (`sluice config set`, another console): read what it is.
                const Answer c = co_await call("GET", QStringLiteral("/admin/config"));
                if (!current()) {
                    co_return;
                }
                if (!problem(c, QStringLiteral("/admin/config"))) {
                    if (auto config = attach::parseConfig(c.body)) {
                        m_configJson = QJsonDocument::fromJson(c.body).object();
                        adopt(*config, false);
                    }
                }
            }
            co_await pause(m_timing.pollInterval);
        }
    } catch (const std::exception& e) {
        qWarning("attach: %s", e.what()); // a fire-and-forget task's exception would vanish
    }
}

QCoro::Task<> AttachClient::post(quint64 generation, QByteArray body) {
    QPointer<AttachClient> self(this);
    try {
        const Answer a = co_await call("POST", QStringLiteral("/admin/config"), body);
        if (!self || self->m_generation != generation) {
            co_return;
        }
        if (a.status == 400) {
            const QJsonObject e = QJsonDocument::fromJson(a.body).object();
            Q_EMIT limitsRefused(Error::invalid(e.value(QStringLiteral("field")).toString(),
                                                e.value(QStringLiteral("error")).toString()));
            co_return;
        }
        if (const auto why = problem(a, QStringLiteral("/admin/config"))) {
            Q_EMIT limitsRefused(Error{Error::Kind::Unavailable, {}, *why});
            co_return;
        }
        auto config = attach::parseConfig(a.body);
        if (!config) {
            Q_EMIT limitsRefused(config.error());
            co_return;
        }
        m_configJson = QJsonDocument::fromJson(a.body).object();
        adopt(*config, true);
    } catch (const std::exception& e) {
        qWarning("attach: %s", e.what());
    }
}

void AttachClient::adopt(const GatewayConfig& config, bool ours) {
    const std::optional<GatewayConfig> before = m_config;
    if (before && before->version >= config.version && !ours) {
        return; // an older answer than the one already read
    }
    m_config = config;
    Q_EMIT configJson(m_configJson);
    const QStringList changes = before ? attach::configChanges(*before, config) : QStringList{};
    Q_EMIT configChanged(config, changes, ours);
}

void AttachClient::onStats(const EngineSnapshot& stats, const QStringList& alarms) {
    Q_UNUSED(alarms) // new alarms arrive on the event stream
    EngineSnapshot s = stats;
    s.at = Nanos{m_since.nsecsElapsed()};
    if (m_previous && m_alerts) {
        const SecondTotals window = SecondTotals::between(*m_previous, s);
        for (const AlertEvent& e : m_alerts->evaluate(s.at, alertValues(s, window))) {
            Q_EMIT alertChanged(e);
        }
    }
    m_previous = s;
    Q_EMIT snapshot(s);
}

void AttachClient::clearAlerts() {
    if (!m_alerts) {
        return;
    }
    // What was raised on figures that no longer come is not raised any more.
    for (const QString& name : m_alerts->activeRules()) {
        for (const AlertRule& rule : m_alerts->rules()) {
            if (rule.name == name) {
                Q_EMIT alertChanged(AlertEvent{Nanos{m_since.nsecsElapsed()}, rule.name,
                                               rule.severity, false, 0, rule.text});
            }
        }
    }
    m_alerts.reset();
    m_previous.reset();
}

void AttachClient::openEvents(quint64 generation) {
    QUrl url = m_base;
    url.setPath(QStringLiteral("/admin/events"));
    QNetworkRequest request(url);
    if (!m_token.isEmpty()) {
        request.setRawHeader("Authorization", "Bearer " + m_token);
    }
    request.setRawHeader("Accept", "text/event-stream");
    m_sse->reset();
    QNetworkReply* reply = m_nam.get(request);
    m_events = reply;
    m_replies.append(reply);
    connect(reply, &QNetworkReply::readyRead, this, &AttachClient::onEventBytes);
    connect(reply, &QNetworkReply::finished, this, [this, reply, generation] {
        reply->deleteLater();
        if (generation == m_generation && m_state == State::Attached) {
            // A gateway that stops streaming has gone (or restarted): start over at once.
            restart(tr("the gateway's event stream ended: %1")
                        .arg(reply->error() == QNetworkReply::NoError ? tr("closed")
                                                                      : reply->errorString()));
        }
    });
}

void AttachClient::onEventBytes() {
    if (!m_events) {
        return;
    }
    std::vector<SseEvent> events;
    m_sse->feed(m_events->readAll(), events);
    for (const SseEvent& e : events) {
        if (e.event == "alarm") {
            const QJsonObject alarm = QJsonDocument::fromJson(e.data).object();
            Q_EMIT this->alarm(alarm.value(QStringLiteral("message")).toString());
        } else if (e.event == "state") {
            if (auto update = attach::parseEvent(e.data)) {
                m_pending.append(*update);
            }
        }
    }
    if (m_pending.size() > kMaxPending) {
        m_pending.remove(0, m_pending.size() - kMaxPending);
    }
}

void AttachClient::flushUpdates() {
    if (!m_pending.isEmpty()) {
        Q_EMIT requestsUpdated(std::exchange(m_pending, {}));
    }
}

} // namespace sluice
