#pragma once

#include "core/result.h"

#include <QJsonObject>
#include <QString>

#include <cstdint>

namespace sluice {

/// Shares of requests that fail on purpose, each in [0, 1]; together at most 1.
struct MockFaults {
    double error500 = 0;       ///< 500 server_error / api_error
    double error503 = 0;       ///< 503 service unavailable
    double overloaded = 0;     ///< Anthropic 529 overloaded_error (503 on the OpenAI endpoints)
    double reset = 0;          ///< connection reset (RST) right after the request is read
    double stall = 0;          ///< response headers, then silence until stall_ms passes
    double midstream = 0;      ///< an error event (streaming) or a cut body (non-streaming) halfway
    double quota = 0;          ///< 429 insufficient_quota: out of credit, never worth retrying
    double resetMidstream = 0; ///< headers and half the reply, then the connection is reset (RST)
    /// Chunked headers and half the reply, then the connection closes (FIN) without the final
    /// zero-length chunk: truncated chunked encoding.
    double truncate = 0;

    double total() const {
        return error500 + error503 + overloaded + reset + stall + midstream + quota +
               resetMidstream + truncate;
    }
    friend bool operator==(const MockFaults&, const MockFaults&) = default;
};

/// Everything the mock LLM server can be dialled to do. Every field can change while traffic
/// flows (POST /mock/config).
struct MockConfig {
    std::int64_t rpm = 600;     ///< requests per minute; 0 = unlimited
    std::int64_t tpm = 100'000; ///< tokens (prompt + completion) per minute; 0 = unlimited
    int capacity = 32;          ///< service slots; requests beyond wait in the server's queue
    int queueLimit = 10'000;    ///< requests allowed to wait for a slot; beyond: 503 / 529
    int ttftMs = 200;           ///< time to first token, once a slot is free
    int tpotMs = 20;            ///< time per output token after the first
    double jitter = 0;          ///< each delay is scaled by a uniform factor in [1-j, 1+j]
    int tokensMin = 50;         ///< output length range; capped by the request's max_tokens
    int tokensMax = 200;
    std::uint64_t seed = 1; ///< seed of the random source (lengths, jitter, faults)
    int stallMs = 30'000;   ///< how long a stalled response stays silent before closing
    /// Stamp each streamed content event with the server's own times (steady clock, ns):
    /// "x_sent_ns" when it was written and "x_arrived_ns" when the request arrived, so a
    /// client on the same machine can measure its own timing error against the server's.
    bool stamp = false;
    /// rpm and tpm apply to each API key separately (as a provider limits each key), each key
    /// gets its own x-ratelimit-* headers.
    bool perKey = false;
    MockFaults faults;

    friend bool operator==(const MockConfig&, const MockConfig&) = default;

    QJsonObject toJson() const;
    /// Applies the fields present in `json` on top of this config. On error names the field
    /// ("rpm", "faults.500") and leaves this config unchanged.
    Result<void> apply(const QJsonObject& json);
    /// Checks ranges across fields; on error names the field.
    Result<void> validate() const;
};

} // namespace sluice
