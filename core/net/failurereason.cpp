#include "core/net/failurereason.h"

#include <QtGlobal>

#include <algorithm>

namespace sluice {

const char* failureKindName(FailureKind kind) {
    switch (kind) {
    case FailureKind::None:
        return "none";
    case FailureKind::ConnectionRefused:
        return "connection_refused";
    case FailureKind::Dns:
        return "dns";
    case FailureKind::Tls:
        return "tls";
    case FailureKind::Protocol:
        return "protocol_error";
    case FailureKind::TimeoutBeforeHeaders:
        return "timeout_before_headers";
    case FailureKind::TimeoutMidStream:
        return "timeout_mid_stream";
    case FailureKind::Reset:
        return "connection_reset";
    case FailureKind::Incomplete:
        return "incomplete_stream";
    case FailureKind::Http:
        return "http";
    case FailureKind::StreamError:
        return "stream_error";
    case FailureKind::Malformed:
        return "malformed_response";
    case FailureKind::CircuitOpen:
        return "circuit_open";
    case FailureKind::QueueFull:
        return "queue_full";
    case FailureKind::TooLarge:
        return "too_large";
    case FailureKind::Deadline:
        return "deadline";
    case FailureKind::Network:
        return "network_error";
    case FailureKind::Cancelled:
        return "cancelled";
    }
    return "unknown";
}

const char* failureKindLabel(FailureKind kind) {
    switch (kind) {
    case FailureKind::None:
        return QT_TRANSLATE_NOOP("FailureReason", "ok");
    case FailureKind::ConnectionRefused:
        return QT_TRANSLATE_NOOP("FailureReason", "connection refused");
    case FailureKind::Dns:
        return QT_TRANSLATE_NOOP("FailureReason", "DNS lookup failed");
    case FailureKind::Tls:
        return QT_TRANSLATE_NOOP("FailureReason", "TLS handshake failed");
    case FailureKind::Protocol:
        return QT_TRANSLATE_NOOP("FailureReason", "protocol error");
    case FailureKind::TimeoutBeforeHeaders:
        return QT_TRANSLATE_NOOP("FailureReason", "timeout before headers");
    case FailureKind::TimeoutMidStream:
        return QT_TRANSLATE_NOOP("FailureReason", "timeout mid-stream");
    case FailureKind::Reset:
        return QT_TRANSLATE_NOOP("FailureReason", "connection reset");
    case FailureKind::Incomplete:
        return QT_TRANSLATE_NOOP("FailureReason", "stream ended early");
    case FailureKind::Http:
        return QT_TRANSLATE_NOOP("FailureReason", "HTTP %1");
    case FailureKind::StreamError:
        return QT_TRANSLATE_NOOP("FailureReason", "error event in stream");
    case FailureKind::Malformed:
        return QT_TRANSLATE_NOOP("FailureReason", "malformed response");
    case FailureKind::CircuitOpen:
        return QT_TRANSLATE_NOOP("FailureReason", "circuit open");
    case FailureKind::QueueFull:
        return QT_TRANSLATE_NOOP("FailureReason", "queue full");
    case FailureKind::TooLarge:
        return QT_TRANSLATE_NOOP("FailureReason", "larger than a token limit");
    case FailureKind::Deadline:
        return QT_TRANSLATE_NOOP("FailureReason", "deadline passed while queued");
    case FailureKind::Network:
        return QT_TRANSLATE_NOOP("FailureReason", "network error");
    case FailureKind::Cancelled:
        return QT_TRANSLATE_NOOP("FailureReason", "cancelled");
    }
    return "unknown";
}

QString FailureReason::key() const {
    QString k = kind == FailureKind::Http ? QStringLiteral("http_%1").arg(status)
                                          : QString::fromLatin1(failureKindName(kind));
    if ((kind == FailureKind::Http || kind == FailureKind::StreamError) && !type.isEmpty()) {
        k += QLatin1Char(':') + type;
    }
    return k;
}

QString FailureReason::label() const {
    QString l = QString::fromLatin1(failureKindLabel(kind));
    if (kind == FailureKind::Http) {
        l = l.arg(status);
    }
    if ((kind == FailureKind::Http || kind == FailureKind::StreamError) && !type.isEmpty()) {
        l += (kind == FailureKind::StreamError ? QStringLiteral(": ") : QStringLiteral(" ")) + type;
    }
    return l;
}

QString FailureReason::group() const {
    switch (kind) {
    case FailureKind::None:
        return QStringLiteral("none");
    case FailureKind::ConnectionRefused:
    case FailureKind::Dns:
    case FailureKind::Tls:
    case FailureKind::Protocol:
    case FailureKind::Reset:
    case FailureKind::Incomplete:
    case FailureKind::Network:
        return QStringLiteral("network");
    case FailureKind::TimeoutBeforeHeaders:
    case FailureKind::TimeoutMidStream:
        return QStringLiteral("timeout");
    case FailureKind::Http:
        return status >= 500 ? QStringLiteral("http_5xx") : QStringLiteral("http_4xx");
    case FailureKind::StreamError:
        return QStringLiteral("provider");
    case FailureKind::Malformed:
        return QStringLiteral("malformed");
    case FailureKind::CircuitOpen:
    case FailureKind::QueueFull:
    case FailureKind::TooLarge:
    case FailureKind::Deadline:
        return QStringLiteral("local");
    case FailureKind::Cancelled:
        return QStringLiteral("cancelled");
    }
    return QStringLiteral("none");
}

void FailureTally::add(const FailureReason& reason, const QString& detail) {
    const QString k = reason.key();
    auto it = m_entries.find(k);
    if (it == m_entries.end()) {
        it = m_entries.emplace(k, Entry{reason, 0, detail.left(300)}).first;
    }
    ++it->second.count;
    ++m_total;
}

std::vector<FailureTally::Entry> FailureTally::sorted() const {
    std::vector<Entry> out;
    out.reserve(m_entries.size());
    for (const auto& [key, entry] : m_entries) {
        out.push_back(entry);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Entry& a, const Entry& b) { return a.count > b.count; });
    return out;
}

std::int64_t FailureTally::count(const QString& key) const {
    const auto it = m_entries.find(key);
    return it == m_entries.end() ? 0 : it->second.count;
}

} // namespace sluice
