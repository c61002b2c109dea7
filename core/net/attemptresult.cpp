#include "core/net/attemptresult.h"

#include "core/net/errorbody.h"

namespace sluice {

FailureKind failureKindOf(QNetworkReply::NetworkError error, bool sawHeaders) {
    switch (error) {
    case QNetworkReply::NoError:
        return FailureKind::None;
    case QNetworkReply::ConnectionRefusedError:
        return FailureKind::ConnectionRefused;
    case QNetworkReply::HostNotFoundError:
        return FailureKind::Dns;
    case QNetworkReply::SslHandshakeFailedError:
        return FailureKind::Tls;
    case QNetworkReply::TimeoutError:
    case QNetworkReply::OperationCanceledError:
        return sawHeaders ? FailureKind::TimeoutMidStream : FailureKind::TimeoutBeforeHeaders;
    case QNetworkReply::RemoteHostClosedError:
        return FailureKind::Reset;
    case QNetworkReply::ProtocolUnknownError:
    case QNetworkReply::ProtocolInvalidOperationError:
    case QNetworkReply::ProtocolFailure:
        return FailureKind::Protocol;
    default:
        return FailureKind::Network;
    }
}

AttemptResult classifyAttempt(const ReplyFacts& f, const ResponseReader& reader,
                              QByteArrayView apiKey) {
    AttemptResult r;
    const bool http2xx = f.status >= 200 && f.status < 300;
    const bool streamBroken = http2xx && f.stream && !reader.streamError().isEmpty();
    const bool timedOut = f.deadlineHit ||
                          (f.error == QNetworkReply::OperationCanceledError && !f.cancelled) ||
                          f.error == QNetworkReply::TimeoutError;
    const bool networkError = (f.error != QNetworkReply::NoError && f.status == 0) ||
                              (http2xx && (f.error != QNetworkReply::NoError || streamBroken));
    ProviderError providerError;
    if (f.status >= 400) {
        providerError = parseErrorBody(reader.body());
        r.quota = f.status == 429 && isQuotaError(providerError);
    }
    r.outcome = f.cancelled ? Outcome::Cancelled
                            : classifyOutcome(http2xx && networkError ? 0 : f.status, r.quota,
                                              networkError, timedOut);
    QString message; // the server's or the transport's own words, when they add something
    if (f.cancelled) {
        r.failure.kind = FailureKind::Cancelled;
    } else if (timedOut) {
        r.failure.kind =
            f.sawHeaders ? FailureKind::TimeoutMidStream : FailureKind::TimeoutBeforeHeaders;
    } else if (f.status > 0 && !(f.status >= 100 && f.status < 400)) {
        r.failure =
            FailureReason{FailureKind::Http, f.status,
                          providerError.type.isEmpty() ? providerError.code : providerError.type};
        message = providerError.message;
    } else if (streamBroken && !reader.streamErrorType().isEmpty()) {
        // An error event inside a 200 stream names what went wrong at the server.
        const QString& type = reader.streamErrorType();
        r.failure = FailureReason{FailureKind::StreamError, 0, type};
        message = reader.streamError();
        if (type == QLatin1String("overloaded_error")) {
            r.outcome = Outcome::Overloaded;
        } else if (type == QLatin1String("rate_limit_error")) {
            r.outcome = Outcome::RateLimited;
        } else if (type == QLatin1String("server_error") || type == QLatin1String("api_error")) {
            r.outcome = Outcome::ServerError;
        }
    } else if (f.error != QNetworkReply::NoError) {
        r.failure.kind = failureKindOf(f.error, f.sawHeaders);
        message = f.errorString;
    } else if (streamBroken) {
        r.failure.kind = FailureKind::Incomplete;
        message = reader.streamError();
    } else if (http2xx && f.judgeAnswer && !reader.malformed().isEmpty()) {
        r.outcome = Outcome::Malformed;
        r.failure.kind = FailureKind::Malformed;
        message = reader.malformed();
    } else if (r.outcome != Outcome::Success) {
        r.failure.kind = FailureKind::Network;
        message = f.errorString;
    }
    if (r.outcome == Outcome::Success) {
        return r;
    }
    r.why = r.failure.label();
    if (!message.isEmpty()) {
        // A proxy may echo the key it was given: never let it into a reason.
        if (!apiKey.isEmpty()) {
            message.replace(QString::fromLatin1(apiKey.toByteArray()), maskKey(apiKey));
        }
        r.why += QStringLiteral(": ") + message;
    }
    return r;
}

} // namespace sluice
