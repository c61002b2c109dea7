#include "core/net/enginecall.h"

#include "core/net/hopbyhop.h"
#include "core/net/ratelimitheaders.h"
#include "core/net/tokenestimate.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace sluice {

namespace {

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

int httpStatus(const QNetworkReply* reply) {
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

} // namespace

std::string keyIdentity(const QByteArray& apiKey) {
    // Asked at every request, nearly always for the key asked last: a hash is not free.
    thread_local QByteArray lastKey;
    thread_local std::string lastIdentity;
    if (!lastIdentity.empty() && apiKey == lastKey) {
        return lastIdentity;
    }
    const QByteArray digest =
        QCryptographicHash::hash(apiKey, QCryptographicHash::Sha256).toHex().left(8);
    lastIdentity = (maskKey(apiKey) + QLatin1Char('#') + QString::fromLatin1(digest)).toStdString();
    lastKey = apiKey;
    return lastIdentity;
}

void EngineCall::open(EngineRequest r, std::uint64_t id, Nanos now, std::int64_t defaultMaxTokens) {
    record.id = id;
    record.priority = r.priority;
    record.submittedAt = now;
    record.intendedAt = r.intendedAt;
    keyId = keyIdentity(r.apiKey);
    breakerKey = keyId + ' ' + r.endpoint.toString(QUrl::RemoveQuery).toStdString();
    lane = r.lane.isEmpty() ? QString::fromStdString(keyId) : r.lane;
    if (r.promptTokens < 0 || r.maxTokens < 0) {
        const QJsonObject body = QJsonDocument::fromJson(r.body).object();
        if (r.promptTokens < 0) {
            r.promptTokens = estimatePromptTokens(body);
        }
        if (r.maxTokens < 0) {
            r.maxTokens = requestedMaxTokens(body, defaultMaxTokens);
        }
    }
    reservedTokens = r.promptTokens + r.maxTokens;
    record.reservedTokens = reservedTokens;
    record.promptTokens = r.promptTokens;
    if (r.timeout.count() > 0) {
        deadline = now + r.timeout;
    }
    request = std::move(r);
}

void EngineCall::beginAttempt(Nanos now) {
    ++record.attempts;
    record.state = RequestState::InFlight;
    record.sentAt = now;
    record.headersAt = record.firstTokenAt = record.lastAt = Nanos{0};
    record.chunkTimes.clear();
    record.chunkTransit.clear();
    record.serverTtft.reset();
    record.chunks = 0;
}

QNetworkRequest EngineCall::prepareAttempt(int transferTimeoutMs) {
    QNetworkRequest out =
        buildNetworkRequest(request.format, request.endpoint, request.apiKey, request.stream);
    for (const auto& [name, value] : request.headers) {
        if (!isHopByHop(name)) {
            out.setRawHeader(name, value);
        }
    }
    if (transferTimeoutMs > 0) {
        out.setTransferTimeout(transferTimeoutMs);
    }
    // Other endpoints passed through are read whole, not judged as a chat answer.
    reader = ResponseReader(request.format, request.chat && request.stream);
    record.errorBody.clear();
    record.errorHeaders.clear();
    return out;
}

void EngineCall::onHeaders(QNetworkReply* reply, Nanos now) {
    if (record.headersAt.count()) {
        return;
    }
    record.headersAt = now;
    record.status = httpStatus(reply);
    reader.setStatus(record.status);
    commitToSink(reply);
}

bool EngineCall::onBytes(QNetworkReply* reply, const QByteArray& bytes, Nanos now,
                         bool wallSteady) {
    // The status was read with the headers; a reply's attribute lookup is not free per event.
    const int status = record.headersAt.count() ? record.status : httpStatus(reply);
    if (request.sink && commitToSink(reply)) {
        request.sink->onBytes(bytes); // first: the caller's timing is what matters
    }
    const int chunks = reader.feed(bytes);
    record.lastAt = now;
    if (chunks <= 0 || status < 200 || status >= 300) {
        return false;
    }
    bool firstToken = false;
    if (!record.firstTokenAt.count()) {
        record.firstTokenAt = now;
        record.state = RequestState::Streaming;
        firstToken = true;
    }
    record.chunks += chunks;
    for (int i = 0; i < chunks && record.chunkTimes.size() < 4096; ++i) {
        record.chunkTimes.push_back(now);
    }
    // Server stamps share our clock only when ours is the plain steady clock.
    const auto& stamps = reader.feedStamps();
    if (wallSteady && !stamps.empty()) {
        for (const std::int64_t stamp : stamps) {
            if (stamp >= 0 && record.chunkTransit.size() < 4096) {
                record.chunkTransit.push_back(now - Nanos{stamp});
            }
        }
        if (!record.serverTtft && stamps.front() >= 0 && reader.serverArrivedNs() >= 0) {
            record.serverTtft = Nanos{stamps.front() - reader.serverArrivedNs()};
        }
    }
    return firstToken;
}

bool EngineCall::commitToSink(QNetworkReply* reply) {
    if (!request.sink) {
        return false;
    }
    if (record.committed) {
        return true;
    }
    const int status = httpStatus(reply);
    if (status < 200 || status >= 300) {
        return false; // an error answer may still be retried: the completion carries it
    }
    record.committed = true;
    HeaderPairs headers;
    for (const auto& [name, value] : reply->rawHeaderPairs()) {
        if (!isHopByHop(name)) {
            headers.append({name.toLower(), value});
        }
    }
    request.sink->onHeaders(status, headers);
    return true;
}

FinishedAttempt EngineCall::readFinished(QNetworkReply* reply, Nanos now) {
    FinishedAttempt a;
    a.now = now;
    if (reply->bytesAvailable() > 0) {
        const QByteArray rest = reply->readAll();
        if (request.sink && commitToSink(reply)) {
            request.sink->onBytes(rest);
        }
        reader.feed(rest);
    }
    a.status = httpStatus(reply);
    if (a.status >= 400) {
        record.errorBody = reader.body();
        for (const auto& [name, value] : reply->rawHeaderPairs()) {
            if (!isHopByHop(name)) {
                record.errorHeaders.append({name.toLower(), value});
            }
        }
    }
    a.error = reply->error();
    record.status = a.status;
    record.lastAt = record.lastAt.count() ? record.lastAt : now;
    if (!record.headersAt.count() && a.status > 0) {
        record.headersAt = now;
    }
    a.view =
        toView(parseRateLimitHeaders(reply->rawHeaderPairs(), QDateTime::currentDateTimeUtc()));
    if (a.status >= 200 && a.status < 300) {
        reader.setContentType(reply->rawHeader("content-type"));
        reader.finish();
    }
    ReplyFacts facts;
    facts.status = a.status;
    facts.error = a.error;
    facts.errorString = a.error != QNetworkReply::NoError ? reply->errorString() : QString();
    facts.sawHeaders = record.headersAt.count() > 0 && a.status > 0;
    facts.cancelled = a.cancelled = cancelRequested;
    facts.deadlineHit = deadlineHit;
    facts.stream = request.stream && request.chat;
    facts.judgeAnswer = request.chat;
    a.result = classifyAttempt(facts, reader, request.apiKey);
    record.outcome = a.result.outcome;
    record.attemptLog.push_back(
        AttemptRecord{record.sentAt, now, a.status, a.result.outcome, a.view.retryAfter});
    return a;
}

std::int64_t EngineCall::recordTokens() {
    if (!request.stream) {
        // A whole answer shows its first token when the body is complete.
        record.firstTokenAt = record.lastAt;
        record.chunks = 1;
    }
    if (reader.hasUsage()) {
        record.promptTokens =
            reader.promptTokens() > 0 ? reader.promptTokens() : record.promptTokens;
        record.completionTokens = reader.completionTokens();
        record.tokensEstimated = false;
    } else {
        record.completionTokens = reader.estimatedCompletionTokens();
        record.tokensEstimated = true;
    }
    return record.promptTokens + record.completionTokens;
}

RequestStatus EngineCall::status() const {
    RequestStatus s;
    s.id = record.id;
    s.state = record.state;
    s.priority = record.priority;
    s.attempts = record.attempts;
    s.status = record.status;
    s.submittedAt = record.submittedAt;
    s.firstSentAt = record.firstSentAt;
    s.firstTokenAt = record.firstTokenAt;
    s.reason = record.reason;
    s.upstreamKey = record.upstreamKey;
    return s;
}

RequestUpdate EngineCall::update() const {
    RequestUpdate u{record.id,     record.state,  -1,       record.priority, record.attempts,
                    record.status, record.ttft(), Nanos{0}, Nanos{0},        {}};
    if (isTerminal(record.state)) {
        u.e2e = record.e2e();
        u.total = record.totalTime();
        u.failure = record.failure;
    }
    return u;
}

} // namespace sluice
