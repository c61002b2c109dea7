#include "core/metrics/requestmetrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace sluice {

namespace {

constexpr std::array<MetricInfo, 12> kMetrics{{
    {Metric::Ttft, "ttft",
     "request sent -> first event with non-empty content or a reasoning delta (a role-only "
     "chunk is not a token)",
     "ttft"},
    {Metric::Ttfb, "ttfb", "request sent -> response headers", "ttfb"},
    {Metric::Ttst, "ttst", "request sent -> second such event", "ttst"},
    {Metric::Itl, "itl", "gap between consecutive content events, pooled over all requests", "itl"},
    {Metric::TpotDecode, "tpot_decode", "(E2E - TTFT) / (output tokens - 1)", "tpot"},
    {Metric::TpotOverall, "tpot_overall", "E2E / output tokens", "tpot_overall"},
    {Metric::E2e, "e2e", "request sent -> last byte of the answer", "e2e"},
    {Metric::Corrected, "corrected",
     "intended send time -> end: latency corrected for coordinated omission", "corrected"},
    {Metric::Service, "service", "first attempt handed to the network -> end", "service"},
    {Metric::Queue, "queue",
     "intended send time -> first attempt handed to the network (client-side queueing)", "queue"},
    {Metric::Transit, "transit",
     "per chunk: seen by us minus written by the server (its own stamp; the built-in mock only)",
     nullptr},
    {Metric::TtftError, "ttft_error",
     "our TTFT minus the server's own (its arrival to its first write; the built-in mock only)",
     nullptr},
}};

static_assert(
    [] {
        for (std::size_t i = 0; i < kMetrics.size(); ++i) {
            if (kMetrics[i].metric != static_cast<Metric>(i)) {
                return false;
            }
        }
        return true;
    }(),
    "kMetrics is indexed by Metric: keep both in the same order");

const MetricInfo& info(Metric metric) {
    return kMetrics.at(static_cast<std::size_t>(metric));
}

} // namespace

std::span<const MetricInfo> metricTable() {
    return kMetrics;
}

QString metricName(Metric metric) {
    return QString::fromLatin1(info(metric).name);
}

std::optional<Metric> metricNamed(const QString& name) {
    for (const MetricInfo& m : kMetrics) {
        if (name == QLatin1String(m.name) || (m.sloName && name == QLatin1String(m.sloName))) {
            return m.metric;
        }
    }
    return std::nullopt;
}

QStringList sloMetricNames() {
    QStringList names;
    for (const MetricInfo& m : kMetrics) {
        if (m.sloName) {
            names.append(QString::fromLatin1(m.sloName));
        }
    }
    return names;
}

QJsonObject metricDefinitions() {
    QJsonObject o;
    for (const MetricInfo& m : kMetrics) {
        o.insert(QLatin1String(m.name), QString::fromLatin1(m.definition));
    }
    o.insert(QStringLiteral("output_tokens"),
             QStringLiteral("the server's usage; counted locally (and flagged) when usage is "
                            "absent"));
    o.insert(QStringLiteral("goodput"),
             QStringLiteral("requests per second that succeeded and met every SLO given"));
    return o;
}

double metricValue(const RequestMetrics& m, Metric metric) {
    const auto opt = [](const std::optional<Nanos>& v) {
        return v ? toMillis(*v) : std::numeric_limits<double>::quiet_NaN();
    };
    switch (metric) {
    case Metric::Ttft:
        return opt(m.ttft);
    case Metric::Ttfb:
        return opt(m.ttfb);
    case Metric::Ttst:
        return opt(m.ttst);
    case Metric::Itl:
        return m.itl.empty() ? std::numeric_limits<double>::quiet_NaN()
                             : toMillis(*std::max_element(m.itl.begin(), m.itl.end()));
    case Metric::TpotDecode:
        return opt(m.tpotDecode);
    case Metric::TpotOverall:
        return opt(m.tpotOverall);
    case Metric::E2e:
        return opt(m.e2e);
    case Metric::Corrected:
        return opt(m.correctedLatency);
    case Metric::Service:
        return opt(m.serviceTime);
    case Metric::Queue:
        return toMillis(m.queueTime);
    case Metric::TtftError:
        return opt(m.ttftError);
    case Metric::Transit:
        break;
    }
    return std::numeric_limits<double>::quiet_NaN();
}

double metricValue(const RequestMetrics& m, const QString& name) {
    const std::optional<Metric> metric = metricNamed(name);
    return metric ? metricValue(m, *metric) : std::numeric_limits<double>::quiet_NaN();
}

void forEachSample(const RequestMetrics& m, const std::function<void(Metric, Nanos)>& f) {
    const auto one = [&f](Metric metric, const std::optional<Nanos>& v) {
        if (v) {
            f(metric, *v);
        }
    };
    one(Metric::Ttfb, m.ttfb);
    one(Metric::Ttft, m.ttft);
    one(Metric::Ttst, m.ttst);
    one(Metric::TpotDecode, m.tpotDecode);
    one(Metric::TpotOverall, m.tpotOverall);
    one(Metric::E2e, m.e2e);
    one(Metric::Corrected, m.correctedLatency);
    one(Metric::Service, m.serviceTime);
    one(Metric::Queue, m.queueTime);
    one(Metric::TtftError, m.ttftError);
    for (const Nanos t : m.transit) {
        f(Metric::Transit, t);
    }
    for (const Nanos gap : m.itl) {
        f(Metric::Itl, gap);
    }
}

} // namespace sluice
