#pragma once

#include <QString>

#include <cstdint>
#include <map>
#include <vector>

namespace sluice {

/// Why a request did not end well: a small fixed taxonomy shared by the engine, benchmark
/// summaries and reports, the console and the gateway's stats. The first question of any
/// incident is "why did it fail?"; every non-success terminal state carries one of these.
enum class FailureKind : std::uint8_t {
    None,              ///< it succeeded
    ConnectionRefused, ///< nothing listens there
    Dns,               ///< the host name did not resolve
    Tls,               ///< the TLS handshake failed
    Protocol,          ///< the peer does not speak what we asked (e.g. HTTP/2 to an HTTP/1 server)
    TimeoutBeforeHeaders, ///< no response headers in time: the target never answered
    TimeoutMidStream,     ///< the answer started, then went silent too long
    Reset,                ///< the connection was reset or closed before the answer ended
    Incomplete,           ///< the stream ended without its end marker
    Http,                 ///< an HTTP error status (code in `status`, provider type in `type`)
    StreamError,          ///< an error event inside a 200 stream (provider type in `type`)
    Malformed,            ///< a 200 whose body is not the expected format
    CircuitOpen,          ///< failed at once: the breaker for this endpoint is open
    QueueFull,            ///< refused by our own full queue (or displaced from it)
    TooLarge,             ///< needs more tokens than a whole token limit allows
    Deadline,             ///< the request's own deadline passed before it could be sent
    Network,              ///< any other transport error
    Cancelled,            ///< given up by the caller (not a failure of the target)
};

/// One request's failure: the kind, and for HTTP answers the status and the provider's error
/// type ("insufficient_quota", "overloaded_error"). Value type, cheap to copy.
struct FailureReason {
    FailureKind kind = FailureKind::None;
    int status = 0;
    QString type;

    /// Stable snake_case key for JSON, CSV and metric labels: "connection_refused", "http_501",
    /// "http_429:insufficient_quota", "stream_error:overloaded_error".
    QString key() const;
    /// Short English text for people: "connection refused", "HTTP 429 insufficient_quota".
    QString label() const;
    /// The coarse group: network, timeout, http_4xx, http_5xx, provider, malformed, local,
    /// cancelled (and "none").
    QString group() const;
    /// A failure of the request (anything but None and Cancelled).
    bool isFailure() const { return kind != FailureKind::None && kind != FailureKind::Cancelled; }

    bool operator==(const FailureReason&) const = default;
};

const char* failureKindName(FailureKind kind);

/// The English label template of a kind (for translation by the UI: the context is
/// "FailureReason"; "%1" stands for the status, "%2" for the type where they apply).
const char* failureKindLabel(FailureKind kind);

/// Failures counted by reason, in a stable order (most frequent first when listed).
class FailureTally {
public:
    struct Entry {
        FailureReason reason;
        std::int64_t count = 0;
        QString example; ///< the first detail text seen for this reason (never a key in clear)
    };

    void add(const FailureReason& reason, const QString& detail = {});
    std::int64_t total() const { return m_total; }
    bool isEmpty() const { return m_entries.empty(); }
    /// Most frequent first; ties by key.
    std::vector<Entry> sorted() const;
    std::int64_t count(const QString& key) const;

private:
    std::map<QString, Entry> m_entries; // by key
    std::int64_t m_total = 0;
};

} // namespace sluice
