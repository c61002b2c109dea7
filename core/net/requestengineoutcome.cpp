// What an attempt's end decides: the tokens it cost against its reservation, what the server
// said about its limits, the breaker and the concurrency limit, then the request's fate (done,
// retried later, or ended). RequestEngine's members, on the engine's thread.

#include "core/engine/admissiongate.h"
#include "core/net/clientpool.h"
#include "core/net/enginecall.h"
#include "core/net/requestengine.h"

#include <QNetworkReply>
#include <QTimer>

#include <algorithm>

namespace sluice {

void RequestEngine::onAttemptFinished(Call& c, QNetworkReply* reply) {
    c.reply = nullptr;
    const Attempt a = c.readFinished(reply, m_clock.now());
    learn(c, a);
    settleBreakerAndLimit(c, a);
    m_stats.onAnswer(a.result.outcome);
    releaseSlots(c);
    decideFate(c, a);
    schedulePump();
}

void RequestEngine::learn(Call& c, const Attempt& a) {
    // What the attempt cost, reconciled against its reservation.
    std::int64_t charged = c.reservedTokens; // a transfer that broke: assume all of it
    if (a.result.outcome == Outcome::Success) {
        charged = c.recordTokens();
        c.budget->reconcile(c.admission, c.reservedTokens, charged);
        m_stats.onTokens(c.record.promptTokens, c.record.completionTokens);
    } else if (a.status >= 200 && a.status < 300 && c.request.stream) {
        // A stream that ended early (its caller left, it broke, it timed out): charged what
        // the server sent so far, not the whole reservation.
        c.budget->reconcile(c.admission, c.reservedTokens, c.recordTokens());
        m_stats.onTokens(c.record.promptTokens, c.record.completionTokens);
    } else if (a.status >= 400 || a.error == QNetworkReply::ConnectionRefusedError ||
               a.error == QNetworkReply::HostNotFoundError) {
        // Refused, or never reached: nothing charged.
        charged = 0;
        c.budget->reconcile(c.admission, c.reservedTokens, 0);
    }
    // The server's view comes last, so a refund can never leave us believing in more room
    // than it says there is. A pool key's view is about that key: the pool keeps it.
    c.gateUsed = charged;
    const bool pooled = c.poolKey >= 0;
    if (pooled) {
        returnPoolKey(c, a, charged);
    } else if (m_config.followServerLimits) {
        c.budget->learn(a.view, c.admission, a.now);
    }
    if (a.result.outcome == Outcome::RateLimited) {
        m_stats.onRateLimited();
        // Nobody on this key sends before the server said it may (a pool cools its key).
        if (m_config.followServerLimits && !pooled) {
            const Nanos wait = a.view.retryAfter.value_or(std::chrono::seconds(1));
            m_budgets.blockKey(c.keyId, a.now + wait);
        }
    }
}

void RequestEngine::settleBreakerAndLimit(Call& c, const Attempt& a) {
    const Outcome outcome = a.result.outcome;
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
                                 : a.now - c.record.sentAt;
        if (m_concurrency.onSample(c.record.sentAt, signal, congestion, m_admission.inFlight())) {
            applyLimit(m_concurrency.limit());
        }
    }
}

void RequestEngine::releaseSlots(Call& c) {
    leaveGate(c);
    m_pool->releaseSlot(c.connectionSlot);
    c.connectionSlot = -1;
    c.holdsSlot = false;
    m_admission.release();
}

void RequestEngine::decideFate(Call& c, const Attempt& a) {
    const Outcome outcome = a.result.outcome;
    const AttemptResult& result = a.result;
    if (outcome == Outcome::Success) {
        finish(c, RequestState::Done);
        return;
    }
    if (a.cancelled) {
        finish(c, RequestState::Cancelled, {FailureKind::Cancelled}, QStringLiteral("cancelled"));
        return;
    }
    if (c.deadlineHit) {
        finish(c, RequestState::TimedOut, result.failure,
               QStringLiteral("deadline passed in flight: ") + result.why);
        return;
    }
    if (retryOnAnotherKey(c, a)) {
        return;
    }
    // Once bytes went to the caller, a retry would send them a second answer.
    const auto decision =
        isRetryable(outcome) && !c.record.committed
            ? m_retry.onFailure(outcome, c.record.attempts, a.view.retryAfter, c.previousDelay)
            : RetryPolicy::Decision{};
    QString why = result.why;
    if (result.failure.kind == FailureKind::TimeoutBeforeHeaders ||
        result.failure.kind == FailureKind::TimeoutMidStream) {
        why += QStringLiteral(" (no byte for %1 s)")
                   .arg(toSeconds(m_config.transferTimeout), 0, 'g', 3);
    }
    if (c.cancelRequested) {
        // Cancelled while this answer was being handled (a sink or a limitChanged slot may
        // call cancel()); the retry policy has counted the failure all the same.
        finish(c, RequestState::Cancelled, {FailureKind::Cancelled}, QStringLiteral("cancelled"));
    } else if (decision.retry &&
               (c.deadline == Nanos::max() || a.now + decision.delay < c.deadline)) {
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
    if (!enqueue(*c, now)) {
        finish(*c, RequestState::Failed, {FailureKind::QueueFull},
               QStringLiteral("queue full when retrying"));
    }
}

} // namespace sluice
