#pragma once

#include "core/engine/failure.h"
#include "core/net/failurereason.h"
#include "core/net/llmformat.h"

#include <QNetworkReply>
#include <QString>

namespace sluice {

/// What the transport saw of one finished attempt: everything classifyAttempt() needs, so the
/// classification is a pure function testable without a network.
struct ReplyFacts {
    int status = 0; ///< HTTP status, 0 when no response arrived
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QString errorString;      ///< the transport's own words for `error`
    bool sawHeaders = false;  ///< response headers arrived
    bool cancelled = false;   ///< the caller gave up (cancel())
    bool deadlineHit = false; ///< the request's deadline aborted it
    bool stream = false;      ///< a streamed answer was asked for
    bool judgeAnswer = true;  ///< a 2xx must be a valid chat answer (else Malformed)
};

/// How an attempt ended: the outcome the retry policy, breaker and concurrency limit judge
/// by, the failure reason counted everywhere, and the reason in words.
struct AttemptResult {
    Outcome outcome = Outcome::Success;
    FailureReason failure; ///< kind None on success
    QString why;           ///< "HTTP 429 insufficient_quota: You exceeded…" (keys masked)
    bool quota = false;    ///< a 429 that says the account is out of credit
};

/// Classifies a finished attempt from its facts and what its reader parsed (finish() already
/// called on a 2xx). A timeout wins over everything; an HTTP error status over the transport's
/// error flag; a 2xx needs a valid answer (else Malformed) and an unbroken stream. `apiKey`
/// is masked wherever a server echoed it into a message.
AttemptResult classifyAttempt(const ReplyFacts& facts, const ResponseReader& reader,
                              QByteArrayView apiKey);

/// The failure kind of a transport error with no HTTP answer.
FailureKind failureKindOf(QNetworkReply::NetworkError error, bool sawHeaders);

} // namespace sluice
