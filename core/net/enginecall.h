#pragma once

#include "core/engine/ratebudget.h"
#include "core/net/attemptresult.h"
#include "core/net/enginetypes.h"
#include "core/net/llmformat.h"

#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>

#include <cstdint>
#include <functional>
#include <string>

namespace sluice {

/// A stable, non-secret identity of an API key: its masked form plus a short digest.
std::string keyIdentity(const QByteArray& apiKey);

/// One finished attempt, as the engine's steps after it (learn, settle, decide) see it.
struct FinishedAttempt {
    Nanos now{0};
    int status = 0;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    ServerLimitView view; ///< what the server said about our limits, on every answer
    AttemptResult result;
    bool cancelled = false; ///< cancel() had been called when the answer was read
};

/// One request inside a RequestEngine: what was asked, its record so far, and the state of its
/// current attempt. Engine machinery, not API: the engine owns each call by id, in its thread,
/// and drops it when the request ends.
///
/// The methods keep the record (times, chunks, tokens, error parts) and talk to the reply and
/// the sink; every decision (limits, breaker, retry, the request's fate) stays in the engine.
/// A method that calls the sink may re-enter the engine through it; the engine looks the call
/// up again by id afterwards rather than trusting a pointer across a sink call.
struct EngineCall {
    EngineRequest request;
    RequestRecord record;
    std::function<void(const RequestRecord&)> done;
    std::string keyId;
    std::string breakerKey;
    RateBudget* budget = nullptr;
    std::uint64_t scope = 0;
    Nanos deadline = Nanos::max();
    QString lane;
    std::int64_t reservedTokens = 0;
    std::uint64_t admission = 0; ///< budget admission number of the current attempt
    bool holdsSlot = false;      ///< a concurrency slot (Admission) and a connection slot
    int connectionSlot = -1;
    bool breakerPermit = false;
    QPointer<QNetworkReply> reply;
    bool cancelRequested = false;
    bool deadlineHit = false;
    Nanos retryAt{0};
    Nanos previousDelay{0};
    ResponseReader reader{ApiFormat::OpenAi, true};
    // A pooled request (EngineRequest::pooled): the key of the current attempt and its
    // admission there, and what the pool made of the last answer.
    int poolKey = -1;
    std::uint64_t poolAdmission = 0;
    std::uint8_t poolVerdict = 0; ///< KeyPool::Verdict of the last attempt
    // The shared admission gate (RequestEngine::setGate()): the ask of the current attempt
    // while it waits there, and once admitted its lease and what it used, for settling.
    std::uint64_t gateTicket = 0;
    bool gateAdmitted = false;
    std::string gateLease;
    std::int64_t gateUsed = -1;     ///< tokens the attempt used (-1: not known, the reservation)
    std::int64_t gatePosition = -1; ///< the fleet-wide position last published while waiting there
    /// Its place in the queue as last published (RequestEngine::setPublishPositions()).
    std::int64_t publishedPosition = -1;
    bool publishedInFleet = false; ///< ... and whether that place counted the fleet
    /// Its shared queue as other processes see it (RequestEngine::sharedQueue()), once asked.
    mutable QString sharedQueue;
    /// Its place in the fleet's order (RequestEngine::fleetOrder()), once known.
    mutable std::int64_t fleetOrder = -1;

    /// Fills a new call from its request: id, times, key identity, breaker key and lane, and
    /// the token reservation (prompt and max_tokens from the body when the request left them
    /// at -1, else `defaultMaxTokens`). The engine sets the budget and scope.
    void open(EngineRequest request, std::uint64_t id, Nanos now, std::int64_t defaultMaxTokens);
    /// Resets the record for a new attempt sent at `now`: one more attempt, in flight, no
    /// answer yet.
    void beginAttempt(Nanos now);
    /// The network request of the current attempt (the caller's headers after the engine's,
    /// hop-by-hop ones dropped), with a fresh reader and no error parts. `transferTimeoutMs`
    /// is real milliseconds, 0 for none.
    QNetworkRequest prepareAttempt(int transferTimeoutMs);
    /// The answer's headers arrived (the first time only): status, time, and a 2xx committed
    /// to the sink.
    void onHeaders(QNetworkReply* reply, Nanos now);
    /// Body bytes arrived: the sink gets them first (the caller's timing is what matters), then
    /// the reader. True when they carry the first content token: the state became Streaming.
    /// `wallSteady`: our clock is the plain steady clock, so server stamps compare with it.
    bool onBytes(QNetworkReply* reply, const QByteArray& bytes, Nanos now, bool wallSteady);
    /// Forwards a 2xx answer's headers to the request's sink once; true when the request is
    /// committed to its sink (its bytes go there).
    bool commitToSink(QNetworkReply* reply);
    /// The reply finished: reads the rest, records status, end time and an error answer's
    /// parts, and classifies the attempt.
    FinishedAttempt readFinished(QNetworkReply* reply, Nanos now);
    /// A successful attempt's tokens, from the answer's usage or counted locally; returns what
    /// the attempt used in all (prompt + completion).
    std::int64_t recordTokens();

    /// Where the request is, from its record; the engine adds position, ETA and the budget's
    /// word on queued or waiting while it waits.
    RequestStatus status() const;
    /// The visible state for models, from the record (no position); the times and the
    /// failure once the request has ended.
    RequestUpdate update() const;
};

} // namespace sluice
