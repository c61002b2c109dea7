#include "core/net/requestengine.h"

#include "core/metrics/percentile.h"
#include "core/net/attemptresult.h"
#include "core/net/hopbyhop.h"
#include "core/net/clientpool.h"
#include "core/net/errorbody.h"
#include "core/net/ratelimitheaders.h"
#include "core/net/tokenestimate.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

#include <QCoroSignal>

#include <algorithm>
#include <cmath>

namespace sluice {

const char* stateName(RequestState state) {
    switch (state) {
    case RequestState::Queued:
        return "queued";
    case RequestState::WaitingBudget:
        return "waiting_budget";
    case RequestState::InFlight:
        return "in_flight";
    case RequestState::Streaming:
        return "streaming";
    case RequestState::Retrying:
        return "retrying";
    case RequestState::Done:
        return "done";
    case RequestState::Failed:
        return "failed";
    case RequestState::Rejected:
        return "rejected";
    case RequestState::TimedOut:
        return "timed_out";
    case RequestState::Cancelled:
        return "cancelled";
    }
    return "?";
}

struct RequestEngine::Call {
    EngineRequest request;
    RequestRecord record;
    Completion done;
    std::string keyId;
    std::string breakerKey;
    RateBudget* budget = nullptr;
    std::uint64_t scope = 0;
    Nanos deadline = Nanos::max();
    QString lane;
    std::int64_t reservedTokens = 0;
    std::uint64_t admission = 0; // budget admission number of the current attempt
    bool holdsSlot = false;      // a concurrency slot (Admission) and a connection slot
    int connectionSlot = -1;
    bool breakerPermit = false;
    QPointer<QNetworkReply> reply;
    bool cancelRequested = false;
    bool deadlineHit = false;
    Nanos retryAt{0};
    Nanos previousDelay{0};
    ResponseReader reader{ApiFormat::OpenAi, true};
};

namespace {

std::string keyIdentity(const QByteArray& apiKey) {
    // A stable, non-secret identity: the masked form plus a short digest.
    const QByteArray digest =
        QCryptographicHash::hash(apiKey, QCryptographicHash::Sha256).toHex().left(8);
    return (maskKey(apiKey) + QLatin1Char('#') + QString::fromLatin1(digest)).toStdString();
}

ServerLimitView toView(const RateLimitInfo& info) {
    ServerLimitView v;
    v.limitRequests = info.limitRequests;
    v.remainingRequests = info.remainingRequests;
    v.limitTokens = info.tokensCombined ? info.limitTokens : std::nullopt;
    v.remainingTokens = info.remainingTokens;
    v.resetRequests = info.resetRequests;
    v.resetTokens = info.resetTokens;
    v.retryAfter = info.retryAfter;
    return v;
}

} // namespace

EngineRequest chatRequest(ApiFormat format, const QUrl& base, QByteArray apiKey, QString model,
                          const QList<ChatMessage>& messages, int maxTokens, bool stream) {
    EngineRequest r;
    r.format = format;
    r.endpoint = endpointUrl(format, base);
    r.apiKey = std::move(apiKey);
    r.model = std::move(model);
    r.stream = stream;
    r.body = buildChatBody(format, r.model, messages, maxTokens, stream);
    r.maxTokens = maxTokens;
    r.promptTokens = 0; // as estimatePromptTokens() counts the body: 3 per message plus text
    for (const ChatMessage& m : messages) {
        r.promptTokens += 3 + estimateTokens(m.content);
    }
    return r;
}

RequestEngine::RequestEngine(EngineConfig config, const Clock* clock, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_ownClock(clock ? nullptr : std::make_unique<SteadyClock>())
    , m_clock(clock ? *clock : *m_ownClock)
    , m_admission(m_config.queue, m_config.concurrency.initial)
    , m_concurrency(m_config.concurrency, m_clock)
    , m_retry(m_config.retry, m_clock, m_config.seed)
    , m_guard(m_config.resources, m_clock)
    , m_pool(new ClientPool(m_config.managers, this)) {
    qRegisterMetaType<sluice::EngineSnapshot>();
    qRegisterMetaType<sluice::RequestUpdate>();
    m_steadyClock = dynamic_cast<const SteadyClock*>(&m_clock) != nullptr;
    m_admission.setLimit(m_concurrency.limit());
    m_budgets.setRules(m_config.budgets, m_clock.now());
    m_pool->setHttp2(m_config.http2);
    m_wake.setSingleShot(true);
    m_wake.setTimerType(Qt::PreciseTimer);
    connect(&m_wake, &QTimer::timeout, this, &RequestEngine::pump);
    m_tick.setInterval(std::max(1, realMs(m_clock, m_config.snapshotInterval)));
    connect(&m_tick, &QTimer::timeout, this, &RequestEngine::tick);
    m_tick.start();
    m_deadlineTimer.setSingleShot(true);
    m_deadlineTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_deadlineTimer, &QTimer::timeout, this, &RequestEngine::onDeadlineTimer);
}

void RequestEngine::addDeadline(Nanos at, std::uint64_t id, int attempt) {
    const bool earliest = m_deadlines.empty() || at < m_deadlines.top().at;
    m_deadlines.push(Deadline{at, id, attempt});
    if (earliest) {
        armDeadlineTimer();
    }
}

void RequestEngine::armDeadlineTimer() {
    if (m_deadlines.empty()) {
        m_deadlineTimer.stop();
        return;
    }
    m_deadlineTimer.start(realMs(m_clock, m_deadlines.top().at - m_clock.now()));
}

void RequestEngine::onDeadlineTimer() {
    const Nanos now = m_clock.now();
    while (!m_deadlines.empty() && m_deadlines.top().at <= now) {
        const Deadline d = m_deadlines.top();
        m_deadlines.pop();
        Call* call = find(d.id);
        if (call && call->record.attempts == d.attempt && call->reply) {
            call->deadlineHit = true;
            call->reply->abort();
        }
    }
    armDeadlineTimer();
}

RequestEngine::~RequestEngine() {
    // Replies must finish (aborted) while the engine is whole; their coroutines see m_closing.
    m_closing = true;
    m_pool->abortAll();
    // Whatever has not ended ends now, so every caller hears exactly once.
    while (!m_calls.empty()) {
        Call& c = *m_calls.begin()->second;
        c.holdsSlot = false; // the pool and the admission go with the engine
        finish(c, RequestState::Cancelled, {FailureKind::Cancelled},
               QStringLiteral("the engine stopped"));
    }
}

RequestEngine::Call* RequestEngine::find(std::uint64_t id) {
    const auto it = m_calls.find(id);
    return it == m_calls.end() ? nullptr : it->second.get();
}

std::uint64_t RequestEngine::scopeOf(RateBudget* budget) {
    auto [it, inserted] = m_scopeIds.emplace(budget, m_scopeIds.size() + 1);
    if (inserted) {
        m_scopes.emplace(it->second, budget);
    }
    return it->second;
}

CircuitBreaker& RequestEngine::breakerFor(const std::string& key) {
    auto& slot = m_breakers[key];
    if (!slot) {
        slot = std::make_unique<CircuitBreaker>(m_config.breaker, m_clock);
    }
    return *slot;
}

RateBudget& RequestEngine::budget(const QByteArray& apiKey, const QString& model) {
    return m_budgets.budgetFor(keyIdentity(apiKey), model.toStdString());
}

std::uint64_t RequestEngine::submit(EngineRequest request, Completion done) {
    if (m_closing) {
        return 0; // a completion resubmitting while the engine is destroyed
    }
    const Nanos now = m_clock.now();
    auto call = std::make_unique<Call>();
    Call& c = *call;
    c.record.id = ++m_nextId;
    c.record.priority = request.priority;
    c.record.submittedAt = now;
    c.record.intendedAt = request.intendedAt;
    c.done = std::move(done);
    c.keyId = keyIdentity(request.apiKey);
    c.breakerKey = c.keyId + ' ' + request.endpoint.toString(QUrl::RemoveQuery).toStdString();
    c.lane = request.lane.isEmpty() ? QString::fromStdString(c.keyId) : request.lane;
    if (request.promptTokens < 0 || request.maxTokens < 0) {
        const QJsonObject body = QJsonDocument::fromJson(request.body).object();
        if (request.promptTokens < 0) {
            request.promptTokens = estimatePromptTokens(body);
        }
        if (request.maxTokens < 0) {
            const QJsonValue max = body.contains(QStringLiteral("max_completion_tokens"))
                                       ? body.value(QStringLiteral("max_completion_tokens"))
                                       : body.value(QStringLiteral("max_tokens"));
            request.maxTokens = max.isDouble() ? max.toInteger() : m_config.defaultMaxTokens;
        }
    }
    c.reservedTokens = request.promptTokens + request.maxTokens;
    c.record.reservedTokens = c.reservedTokens;
    c.record.promptTokens = request.promptTokens;
    c.budget = &m_budgets.budgetFor(c.keyId, request.model.toStdString());
    c.scope = scopeOf(c.budget);
    if (request.timeout.count() > 0) {
        c.deadline = now + request.timeout;
    }
    c.request = std::move(request);
    const std::uint64_t id = c.record.id;
    m_calls.emplace(id, std::move(call));
    ++m_counters.submitted;

    if (c.budget->tooLarge(c.reservedTokens)) {
        finish(c, RequestState::Rejected, {FailureKind::TooLarge},
               QStringLiteral("needs %1 tokens (prompt + max_tokens), more than a token limit")
                   .arg(c.reservedTokens));
        return id;
    }
    const auto pushed = m_admission.submit(QueueEntry{id, c.request.priority, c.lane.toStdString(),
                                                      c.scope, c.record.submittedAt,
                                                      queueDeadline(c, now)});
    if (pushed.result != RequestQueue::Push::Accepted) {
        finish(c, RequestState::Rejected, {FailureKind::QueueFull},
               QStringLiteral("queue full (%1 waiting)").arg(m_config.queue.capacity));
        return id;
    }
    ++m_queuedPerScope[c.scope];
    markDirty(c);
    schedulePump();
    // Last: the victim's completion may do anything, including cancel this request.
    if (pushed.displaced) {
        --m_queuedPerScope[pushed.displaced->scope];
        if (Call* victim = find(pushed.displaced->id)) {
            finish(*victim, RequestState::Rejected, {FailureKind::QueueFull},
                   QStringLiteral("queue full: displaced by a more urgent request"));
        }
    }
    return id;
}

QCoro::Task<RequestRecord> RequestEngine::run(EngineRequest request) {
    auto result = std::make_shared<std::optional<RequestRecord>>();
    auto signal = std::make_shared<QTimer>();
    signal->setSingleShot(true);
    QTimer* raw = signal.get();
    const std::uint64_t id = submit(std::move(request), [result, raw](const RequestRecord& r) {
        *result = r;
        raw->start(0);
    });
    if (id == 0) {
        RequestRecord stopped;
        stopped.state = RequestState::Cancelled;
        stopped.reason = QStringLiteral("the engine is stopping");
        co_return stopped;
    }
    if (!*result || raw->isActive()) {
        co_await qCoro(raw, &QTimer::timeout);
    }
    co_return **result;
}

bool RequestEngine::cancel(std::uint64_t id) {
    Call* c = find(id);
    if (!c || isTerminal(c->record.state)) {
        return false;
    }
    switch (c->record.state) {
    case RequestState::Queued:
    case RequestState::WaitingBudget:
        if (m_admission.cancel(id)) {
            --m_queuedPerScope[c->scope];
        }
        finish(*c, RequestState::Cancelled, {FailureKind::Cancelled}, QStringLiteral("cancelled"));
        return true;
    case RequestState::Retrying:
        if (m_admission.cancel(id)) {
            --m_queuedPerScope[c->scope];
        }
        finish(*c, RequestState::Cancelled, {FailureKind::Cancelled}, QStringLiteral("cancelled"));
        return true;
    case RequestState::InFlight:
    case RequestState::Streaming:
        c->cancelRequested = true;
        if (c->reply) {
            c->reply->abort(); // finished() follows; the attempt ends as cancelled
        }
        return true;
    default:
        return false;
    }
}

void RequestEngine::cancelAll() {
    std::vector<std::uint64_t> ids;
    ids.reserve(m_calls.size());
    for (const auto& [id, call] : m_calls) {
        ids.push_back(id);
    }
    for (std::uint64_t id : ids) {
        cancel(id);
    }
}

void RequestEngine::schedulePump() {
    if (m_pumpQueued) {
        return;
    }
    m_pumpQueued = true;
    QMetaObject::invokeMethod(this, &RequestEngine::pump, Qt::QueuedConnection);
}

void RequestEngine::pump() {
    m_pumpQueued = false;
    if (m_pumping || m_closing) {
        return;
    }
    m_pumping = true;
    const Nanos now = m_clock.now();
    for (const QueueEntry& e : m_admission.expire(now)) {
        --m_queuedPerScope[e.scope];
        if (Call* c = find(e.id)) {
            const bool queueBound = c->request.queueTimeout.count() > 0 && now < c->deadline;
            finish(*c, RequestState::TimedOut, {FailureKind::Deadline},
                   queueBound ? QStringLiteral("queued longer than the queue timeout (%1 s)")
                                    .arg(toSeconds(c->request.queueTimeout), 0, 'g', 3)
                              : QStringLiteral("deadline passed while queued"));
        }
    }
    const bool paused = m_guard.paused();
    auto scopeOpen = [this, now, paused](std::uint64_t scope) {
        return !paused && m_scopes.at(scope)->waitTime(now).count() == 0;
    };
    // Scopes are few and requests many: look at the queue only when some scope with queued
    // requests is open, or a closed scope's backlog would be walked on every event.
    auto anyOpen = [this, &scopeOpen] {
        return std::any_of(
            m_queuedPerScope.begin(), m_queuedPerScope.end(),
            [&](const auto& entry) { return entry.second > 0 && scopeOpen(entry.first); });
    };
    while (anyOpen()) {
        auto entry = m_admission.acquire(now, scopeOpen);
        if (!entry) {
            break;
        }
        --m_queuedPerScope[entry->scope];
        Call* c = find(entry->id);
        if (!c) {
            m_admission.release();
            continue;
        }
        // While requests wait, the time between dispatches is what a promoted (aged) request
        // still has to wait for a slot: promote that much early, so it goes by its max age.
        // Gaps between completions are random, so the lead covers the longest recent gap
        // twice over (a second aged request may be ahead), and at least 3 mean gaps.
        if (m_admission.queued() > 0 || m_lastDispatch.count() > 0) {
            if (m_lastDispatch.count() > 0) {
                const Nanos gapNs = now - m_lastDispatch;
                const double gap = static_cast<double>(gapNs.count());
                m_dispatchGap = m_dispatchGap > 0 ? 0.9 * m_dispatchGap + 0.1 * gap : gap;
                m_recentGaps[m_recentGapAt++ % m_recentGaps.size()] = gapNs;
                const Nanos longest = *std::max_element(m_recentGaps.begin(), m_recentGaps.end());
                m_admission.setAgingLead(
                    std::max(Nanos{static_cast<Nanos::rep>(3 * m_dispatchGap)}, 2 * longest));
            }
            m_lastDispatch = m_admission.queued() > 0 ? now : Nanos{0};
        }
        dispatch(*c);
    }
    armWake(now);
    m_pumping = false;
}

void RequestEngine::armWake(Nanos now) {
    std::optional<Nanos> next = m_admission.nextEvent(now);
    if (m_admission.inFlight() < m_admission.limit()) {
        for (const auto& [scope, count] : m_queuedPerScope) {
            if (count <= 0) {
                continue;
            }
            const Nanos wait = m_scopes.at(scope)->waitTime(now);
            if (wait.count() > 0) {
                next = next ? std::min(*next, now + wait) : now + wait;
            }
        }
    }
    if (!next) {
        m_wake.stop();
        return;
    }
    m_wake.start(realMs(m_clock, *next - now));
}

void RequestEngine::dispatch(Call& c) {
    const Nanos now = m_clock.now();
    c.holdsSlot = true;
    CircuitBreaker& breaker = breakerFor(c.breakerKey);
    if (!breaker.tryAcquire()) {
        ++m_counters.errors; // a fast failure is an error like any other on the charts
        finish(c, RequestState::Failed, {FailureKind::CircuitOpen},
               QStringLiteral("circuit open: the endpoint is failing"));
        return;
    }
    c.breakerPermit = true;
    c.admission = c.budget->admit(c.reservedTokens, now);
    c.connectionSlot = m_pool->acquireSlot();
    if (c.record.attempts == 0) {
        m_retry.recordFirstAttempt();
        c.record.firstSentAt = now;
    } else {
        ++m_counters.retries;
    }
    ++c.record.attempts;
    ++m_counters.attempts;
    c.record.state = RequestState::InFlight;
    c.record.sentAt = now;
    c.record.headersAt = c.record.firstTokenAt = c.record.lastAt = Nanos{0};
    c.record.chunkTimes.clear();
    c.record.chunkTransit.clear();
    c.record.serverTtft.reset();
    c.record.chunks = 0;
    markDirty(c);
    if (c.deadline != Nanos::max()) {
        const std::uint64_t id = c.record.id;
        const int attempt = c.record.attempts;
        addDeadline(c.deadline, id, attempt);
    }
    startAttempt(c.record.id);
}

void RequestEngine::startAttempt(std::uint64_t id) {
    Call* c = find(id);
    if (!c) {
        return;
    }
    QNetworkRequest request = buildNetworkRequest(c->request.format, c->request.endpoint,
                                                  c->request.apiKey, c->request.stream);
    for (const auto& [name, value] : c->request.headers) {
        if (!isHopByHop(name)) {
            request.setRawHeader(name, value);
        }
    }
    if (m_config.transferTimeout.count() > 0) {
        request.setTransferTimeout(std::max(1, realMs(m_clock, m_config.transferTimeout)));
    }
    // Other endpoints passed through are read whole, not judged as a chat answer.
    c->reader = ResponseReader(c->request.format, c->request.chat && c->request.stream);
    c->record.errorBody.clear();
    c->record.errorHeaders.clear();
    QNetworkReply* reply =
        m_pool->send(c->connectionSlot, request, c->request.method, c->request.body);
    c->reply = reply;
    const Clock* clock = &m_clock;
    connect(reply, &QNetworkReply::requestSent, this, [this, id, clock] {
        if (Call* call = find(id)) {
            call->record.sentAt = clock->now();
        }
    });
    connect(reply, &QNetworkReply::metaDataChanged, this, [this, id, clock, reply] {
        if (Call* call = find(id);
            call && call->reply == reply && !call->record.headersAt.count()) {
            call->record.headersAt = clock->now();
            call->record.status =
                reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            commitToSink(*call, reply);
        }
    });
    connect(reply, &QNetworkReply::readyRead, this, [this, id, clock, reply] {
        Call* call = find(id);
        if (!call || call->reply != reply) {
            return;
        }
        const QByteArray bytes = reply->readAll();
        const Nanos now = clock->now();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (call->request.sink && commitToSink(*call, reply)) {
            call->request.sink->onBytes(bytes); // first: the caller's timing is what matters
        }
        const int chunks = call->reader.feed(bytes);
        call->record.lastAt = now;
        if (chunks > 0 && status >= 200 && status < 300) {
            if (!call->record.firstTokenAt.count()) {
                call->record.firstTokenAt = now;
                call->record.state = RequestState::Streaming;
                markDirty(*call);
            }
            call->record.chunks += chunks;
            for (int i = 0; i < chunks && call->record.chunkTimes.size() < 4096; ++i) {
                call->record.chunkTimes.push_back(now);
            }
            // Server stamps share our clock only when ours is the plain steady clock.
            const auto& stamps = call->reader.feedStamps();
            if (m_steadyClock && !stamps.empty()) {
                for (const std::int64_t stamp : stamps) {
                    if (stamp >= 0 && call->record.chunkTransit.size() < 4096) {
                        call->record.chunkTransit.push_back(now - Nanos{stamp});
                    }
                }
                if (!call->record.serverTtft && stamps.front() >= 0 &&
                    call->reader.serverArrivedNs() >= 0) {
                    call->record.serverTtft =
                        Nanos{stamps.front() - call->reader.serverArrivedNs()};
                }
            }
        }
    });
    // finished() is handled directly, not awaited: an awaiting coroutine resumes through a
    // queued call, which an engine being destroyed would never deliver (its frame would leak).
    connect(reply, &QNetworkReply::finished, this, [this, id, reply] {
        reply->deleteLater();
        Call* call = find(id);
        if (m_closing || !call || call->reply != reply) {
            return;
        }
        onAttemptFinished(*call, reply);
    });
}

void RequestEngine::onAttemptFinished(Call& c, QNetworkReply* reply) {
    const Nanos now = m_clock.now();
    c.reply = nullptr;
    if (reply->bytesAvailable() > 0) {
        const QByteArray rest = reply->readAll();
        if (c.request.sink && commitToSink(c, reply)) {
            c.request.sink->onBytes(rest);
        }
        c.reader.feed(rest);
    }
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status >= 400) {
        c.record.errorBody = c.reader.body();
        for (const auto& [name, value] : reply->rawHeaderPairs()) {
            if (!isHopByHop(name)) {
                c.record.errorHeaders.append({name.toLower(), value});
            }
        }
    }
    const QNetworkReply::NetworkError error = reply->error();
    c.record.status = status;
    c.record.lastAt = c.record.lastAt.count() ? c.record.lastAt : now;
    if (!c.record.headersAt.count() && status > 0) {
        c.record.headersAt = now;
    }

    // What the server told us about our limits, on every answer.
    const RateLimitInfo info =
        parseRateLimitHeaders(reply->rawHeaderPairs(), QDateTime::currentDateTimeUtc());
    const ServerLimitView view = toView(info);

    if (status >= 200 && status < 300) {
        c.reader.setContentType(reply->rawHeader("content-type"));
        c.reader.finish();
    }
    ReplyFacts facts;
    facts.status = status;
    facts.error = error;
    facts.errorString = error != QNetworkReply::NoError ? reply->errorString() : QString();
    facts.sawHeaders = c.record.headersAt.count() > 0 && status > 0;
    facts.cancelled = c.cancelRequested;
    facts.deadlineHit = c.deadlineHit;
    facts.stream = c.request.stream && c.request.chat;
    facts.judgeAnswer = c.request.chat;
    const AttemptResult result = classifyAttempt(facts, c.reader, c.request.apiKey);
    const Outcome outcome = result.outcome;
    const bool cancelled = facts.cancelled;
    c.record.outcome = outcome;
    c.record.attemptLog.push_back(
        AttemptRecord{c.record.sentAt, now, status, outcome, view.retryAfter});

    // Tokens: what the server charged, reconciled against the reservation.
    if (outcome == Outcome::Success) {
        if (!c.request.stream) {
            // A whole answer shows its first token when the body is complete.
            c.record.firstTokenAt = c.record.lastAt;
            c.record.chunks = 1;
        }
        if (c.reader.hasUsage()) {
            c.record.promptTokens =
                c.reader.promptTokens() > 0 ? c.reader.promptTokens() : c.record.promptTokens;
            c.record.completionTokens = c.reader.completionTokens();
            c.record.tokensEstimated = false;
        } else {
            c.record.completionTokens = c.reader.estimatedCompletionTokens();
            c.record.tokensEstimated = true;
        }
        c.budget->reconcile(c.admission, c.reservedTokens,
                            c.record.promptTokens + c.record.completionTokens);
        m_counters.tokensIn += c.record.promptTokens;
        m_counters.tokensOut += c.record.completionTokens;
    } else if (status >= 400 || error == QNetworkReply::ConnectionRefusedError ||
               error == QNetworkReply::HostNotFoundError) {
        c.budget->reconcile(c.admission, c.reservedTokens,
                            0); // refused, or never reached: nothing charged
    }
    // The server's view comes last, so a refund can never leave us believing in more room
    // than it says there is.
    if (m_config.followServerLimits) {
        c.budget->learn(view, c.admission, now);
    }
    if (outcome == Outcome::RateLimited) {
        ++m_counters.rateLimited;
        // Nobody on this key sends before the server said it may.
        if (m_config.followServerLimits) {
            const Nanos wait = view.retryAfter.value_or(std::chrono::seconds(1));
            m_budgets.blockKey(c.keyId, now + wait);
        }
    }

    // Breaker, concurrency and slots.
    if (c.breakerPermit) {
        CircuitBreaker& breaker = breakerFor(c.breakerKey);
        if (outcome == Outcome::Success) {
            breaker.onSuccess();
        } else if (countsAsBreakerFailure(outcome) && !c.deadlineHit) {
            breaker.onFailure();
        } else {
            breaker.onIgnored();
        }
        c.breakerPermit = false;
    }
    // Latency is learned from successes, congestion from congestion signals; a fast error (a
    // refused connection, a 400) says nothing about the server's queue.
    const bool congestion = isCongestionSignal(outcome) && !c.deadlineHit;
    if (outcome == Outcome::Success || congestion) {
        const Nanos signal = c.request.stream && c.record.firstTokenAt.count()
                                 ? c.record.firstTokenAt - c.record.sentAt
                                 : now - c.record.sentAt;
        if (m_concurrency.onSample(c.record.sentAt, signal, congestion, m_admission.inFlight())) {
            applyLimit(m_concurrency.limit());
        }
    }
    if (outcome == Outcome::Success) {
        ++m_counters.ok;
    } else if (outcome != Outcome::Cancelled) {
        ++m_counters.errors;
    }
    m_pool->releaseSlot(c.connectionSlot);
    c.connectionSlot = -1;
    c.holdsSlot = false;
    m_admission.release();

    // The request's fate.
    if (outcome == Outcome::Success) {
        finish(c, RequestState::Done);
    } else if (cancelled) {
        finish(c, RequestState::Cancelled, {FailureKind::Cancelled}, QStringLiteral("cancelled"));
    } else if (c.deadlineHit) {
        finish(c, RequestState::TimedOut, result.failure,
               QStringLiteral("deadline passed in flight: ") + result.why);
    } else {
        // Once bytes went to the caller, a retry would send them a second answer.
        const auto decision =
            isRetryable(outcome) && !c.record.committed
                ? m_retry.onFailure(outcome, c.record.attempts, view.retryAfter, c.previousDelay)
                : RetryPolicy::Decision{};
        QString why = result.why;
        if (result.failure.kind == FailureKind::TimeoutBeforeHeaders ||
            result.failure.kind == FailureKind::TimeoutMidStream) {
            why += QStringLiteral(" (no byte for %1 s)")
                       .arg(toSeconds(m_config.transferTimeout), 0, 'g', 3);
        }
        if (c.cancelRequested) { // cancelled while this answer was being handled
            finish(c, RequestState::Cancelled, {FailureKind::Cancelled},
                   QStringLiteral("cancelled"));
        } else if (decision.retry &&
                   (c.deadline == Nanos::max() || now + decision.delay < c.deadline)) {
            c.previousDelay = decision.delay;
            retryLater(c, decision.delay);
        } else if (decision.retry) {
            finish(c, RequestState::TimedOut, result.failure,
                   why + QStringLiteral("; no time left to retry"));
        } else {
            if (isRetryable(outcome)) {
                why += QStringLiteral("; not retried: ") + QString::fromLatin1(decision.reason);
            }
            finish(c, RequestState::Failed, result.failure, why);
        }
    }
    schedulePump();
}

void RequestEngine::retryLater(Call& c, Nanos delay) {
    c.record.state = RequestState::Retrying;
    c.retryAt = m_clock.now() + delay;
    markDirty(c);
    const std::uint64_t id = c.record.id;
    QTimer::singleShot(realMs(m_clock, delay), Qt::PreciseTimer, this, [this, id] { requeue(id); });
}

void RequestEngine::requeue(std::uint64_t id) {
    Call* c = find(id);
    if (!c || c->record.state != RequestState::Retrying) {
        return;
    }
    const Nanos now = m_clock.now();
    if (now < c->retryAt) {
        // Never early, whatever the timer did.
        QTimer::singleShot(std::max(1, realMs(m_clock, c->retryAt - now)), Qt::PreciseTimer, this,
                           [this, id] { requeue(id); });
        return;
    }
    // Keep the original submission time: a retry ages from when the caller asked.
    const auto pushed =
        m_admission.submit(QueueEntry{id, c->request.priority, c->lane.toStdString(), c->scope,
                                      c->record.submittedAt, queueDeadline(*c, now)});
    if (pushed.result != RequestQueue::Push::Accepted) {
        finish(*c, RequestState::Failed, {FailureKind::QueueFull},
               QStringLiteral("queue full when retrying"));
        return;
    }
    ++m_queuedPerScope[c->scope];
    c->record.state = RequestState::Queued;
    markDirty(*c);
    schedulePump();
    // Last: the victim's completion may do anything, including cancel this request.
    if (pushed.displaced) {
        --m_queuedPerScope[pushed.displaced->scope];
        if (Call* victim = find(pushed.displaced->id)) {
            finish(*victim, RequestState::Rejected, {FailureKind::QueueFull},
                   QStringLiteral("queue full: displaced by a more urgent request"));
        }
    }
}

void RequestEngine::finish(Call& c, RequestState state, FailureReason failure, QString reason) {
    if (isTerminal(c.record.state)) {
        return;
    }
    if (c.holdsSlot) {
        // Ended between dispatch and send (breaker refused): give the slot back.
        if (c.connectionSlot >= 0) {
            m_pool->releaseSlot(c.connectionSlot);
        }
        m_admission.release();
        c.holdsSlot = false;
    }
    c.record.state = state;
    c.record.failure = std::move(failure);
    c.record.reason = std::move(reason);
    c.record.endedAt = m_clock.now();
    if (state != RequestState::Done) {
        if (c.record.failure.kind == FailureKind::None) {
            c.record.failure.kind = FailureKind::Network; // never a failure without a reason
        }
        m_failures.add(c.record.failure, c.record.reason);
    }
    switch (state) {
    case RequestState::Done:
        ++m_counters.done;
        m_samples.push_back(Sample{c.record.endedAt, c.record.e2e().count(),
                                   c.record.totalTime().count(), c.record.ttft().count()});
        if (m_samples.size() > 100000) {
            m_samples.pop_front();
        }
        break;
    case RequestState::Failed:
        ++m_counters.failed;
        break;
    case RequestState::Rejected:
        ++m_counters.rejected;
        break;
    case RequestState::TimedOut:
        ++m_counters.timedOut;
        break;
    case RequestState::Cancelled:
        ++m_counters.cancelled;
        break;
    default:
        break;
    }
    markDirty(c);
    // Take the call out before running the completion, which may submit more.
    auto node = m_calls.extract(c.record.id);
    if (node.mapped()->done) {
        node.mapped()->done(node.mapped()->record);
    }
    if (m_calls.empty()) {
        Q_EMIT idle();
    }
}

void RequestEngine::markDirty(Call& c) {
    m_dirty.insert(c.record.id);
    if (isTerminal(c.record.state)) {
        // Terminal states are published from a copy, since the call goes away.
        m_finalUpdates.push_back(RequestUpdate{
            c.record.id, c.record.state, -1, c.record.priority, c.record.attempts, c.record.status,
            c.record.ttft(), c.record.e2e(), c.record.totalTime(), c.record.failure});
        m_dirty.erase(c.record.id);
    }
}

void RequestEngine::applyLimit(int limit) {
    if (limit == m_admission.limit()) {
        return;
    }
    m_admission.setLimit(limit);
    Q_EMIT limitChanged(limit);
    schedulePump();
}

void RequestEngine::setConcurrency(ConcurrencyConfig config) {
    m_config.concurrency = config;
    m_concurrency.setConfig(config);
    applyLimit(m_concurrency.limit());
}

void RequestEngine::setBudgets(std::vector<BudgetRule> rules) {
    m_config.budgets = rules;
    m_budgets.setRules(std::move(rules), m_clock.now());
    schedulePump(); // waiting callers are re-evaluated at once
}

void RequestEngine::setRetry(RetryConfig config) {
    m_config.retry = config;
    m_retry.setConfig(config);
}

void RequestEngine::setBreaker(BreakerConfig config) {
    m_config.breaker = config;
    for (auto& [key, breaker] : m_breakers) {
        breaker->setConfig(config);
    }
    schedulePump();
}

void RequestEngine::setQueue(QueueConfig config) {
    m_config.queue = config;
    m_admission.setQueueConfig(std::move(config));
    schedulePump();
}

Nanos RequestEngine::queueDeadline(const Call& c, Nanos now) const {
    if (c.request.queueTimeout.count() <= 0) {
        return c.deadline;
    }
    return std::min(c.deadline, now + c.request.queueTimeout);
}

std::int64_t RequestEngine::position(std::uint64_t id) const {
    return m_admission.position(id, m_clock.now());
}

bool RequestEngine::commitToSink(Call& c, QNetworkReply* reply) {
    if (!c.request.sink) {
        return false;
    }
    if (c.record.committed) {
        return true;
    }
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status < 200 || status >= 300) {
        return false; // an error answer may still be retried: the completion carries it
    }
    c.record.committed = true;
    HeaderPairs headers;
    for (const auto& [name, value] : reply->rawHeaderPairs()) {
        if (!isHopByHop(name)) {
            headers.append({name.toLower(), value});
        }
    }
    c.request.sink->onHeaders(status, headers);
    return true;
}

Nanos RequestEngine::expectedWait(std::int64_t position) const {
    if (position < 0 || m_dispatchGap <= 0) {
        return Nanos{0};
    }
    return Nanos{static_cast<Nanos::rep>(static_cast<double>(position + 1) * m_dispatchGap)};
}

std::vector<RequestStatus> RequestEngine::statuses() const {
    std::vector<RequestStatus> out;
    out.reserve(m_calls.size());
    const Nanos now = m_clock.now();
    const std::vector<std::uint64_t> order = m_admission.order(now);
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (auto s = status(order[i], static_cast<std::int64_t>(i))) {
            out.push_back(std::move(*s));
        }
    }
    for (const auto& [id, call] : m_calls) {
        const RequestState st = call->record.state;
        if (st != RequestState::Queued && st != RequestState::WaitingBudget) {
            if (auto s = status(id)) {
                out.push_back(std::move(*s));
            }
        }
    }
    return out;
}

std::optional<RequestStatus> RequestEngine::status(std::uint64_t id) const {
    return status(id, -2);
}

std::optional<RequestStatus> RequestEngine::status(std::uint64_t id,
                                                   std::int64_t knownPosition) const {
    const auto it = m_calls.find(id);
    if (it == m_calls.end()) {
        return std::nullopt;
    }
    const Call& c = *it->second;
    const Nanos now = m_clock.now();
    RequestStatus s;
    s.id = id;
    s.state = c.record.state;
    s.priority = c.record.priority;
    s.attempts = c.record.attempts;
    s.status = c.record.status;
    s.submittedAt = c.record.submittedAt;
    s.firstSentAt = c.record.firstSentAt;
    s.firstTokenAt = c.record.firstTokenAt;
    s.reason = c.record.reason;
    if (s.state == RequestState::Queued || s.state == RequestState::WaitingBudget) {
        s.position = knownPosition >= -1 ? knownPosition : position(id);
        const Nanos budgetWait = c.budget->waitTime(now);
        s.state = budgetWait.count() > 0 ? RequestState::WaitingBudget : RequestState::Queued;
        s.eta = std::max(expectedWait(s.position), budgetWait);
    }
    return s;
}

EngineSnapshot RequestEngine::snapshot() const {
    const Nanos now = m_clock.now();
    EngineSnapshot s;
    s.at = now;
    s.inFlight = m_admission.inFlight();
    s.limit = m_admission.limit();
    s.queued = static_cast<int>(m_admission.queued());
    Nanos nextAllowed = Nanos::max();
    for (const auto& [scope, count] : m_queuedPerScope) {
        if (count <= 0) {
            continue;
        }
        const Nanos wait = m_scopes.at(scope)->waitTime(now);
        if (wait.count() > 0) {
            s.waitingBudget += count;
            nextAllowed = std::min(nextAllowed, wait);
        }
    }
    s.nextAllowedIn = nextAllowed == Nanos::max() ? Nanos{0} : nextAllowed;
    s.submitted = m_counters.submitted;
    s.done = m_counters.done;
    s.failed = m_counters.failed;
    s.rejected = m_counters.rejected;
    s.timedOut = m_counters.timedOut;
    s.cancelled = m_counters.cancelled;
    s.attempts = m_counters.attempts;
    s.retries = m_counters.retries;
    s.rateLimited = m_counters.rateLimited;

    s.failures = m_failures.sorted();

    // Rates over the last second of engine time (tick() keeps the history).
    const auto& [then, old] =
        m_history.empty() ? std::pair<Nanos, Counters>{now, m_counters} : m_history.front();
    const double seconds = static_cast<double>((now - then).count()) / 1e9;
    if (seconds > 0) {
        s.sentPerSecond = static_cast<double>(m_counters.attempts - old.attempts) / seconds;
        s.okPerSecond = static_cast<double>(m_counters.ok - old.ok) / seconds;
        s.errorsPerSecond = static_cast<double>(m_counters.errors - old.errors -
                                                (m_counters.rateLimited - old.rateLimited)) /
                            seconds;
        s.rateLimitedPerSecond =
            static_cast<double>(m_counters.rateLimited - old.rateLimited) / seconds;
        s.tokensInPerSecond = static_cast<double>(m_counters.tokensIn - old.tokensIn) / seconds;
        s.tokensOutPerSecond = static_cast<double>(m_counters.tokensOut - old.tokensOut) / seconds;
    }
    std::vector<std::int64_t> e2e, total, ttft;
    e2e.reserve(m_samples.size());
    total.reserve(m_samples.size());
    for (const Sample& x : m_samples) {
        if (now - x.at > std::chrono::seconds(10)) {
            continue; // tick() drops them; a snapshot between ticks only skips them
        }
        e2e.push_back(x.e2e);
        total.push_back(x.total);
        if (x.ttft > 0) {
            ttft.push_back(x.ttft);
        }
    }
    s.e2eP50 = Nanos{percentile(e2e, 0.5)};
    s.e2eP95 = Nanos{percentile(e2e, 0.95)};
    s.e2eP99 = Nanos{percentile(e2e, 0.99)};
    s.totalP50 = Nanos{percentile(total, 0.5)};
    s.totalP95 = Nanos{percentile(total, 0.95)};
    s.totalP99 = Nanos{percentile(total, 0.99)};
    s.ttftP50 = Nanos{percentile(ttft, 0.5)};
    s.ttftP95 = Nanos{percentile(ttft, 0.95)};
    s.ttftP99 = Nanos{percentile(ttft, 0.99)};
    s.breaker = CircuitBreaker::State::Closed;
    for (auto& [key, breaker] : m_breakers) {
        const auto state = breaker->state();
        if (state == CircuitBreaker::State::Open || (state == CircuitBreaker::State::HalfOpen &&
                                                     s.breaker == CircuitBreaker::State::Closed)) {
            s.breaker = state;
        }
    }
    s.resources = m_resources;
    s.clientSaturated = m_guard.clientSaturated();
    return s;
}

void RequestEngine::tick() {
    const Nanos now = m_clock.now();
    m_history.emplace_back(now, m_counters);
    while (m_history.size() > 2 && now - m_history[1].first >= std::chrono::seconds(1)) {
        m_history.pop_front();
    }
    while (!m_samples.empty() && now - m_samples.front().at > std::chrono::seconds(10)) {
        m_samples.pop_front();
    }
    if (now - m_lastResourceSample >= std::chrono::seconds(1)) {
        m_lastResourceSample = now;
        const bool wasPaused = m_guard.paused();
        m_resources = m_guard.sample();
        if (wasPaused && !m_guard.paused()) {
            schedulePump();
        }
    }
    QList<RequestUpdate> updates;
    updates.reserve(static_cast<qsizetype>(m_dirty.size() + m_finalUpdates.size()));
    // Positions come from one walk of the dispatch order, not a search per request.
    std::unordered_map<std::uint64_t, std::int64_t> positions;
    bool haveOrder = false;
    for (std::uint64_t id : m_dirty) {
        Call* c = find(id);
        if (!c) {
            continue;
        }
        RequestUpdate u{id,
                        c->record.state,
                        -1,
                        c->record.priority,
                        c->record.attempts,
                        c->record.status,
                        c->record.ttft(),
                        Nanos{0},
                        Nanos{0},
                        {}};
        if (u.state == RequestState::Queued || u.state == RequestState::WaitingBudget) {
            if (!haveOrder) {
                const std::vector<std::uint64_t> order = m_admission.order(now);
                positions.reserve(order.size());
                for (std::size_t i = 0; i < order.size(); ++i) {
                    positions.emplace(order[i], static_cast<std::int64_t>(i));
                }
                haveOrder = true;
            }
            const auto it = positions.find(id);
            u.position = it == positions.end() ? -1 : it->second;
            const bool closed = c->budget->waitTime(now).count() > 0;
            u.state = closed ? RequestState::WaitingBudget : RequestState::Queued;
            c->record.state = u.state;
        }
        updates.push_back(u);
    }
    m_dirty.clear();
    for (RequestUpdate& u : m_finalUpdates) {
        updates.push_back(u);
    }
    m_finalUpdates.clear();
    if (!updates.isEmpty()) {
        Q_EMIT requestsUpdated(updates);
    }
    Q_EMIT snapshotReady(snapshot());
}

} // namespace sluice
