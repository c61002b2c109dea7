#include "core/server/gateway/limitheaders.h"

#include "core/goduration.h"

#include <QByteArrayList>

#include <algorithm>

namespace sluice::gateway {

namespace {

qint64 ceilSeconds(Nanos d) {
    return std::max<qint64>(0,
                            std::chrono::ceil<std::chrono::seconds>(std::max(d, Nanos{0})).count());
}

// The line of one kind with the least left: what the caller will run into first.
const LimitLine* tightest(const std::vector<LimitLine>& lines, bool tokens) {
    const LimitLine* best = nullptr;
    for (const LimitLine& l : lines) {
        if (l.tokens == tokens && (!best || l.remaining < best->remaining)) {
            best = &l;
        }
    }
    return best;
}

} // namespace

LimitLine windowLine(QByteArray name, bool tokens, std::int64_t quota, const GcraLimiter* limiter,
                     Nanos now, bool refuses) {
    LimitLine l{std::move(name), tokens, quota};
    l.remaining = quota;
    if (limiter && !limiter->unlimited() && limiter->interval().count() > 0) {
        // Each admitted unit pushes the theoretical arrival time one interval ahead, and one
        // unit comes back per interval: the debt is the window's use.
        const Nanos debt = std::max(Nanos{0}, limiter->tat() - now);
        const std::int64_t used =
            (debt.count() + limiter->interval().count() - 1) / limiter->interval().count();
        l.remaining = std::clamp<std::int64_t>(quota - used, 0, quota);
        l.reset = debt;
        if (refuses && limiter->waitTime(now) > Nanos{0}) {
            l.remaining = 0;
        }
    }
    return l;
}

HttpHeaders limitHeaders(const std::vector<LimitLine>& lines, int concurrencyLimit, int inFlight) {
    HttpHeaders h;
    for (const bool tokens : {false, true}) {
        if (const LimitLine* l = tightest(lines, tokens)) {
            const QByteArray kind = tokens ? "tokens" : "requests";
            h.emplace_back("x-ratelimit-limit-" + kind, QByteArray::number(l->quota));
            h.emplace_back("x-ratelimit-remaining-" + kind, QByteArray::number(l->remaining));
            h.emplace_back("x-ratelimit-reset-" + kind,
                           formatGoDuration(std::max(l->reset, Nanos{0})));
        }
    }
    QByteArrayList policy, state;
    for (const LimitLine& l : lines) {
        policy << '"' + l.name + "\";q=" + QByteArray::number(l.quota) +
                      ";w=" + QByteArray::number(ceilSeconds(l.window));
        state << '"' + l.name +
                     "\";r=" + QByteArray::number(std::max<std::int64_t>(0, l.remaining)) +
                     ";t=" + QByteArray::number(ceilSeconds(l.reset));
    }
    policy << "\"concurrency\";q=" + QByteArray::number(concurrencyLimit) +
                  ";qu=\"concurrent-requests\"";
    state << "\"concurrency\";r=" + QByteArray::number(std::max(0, concurrencyLimit - inFlight));
    h.emplace_back("ratelimit-policy", policy.join(", "));
    h.emplace_back("ratelimit", state.join(", "));
    return h;
}

} // namespace sluice::gateway
