#include "core/net/enginestats.h"

#include "core/metrics/percentile.h"

#include <vector>

namespace sluice {

void EngineStats::onSent(bool retry) {
    if (retry) {
        ++m_counters.retries;
    }
    ++m_counters.attempts;
}

void EngineStats::onTokens(std::int64_t in, std::int64_t out) {
    m_counters.tokensIn += in;
    m_counters.tokensOut += out;
}

void EngineStats::onAnswer(Outcome outcome) {
    if (outcome == Outcome::Success) {
        ++m_counters.ok;
    } else if (outcome != Outcome::Cancelled) {
        ++m_counters.errors;
    }
}

void EngineStats::onEnded(const RequestRecord& r) {
    if (r.state != RequestState::Done) {
        m_failures.add(r.failure, r.reason);
    }
    switch (r.state) {
    case RequestState::Done:
        ++m_counters.done;
        m_samples.push_back(
            Sample{r.endedAt, r.e2e().count(), r.totalTime().count(), r.ttft().count()});
        if (m_samples.size() > kMaxSamples) {
            m_samples.pop_front();
        }
        break;
    case RequestState::Failed:
        ++m_counters.failed;
        break;
    case RequestState::Rejected:
        ++m_counters.rejected;
        break;
    case RequestState::TimedOut:
        ++m_counters.timedOut;
        break;
    case RequestState::Cancelled:
        ++m_counters.cancelled;
        break;
    default:
        break;
    }
}

void EngineStats::advance(Nanos now) {
    m_history.emplace_back(now, m_counters);
    while (m_history.size() > 2 && now - m_history[1].first >= std::chrono::seconds(1)) {
        m_history.pop_front();
    }
    while (!m_samples.empty() && now - m_samples.front().at > std::chrono::seconds(10)) {
        m_samples.pop_front();
    }
}

void EngineStats::fill(EngineSnapshot& s, Nanos now) const {
    fillCounts(s);
    fillRates(s, now);
    fillPercentiles(s, now);
}

void EngineStats::fillCounts(EngineSnapshot& s) const {
    s.submitted = m_counters.submitted;
    s.done = m_counters.done;
    s.failed = m_counters.failed;
    s.rejected = m_counters.rejected;
    s.timedOut = m_counters.timedOut;
    s.cancelled = m_counters.cancelled;
    s.attempts = m_counters.attempts;
    s.retries = m_counters.retries;
    s.rateLimited = m_counters.rateLimited;
    s.failures = m_failures.sorted();
}

void EngineStats::fillRates(EngineSnapshot& s, Nanos now) const {
    // Over the last second of engine time: advance() keeps the history, a snapshot only reads
    // it. Before the first tick there is no base, and the rates stay 0.
    const auto& [then, old] =
        m_history.empty() ? std::pair<Nanos, Counters>{now, m_counters} : m_history.front();
    const double seconds = static_cast<double>((now - then).count()) / 1e9;
    if (seconds <= 0) {
        return;
    }
    const Counters& c = m_counters;
    s.sentPerSecond = static_cast<double>(c.attempts - old.attempts) / seconds;
    s.okPerSecond = static_cast<double>(c.ok - old.ok) / seconds;
    // A 429 is counted apart: errors here are the other failures.
    s.errorsPerSecond =
        static_cast<double>(c.errors - old.errors - (c.rateLimited - old.rateLimited)) / seconds;
    s.rateLimitedPerSecond = static_cast<double>(c.rateLimited - old.rateLimited) / seconds;
    s.tokensInPerSecond = static_cast<double>(c.tokensIn - old.tokensIn) / seconds;
    s.tokensOutPerSecond = static_cast<double>(c.tokensOut - old.tokensOut) / seconds;
}

void EngineStats::fillPercentiles(EngineSnapshot& s, Nanos now) const {
    std::vector<std::int64_t> e2e, total, ttft;
    e2e.reserve(m_samples.size());
    total.reserve(m_samples.size());
    for (const Sample& x : m_samples) {
        if (now - x.at > std::chrono::seconds(10)) {
            continue; // advance() drops them; a snapshot between ticks only skips them
        }
        e2e.push_back(x.e2e);
        total.push_back(x.total);
        if (x.ttft > 0) {
            ttft.push_back(x.ttft);
        }
    }
    s.e2eP50 = Nanos{percentile(e2e, 0.5)};
    s.e2eP95 = Nanos{percentile(e2e, 0.95)};
    s.e2eP99 = Nanos{percentile(e2e, 0.99)};
    s.totalP50 = Nanos{percentile(total, 0.5)};
    s.totalP95 = Nanos{percentile(total, 0.95)};
    s.totalP99 = Nanos{percentile(total, 0.99)};
    s.ttftP50 = Nanos{percentile(ttft, 0.5)};
    s.ttftP95 = Nanos{percentile(ttft, 0.95)};
    s.ttftP99 = Nanos{percentile(ttft, 0.99)};
}

} // namespace sluice
