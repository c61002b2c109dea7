#include "core/bench/agentslice.h"

#include <QJsonValue>

#include <cmath>
#include <string>

namespace sluice {

namespace {

using Counter = std::int64_t RunStats::Counts::*;

struct CounterName {
    const char* name;
    Counter member;
};

// The wire names of the counters (summary.json's where it has one).
constexpr CounterName kCounters[] = {
    {"submitted", &RunStats::Counts::submitted},
    {"ended", &RunStats::Counts::ended},
    {"measured", &RunStats::Counts::measured},
    {"warmup", &RunStats::Counts::warmup},
    {"done", &RunStats::Counts::done},
    {"failed", &RunStats::Counts::failed},
    {"rejected", &RunStats::Counts::rejected},
    {"timed_out", &RunStats::Counts::timedOut},
    {"cancelled", &RunStats::Counts::cancelled},
    {"retries", &RunStats::Counts::retries},
    {"late_starts", &RunStats::Counts::lateStarts},
    {"dropped", &RunStats::Counts::dropped},
    {"held_by_limits", &RunStats::Counts::heldByLimits},
    {"output_tokens", &RunStats::Counts::outputTokens},
    {"prompt_tokens", &RunStats::Counts::promptTokens},
    {"tokens_estimated", &RunStats::Counts::tokensEstimated},
    {"good", &RunStats::Counts::good},
};

// A whole, non-negative number that a double holds exactly.
bool wholeNumber(const QJsonValue& v, std::int64_t* out) {
    if (!v.isDouble()) {
        return false;
    }
    const double d = v.toDouble();
    if (!std::isfinite(d) || d < 0 || d > 9007199254740992.0 || std::floor(d) != d) {
        return false;
    }
    *out = static_cast<std::int64_t>(d);
    return true;
}

Error bad(const QString& field, const QString& message) {
    return Error::invalid(QStringLiteral("slice: ") + field, message);
}

} // namespace

void addCounts(RunStats::Counts& a, const RunStats::Counts& b) {
    for (const CounterName& c : kCounters) {
        a.*c.member += b.*c.member;
    }
}

Result<AgentSlice> AgentSlice::between(const RunStats::Counts& earlier,
                                       const std::map<QString, LatencyHistogram>& earlierHist,
                                       const RunStats::Counts& later,
                                       const std::map<QString, LatencyHistogram>& laterHist) {
    AgentSlice s;
    for (const CounterName& c : kCounters) {
        const std::int64_t d = later.*c.member - earlier.*c.member;
        if (d < 0) {
            return bad(QString::fromLatin1(c.name), QStringLiteral("the counter went down"));
        }
        s.counts.*c.member = d;
    }
    for (const auto& [metric, h] : laterHist) {
        const auto before = earlierHist.find(metric);
        if (before == earlierHist.end()) {
            s.histograms.emplace(metric, h);
            continue;
        }
        auto d = LatencyHistogram::difference(h, before->second);
        if (!d) {
            return bad(QStringLiteral("histograms.") + metric,
                       QStringLiteral("the histogram is not a continuation of the last one"));
        }
        if (d->count() > 0) {
            s.histograms.emplace(metric, std::move(*d));
        }
    }
    return s;
}

QJsonObject AgentSlice::toJson() const {
    QJsonObject counters;
    for (const CounterName& c : kCounters) {
        if (counts.*c.member != 0) {
            counters.insert(QLatin1String(c.name), static_cast<double>(counts.*c.member));
        }
    }
    QJsonObject hist;
    for (const auto& [metric, h] : histograms) {
        if (h.count() > 0) {
            hist.insert(metric, QString::fromStdString(h.serialize()));
        }
    }
    return {{QStringLiteral("agent"), agent},
            {QStringLiteral("seq"), static_cast<double>(seq)},
            {QStringLiteral("unix_s"), static_cast<double>(unixSecond)},
            {QStringLiteral("in_flight"), static_cast<double>(inFlight)},
            {QStringLiteral("counts"), counters},
            {QStringLiteral("histograms"), hist}};
}

Result<AgentSlice> AgentSlice::fromJson(const QJsonObject& o) {
    AgentSlice s;
    std::int64_t agent = 0;
    if (!wholeNumber(o.value(QStringLiteral("agent")), &agent) || agent < 1 || agent > 10000) {
        return bad(QStringLiteral("agent"), QStringLiteral("must be a whole number from 1"));
    }
    s.agent = static_cast<int>(agent);
    if (!wholeNumber(o.value(QStringLiteral("seq")), &s.seq) || s.seq < 1) {
        return bad(QStringLiteral("seq"), QStringLiteral("must be a whole number from 1"));
    }
    if (!wholeNumber(o.value(QStringLiteral("unix_s")), &s.unixSecond)) {
        return bad(QStringLiteral("unix_s"), QStringLiteral("must be a whole number of seconds"));
    }
    if (o.contains(QStringLiteral("in_flight")) &&
        !wholeNumber(o.value(QStringLiteral("in_flight")), &s.inFlight)) {
        return bad(QStringLiteral("in_flight"), QStringLiteral("must be a whole number"));
    }
    const QJsonValue counters = o.value(QStringLiteral("counts"));
    if (!counters.isObject()) {
        return bad(QStringLiteral("counts"), QStringLiteral("must be an object"));
    }
    const QJsonObject c = counters.toObject();
    for (auto it = c.begin(); it != c.end(); ++it) {
        const CounterName* known = nullptr;
        for (const CounterName& n : kCounters) {
            known = it.key() == QLatin1String(n.name) ? &n : known;
        }
        if (!known) {
            return bad(QStringLiteral("counts.") + it.key(), QStringLiteral("unknown counter"));
        }
        if (!wholeNumber(it.value(), &(s.counts.*known->member))) {
            return bad(QStringLiteral("counts.") + it.key(),
                       QStringLiteral("must be a whole number >= 0"));
        }
    }
    const QJsonValue hist = o.value(QStringLiteral("histograms"));
    if (!hist.isObject()) {
        return bad(QStringLiteral("histograms"), QStringLiteral("must be an object"));
    }
    const QJsonObject h = hist.toObject();
    for (auto it = h.begin(); it != h.end(); ++it) {
        const std::string text = it.value().toString().toStdString();
        auto parsed = LatencyHistogram::deserialize(text);
        if (!it.value().isString() || !parsed) {
            return bad(QStringLiteral("histograms.") + it.key(),
                       QStringLiteral("not a serialized histogram (\"LH1 ...\")"));
        }
        s.histograms.emplace(it.key(), std::move(*parsed));
    }
    return s;
}

Result<void> AgentSlice::add(const AgentSlice& other) {
    addCounts(counts, other.counts);
    inFlight += other.inFlight;
    for (const auto& [metric, h] : other.histograms) {
        auto [it, inserted] = histograms.try_emplace(metric, h);
        if (!inserted && !it->second.merge(h)) {
            return Error::invalid(QStringLiteral("slice: histograms.") + metric,
                                  QStringLiteral("a different histogram layout (highest, "
                                                 "significant digits) than the other agents'"));
        }
    }
    return {};
}

} // namespace sluice
