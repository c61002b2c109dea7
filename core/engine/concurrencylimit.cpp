#include "core/engine/concurrencylimit.h"

#include <algorithm>
#include <cmath>

namespace sluice {

const char* algorithmName(ConcurrencyConfig::Algorithm a) {
    switch (a) {
    case ConcurrencyConfig::Algorithm::Fixed:
        return "fixed";
    case ConcurrencyConfig::Algorithm::Aimd:
        return "aimd";
    case ConcurrencyConfig::Algorithm::Gradient:
        return "gradient";
    case ConcurrencyConfig::Algorithm::Combined:
        return "combined";
    }
    return "?";
}

namespace {

// Nearest rank, `p` a fraction: the convention of core/metrics/percentile.h. Kept here because
// core/engine is plain C++ below every other layer and depends on nothing in core/metrics.
std::int64_t percentileOf(std::vector<std::int64_t> values, double p) {
    if (values.empty()) {
        return 0;
    }
    const auto rank =
        static_cast<std::size_t>(std::clamp(std::ceil(p * static_cast<double>(values.size())) - 1.0,
                                            0.0, static_cast<double>(values.size() - 1)));
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank),
                     values.end());
    return values[rank];
}

std::int64_t trimmedMean(std::vector<std::int64_t> values, double trim) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    const auto keep = std::max<std::size_t>(
        1, values.size() - static_cast<std::size_t>(trim * static_cast<double>(values.size())));
    double sum = 0;
    for (std::size_t i = 0; i < keep; ++i) {
        sum += static_cast<double>(values[i]);
    }
    return static_cast<std::int64_t>(sum / static_cast<double>(keep));
}

} // namespace

ConcurrencyLimit::ConcurrencyLimit(ConcurrencyConfig config, const Clock& clock)
    : m_config(config)
    , m_clock(clock)
    , m_estimate(std::clamp(config.initial, config.min, config.max))
    , m_limit(std::clamp(config.initial, config.min, config.max))
    , m_slowStart(config.slowStart)
    , m_windowStart(clock.now())
    , m_lastChange(clock.now()) {}

void ConcurrencyLimit::setConfig(ConcurrencyConfig config) {
    const bool algorithmChanged = config.algorithm != m_config.algorithm;
    m_config = config;
    const Nanos now = m_clock.now();
    if (algorithmChanged || config.algorithm == ConcurrencyConfig::Algorithm::Fixed) {
        m_slowStart = config.slowStart;
        setLimit(config.initial, now);
    } else {
        setLimit(m_estimate, now); // re-clamp to new bounds
    }
}

bool ConcurrencyLimit::setLimit(double value, Nanos now) {
    m_estimate =
        std::clamp(value, static_cast<double>(m_config.min), static_cast<double>(m_config.max));
    const int next = static_cast<int>(std::lround(m_estimate));
    if (next == m_limit) {
        return false;
    }
    m_limit = next;
    m_lastChange = now;
    ++m_changes;
    return true;
}

bool ConcurrencyLimit::onSample(Nanos startedAt, Nanos latency, bool congestion, int inFlight) {
    if (m_config.algorithm == ConcurrencyConfig::Algorithm::Fixed) {
        return false;
    }
    const Nanos now = m_clock.now();
    m_windowInFlight = std::max(m_windowInFlight, inFlight);
    // A sample from before the last change measured the old limit; congestion still counts,
    // since it is news about the server whatever caused it.
    if (startedAt >= m_lastChange || congestion) {
        if (congestion) {
            ++m_congestion;
        } else {
            ++m_ok;
            m_latencies.push_back(latency.count());
        }
    }
    if (now - m_windowStart < m_config.window || m_ok + m_congestion < m_config.minSamples) {
        // A congestion burst is acted on at once rather than at the end of a long window.
        if (!(m_congestion >= m_config.minSamples && now - m_windowStart >= m_config.window / 4)) {
            return false;
        }
    }
    return evaluate(now);
}

bool ConcurrencyLimit::evaluate(Nanos now) {
    const int total = m_ok + m_congestion;
    const double success = total > 0 ? static_cast<double>(m_ok) / total : 1.0;
    // The window's typical latency is its mean with the slowest 10% trimmed: a median can stay
    // flat while a quarter of requests queue at the server, and one stall must not dominate.
    const std::int64_t median = trimmedMean(m_latencies, 0.1);
    if (!m_latencies.empty()) {
        m_lastMedian = Nanos{median};
        m_medians.push_back(median);
        while (static_cast<int>(m_medians.size()) > std::max(1, m_config.baselineWindows)) {
            m_medians.pop_front();
        }
        m_baseline =
            Nanos{percentileOf(std::vector<std::int64_t>(m_medians.begin(), m_medians.end()),
                               m_config.baselinePercentile)};
    }
    const bool haveLatency = !m_latencies.empty();
    m_latencies.clear();
    m_ok = 0;
    m_congestion = 0;
    m_windowStart = now;
    const bool used = m_windowInFlight < 0 || 2 * m_windowInFlight >= m_estimate;
    m_windowInFlight = -1;

    const double limit = m_estimate;
    using A = ConcurrencyConfig::Algorithm;
    const bool lossCut =
        m_config.algorithm == A::Aimd ? success < m_config.cutBelowSuccess : success < 1.0;
    if (m_config.algorithm == A::Aimd) {
        const bool latencyHigh =
            m_config.latencyHigh.count() > 0 && haveLatency && Nanos{median} > m_config.latencyHigh;
        if (lossCut || latencyHigh) {
            m_slowStart = false;
            return setLimit(std::min(limit * m_config.backoff, limit - 1.0), now);
        }
        if (success >= m_config.raiseAtSuccess && haveLatency && used) {
            return setLimit(m_slowStart ? limit * 2 : limit + m_config.increase, now);
        }
        return false;
    }

    // Gradient and Combined.
    if (lossCut && m_config.algorithm == A::Combined) {
        m_slowStart = false;
        return setLimit(std::min(limit * m_config.backoff, limit - 1.0), now);
    }
    if (!haveLatency || m_baseline.count() <= 0) {
        return false;
    }
    const double ratio = static_cast<double>(median) / static_cast<double>(m_baseline.count());
    const double gradient = std::clamp(m_config.tolerance / ratio, 0.5, 1.0);
    if (gradient >= 1.0) {
        if (!used) {
            return false;
        }
        // Flat latency: room to grow.
        const double grown = m_slowStart ? limit * 2 : limit + m_config.queueAllowance;
        return setLimit(grown, now);
    }
    m_slowStart = false;
    const double target = limit * gradient;
    return setLimit((1.0 - m_config.smoothing) * limit + m_config.smoothing * target, now);
}

} // namespace sluice
