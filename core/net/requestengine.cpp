#include "core/net/requestengine.h"

#include "core/engine/admissiongate.h"
#include "core/net/clientpool.h"
#include "core/net/enginecall.h"
#include "core/net/nativereply.h"
#include "core/net/requestended.h"

#include <QNetworkReply>

#include <QCoroTimer>

#include <algorithm>

namespace sluice {

namespace {

/// When what `reply` delivers now reached this machine: the kernel's receive stamp where the
/// connection has one (plain-TCP HTTP/1.1, receivestamp.h) and the clock is the steady clock the
/// stamp is on; `now` otherwise. A busy client then does not add its own delay in getting to
/// the bytes to the server's TTFT and gaps. Never before the attempt was sent, never after now.
Nanos arrivalOf(QNetworkReply* reply, Nanos now, Nanos sentAt, bool wallSteady) {
    if (!wallSteady) {
        return now;
    }
    const auto* native = qobject_cast<const NativeReply*>(reply);
    const qint64 arrived = native ? native->arrivedNs() : 0;
    if (arrived <= 0 || arrived >= now.count()) {
        return now;
    }
    return std::max(Nanos{arrived}, sentAt);
}

} // namespace

RequestEngine::RequestEngine(EngineConfig config, const Clock* clock, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_ownClock(clock ? nullptr : std::make_unique<SteadyClock>())
    , m_clock(clock ? *clock : *m_ownClock)
    , m_admission(m_config.queue, m_config.concurrency.initial)
    , m_concurrency(m_config.concurrency, m_clock)
    , m_retry(m_config.retry, m_clock, m_config.seed)
    , m_guard(m_config.resources, m_clock)
    , m_pool(new ClientPool(m_config.managers, this))
    , m_deadlines(m_clock, [this](std::uint64_t id, int attempt) { onDeadline(id, attempt); }) {
    qRegisterMetaType<sluice::EngineSnapshot>();
    qRegisterMetaType<sluice::RequestUpdate>();
    m_admission.setLimit(m_concurrency.limit());
    m_budgets.setRules(m_config.budgets, m_clock.now());
    m_pool->setHttp2(m_config.http2);
    m_pool->setReceiveStamps(m_config.receiveStamps);
    m_wake.setSingleShot(true);
    m_wake.setTimerType(Qt::PreciseTimer);
    connect(&m_wake, &QTimer::timeout, this, &RequestEngine::pump);
    m_tick.setInterval(std::max(1, realMs(m_clock, m_config.snapshotInterval)));
    connect(&m_tick, &QTimer::timeout, this, &RequestEngine::tick);
    m_tick.start();
}

void RequestEngine::onDeadline(std::uint64_t id, int attempt) {
    // Only the attempt the deadline was set for, and only while it is on the network: an
    // attempt that ended (or a request that moved on) leaves its entry behind.
    Call* call = find(id);
    if (call && call->gateTicket != 0) {
        finish(*call, RequestState::TimedOut, {FailureKind::Deadline},
               QStringLiteral("waited too long for the shared limits"));
        return;
    }
    if (call && call->record.attempts == attempt && call->reply) {
        call->deadlineHit = true;
        call->reply->abort(); // finished() follows synchronously; the attempt ends timed out
    }
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
    c.open(std::move(request), ++m_nextId, now, m_config.defaultMaxTokens);
    c.done = std::move(done);
    const QString noKey = bindBudget(c);
    const std::uint64_t id = c.record.id;
    m_calls.emplace(id, std::move(call));
    m_stats.onSubmitted();

    if (!noKey.isEmpty()) {
        finish(c, RequestState::Rejected, {FailureKind::Network}, noKey);
    } else if (c.budget->tooLarge(c.reservedTokens)) {
        finish(c, RequestState::Rejected, {FailureKind::TooLarge},
               QStringLiteral("needs %1 tokens (prompt + max_tokens), more than a token limit")
                   .arg(c.reservedTokens));
    } else if (!enqueue(c, now)) {
        finish(c, RequestState::Rejected, {FailureKind::QueueFull},
               QStringLiteral("queue full (%1 waiting)").arg(m_config.queue.capacity));
    }
    return id;
}

bool RequestEngine::enqueue(Call& c, Nanos now) {
    // The original submission time, also for a retry: it ages from when the caller asked.
    const auto pushed =
        m_admission.submit(QueueEntry{c.record.id, c.request.priority, c.lane.toStdString(),
                                      c.scope, c.record.submittedAt, queueDeadline(c, now)});
    if (pushed.result != RequestQueue::Push::Accepted) {
        return false;
    }
    m_scopes.onQueued(c.scope);
    c.record.state = RequestState::Queued;
    markDirty(c);
    schedulePump();
    // Last: the victim's completion may do anything, including cancel this request.
    if (pushed.displaced) {
        m_scopes.onLeft(pushed.displaced->scope);
        if (Call* victim = find(pushed.displaced->id)) {
            finish(*victim, RequestState::Rejected, {FailureKind::QueueFull},
                   QStringLiteral("queue full: displaced by a more urgent request"));
        }
    }
    return true;
}

QCoro::Task<RequestRecord> RequestEngine::run(EngineRequest request) {
    RequestEnded ended;
    if (submit(std::move(request), ended.completion()) == 0) {
        RequestRecord stopped;
        stopped.state = RequestState::Cancelled;
        stopped.reason = QStringLiteral("the engine is stopping");
        co_return stopped;
    }
    RequestRecord record = co_await ended;
    // Resumed inside the request's completion: leave it (one event-loop turn) before the caller
    // goes on, since the caller may destroy the engine, which is still finishing the request.
    // `this` is not used from here on.
    co_await QCoro::sleepFor(std::chrono::milliseconds(0));
    co_return record;
}

bool RequestEngine::cancel(std::uint64_t id) {
    Call* c = find(id);
    if (!c || isTerminal(c->record.state)) {
        return false;
    }
    switch (c->record.state) {
    case RequestState::Queued:
    case RequestState::WaitingBudget:
    case RequestState::Retrying:
        if (m_admission.cancel(id)) {
            m_scopes.onLeft(c->scope);
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
        m_scopes.onLeft(e.scope);
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
        return !paused && m_scopes.isOpen(scope, now);
    };
    // Look at the queue only when some scope with queued requests is open (see QueueScopes).
    while (!paused && m_scopes.anyOpen(now)) {
        auto entry = m_admission.acquire(now, scopeOpen);
        if (!entry) {
            break;
        }
        m_scopes.onLeft(entry->scope);
        Call* c = find(entry->id);
        if (!c) {
            m_admission.release();
            continue;
        }
        if (const auto lead = m_pace.onDispatch(now, m_admission.queued() > 0)) {
            m_admission.setAgingLead(*lead); // see DispatchPace for why
        }
        dispatch(*c);
    }
    armWake(now);
    m_pumping = false;
}

void RequestEngine::armWake(Nanos now) {
    std::optional<Nanos> next = m_admission.nextEvent(now);
    if (m_admission.inFlight() < m_admission.limit()) {
        if (const auto closed = m_scopes.closed(now); closed.waiting > 0) {
            const Nanos opens = now + closed.firstOpensIn;
            next = next ? std::min(*next, opens) : opens;
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
        m_stats.onBreakerRefused();
        finish(c, RequestState::Failed, {FailureKind::CircuitOpen},
               QStringLiteral("circuit open: the endpoint is failing"));
        return;
    }
    c.breakerPermit = true;
    if (c.request.pooled && m_keyPool && !takePoolKey(c, now)) {
        breaker.onIgnored();
        c.breakerPermit = false;
        finish(c, RequestState::Failed, {FailureKind::Network},
               QStringLiteral("no upstream key left for model '%1'").arg(c.request.model));
        return;
    }
    c.admission = c.budget->admit(c.reservedTokens, now);
    c.connectionSlot = m_pool->acquireSlot();
    admitShared(c);
}

void RequestEngine::send(Call& c) {
    const Nanos now = m_clock.now();
    m_stats.onSent(c.record.attempts > 0);
    if (c.record.attempts == 0) {
        m_retry.recordFirstAttempt();
        c.record.firstSentAt = now;
    }
    c.beginAttempt(now);
    markDirty(c);
    if (c.deadline != Nanos::max()) {
        m_deadlines.add(c.deadline, c.record.id, c.record.attempts);
    }
    startAttempt(c.record.id);
}

void RequestEngine::startAttempt(std::uint64_t id) {
    Call* c = find(id);
    if (!c) {
        return;
    }
    const int transferMs = m_config.transferTimeout.count() > 0
                               ? std::max(1, realMs(m_clock, m_config.transferTimeout))
                               : 0;
    const QNetworkRequest request = c->prepareAttempt(transferMs);
    QNetworkReply* reply =
        m_pool->send(c->connectionSlot, request, c->request.method, c->request.body);
    c->reply = reply;
    // Each handler finds its call by id: the request may have ended (and its call gone) since.
    const Clock* clock = &m_clock;
    connect(reply, &QNetworkReply::requestSent, this, [this, id, clock] {
        if (Call* call = find(id)) {
            call->record.sentAt = clock->now();
        }
    });
    connect(reply, &QNetworkReply::metaDataChanged, this, [this, id, clock, reply] {
        if (Call* call = find(id); call && call->reply == reply) {
            call->onHeaders(
                reply, arrivalOf(reply, clock->now(), call->record.sentAt, m_clock.isWallSteady()));
        }
    });
    connect(reply, &QNetworkReply::readyRead, this, [this, id, clock, reply] {
        Call* call = find(id);
        if (!call || call->reply != reply) {
            return;
        }
        // One read of exactly what is there (readAll() on a sequential device grows and
        // shrinks its array to find out).
        QByteArray bytes(reply->bytesAvailable(), Qt::Uninitialized);
        bytes.resize(std::max<qint64>(0, reply->read(bytes.data(), bytes.size())));
        const Nanos at =
            arrivalOf(reply, clock->now(), call->record.sentAt, m_clock.isWallSteady());
        if (call->onBytes(reply, bytes, at, m_clock.isWallSteady())) {
            markDirty(*call);
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
    // Now, not at the next turn: an idle upstream connection gets the request in this one.
    m_pool->startQueued();
}

void RequestEngine::finish(Call& c, RequestState state, FailureReason failure, QString reason) {
    if (isTerminal(c.record.state)) {
        return;
    }
    leaveGate(c);
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
    }
    m_stats.onEnded(c.record);
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
    if (isTerminal(c.record.state)) {
        m_updates.ended(c.update());
    } else {
        m_updates.touch(c.record.id);
    }
}

Nanos RequestEngine::queueDeadline(const Call& c, Nanos now) const {
    if (c.request.queueTimeout.count() <= 0) {
        return c.deadline;
    }
    return std::min(c.deadline, now + c.request.queueTimeout);
}

} // namespace sluice
