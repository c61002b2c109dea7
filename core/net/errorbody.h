#pragma once

#include <QByteArrayView>
#include <QString>

namespace sluice {

/// The error object a provider sent, from OpenAI `{"error":{"message","type","param","code"}}`
/// or Anthropic `{"type":"error","error":{"type","message"}}` bodies, so failures can be shown
/// and classified by what the server said rather than by status code alone.
struct ProviderError {
    QString type;    ///< "invalid_request_error", "rate_limit_error", "insufficient_quota", …
    QString code;    ///< OpenAI's code; numbers are given as their decimal text
    QString message; ///< human text, at most 500 characters (longer ones end in "…")
    QString param;
    bool parsed = false; ///< false for empty, non-JSON (HTML from a proxy) or foreign JSON bodies
};

/// Reads the provider error object from a response body. Never fails: anything that is not a
/// provider error comes back with `parsed == false`. A bare `{"error":"text"}`, as some
/// compatible servers send, counts, with the text as message. Every field is capped at 500
/// characters so a hostile body cannot flood logs or the UI.
ProviderError parseErrorBody(QByteArrayView body);

/// True when a 429 means the account is out of credit (OpenAI code/type "insufficient_quota" or
/// "billing_not_active", or a message about quota, billing or credit balance): such a 429 must
/// never be retried, since waiting does not help. A rate-limit message that merely links the
/// billing page (OpenAI's "Rate limit reached … account/billing") is not one.
bool isQuotaError(const ProviderError& e);

} // namespace sluice
