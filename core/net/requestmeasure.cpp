#include "core/net/requestmeasure.h"

#include <algorithm>

namespace sluice {

RequestMetrics measureRequest(const RequestRecord& r) {
    RequestMetrics m;
    m.ok = r.state == RequestState::Done;
    m.intendedAt = r.intendedAt.value_or(r.submittedAt);
    const bool sent = r.attempts > 0 && r.firstSentAt.count() > 0;
    if (sent) {
        m.queueTime = r.firstSentAt - m.intendedAt;
        if (r.endedAt >= r.firstSentAt) {
            m.serviceTime = r.endedAt - r.firstSentAt;
        }
    } else {
        // Never sent (rejected, timed out or cancelled while waiting): all of it was queueing.
        m.queueTime = r.endedAt - m.intendedAt;
    }
    m.correctedLatency = r.endedAt - m.intendedAt;
    m.promptTokens = r.promptTokens;
    if (!sent) {
        return m;
    }
    // "Sent" is the wire time QNAM reports; its signal can reach us after the headers of a very
    // fast answer, and then the hand-over time is the better bound.
    Nanos sentAt = r.sentAt;
    if (r.headersAt.count() > 0 && r.headersAt < sentAt) {
        sentAt = std::max(r.firstSentAt, std::min(sentAt, r.headersAt));
    }
    if (r.headersAt.count() > 0) {
        m.ttfb = r.headersAt - sentAt;
    }
    if (!m.ok) {
        return m;
    }
    m.outputTokens = r.completionTokens;
    m.tokensEstimated = r.tokensEstimated;
    const Nanos end = r.lastAt.count() > 0 ? r.lastAt : r.endedAt;
    m.e2e = end - sentAt;
    if (r.firstTokenAt.count() > 0) {
        m.ttft = r.firstTokenAt - sentAt;
    }
    if (r.chunkTimes.size() >= 2) {
        m.ttst = r.chunkTimes[1] - sentAt;
    }
    m.itl.reserve(r.chunkTimes.empty() ? 0 : r.chunkTimes.size() - 1);
    for (std::size_t i = 1; i < r.chunkTimes.size(); ++i) {
        m.itl.push_back(r.chunkTimes[i] - r.chunkTimes[i - 1]);
    }
    m.transit = r.chunkTransit;
    if (m.ttft && r.serverTtft) {
        m.ttftError = *m.ttft - *r.serverTtft;
    }
    const std::int64_t n = m.outputTokens;
    if (n >= 1 && m.e2e->count() > 0) {
        m.tpotOverall = *m.e2e / n;
        m.outputTokensPerSecond =
            static_cast<double>(n) * 1e9 / static_cast<double>(m.e2e->count());
    }
    if (n >= 2 && m.ttft) {
        m.tpotDecode = (*m.e2e - *m.ttft) / (n - 1);
    }
    return m;
}

} // namespace sluice
