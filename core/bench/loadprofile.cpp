#include "core/bench/loadprofile.h"

#include <algorithm>
#include <cmath>

namespace sluice {

const char* loadKindName(LoadProfile::Kind kind) {
    switch (kind) {
    case LoadProfile::Kind::Closed:
        return "closed";
    case LoadProfile::Kind::Constant:
        return "constant";
    case LoadProfile::Kind::Poisson:
        return "poisson";
    }
    return "closed";
}

double LoadProfile::loadAt(Nanos t) const {
    double value = load;
    if (rampTo && rampOver.count() > 0) {
        const double f = std::clamp(
            static_cast<double>(t.count()) / static_cast<double>(rampOver.count()), 0.0, 1.0);
        if (rampSteps > 0) {
            // Steps: `load` during the first step, `rampTo` during the last.
            const double step =
                std::min(std::floor(f * rampSteps), static_cast<double>(rampSteps - 1));
            value = rampSteps == 1 ? *rampTo : load + (*rampTo - load) * step / (rampSteps - 1);
            if (f >= 1.0) {
                value = *rampTo;
            }
        } else {
            value = load + (*rampTo - load) * f;
        }
    }
    if (spikeLoad && t >= spikeAt && t < spikeAt + spikeFor) {
        value = *spikeLoad;
    }
    return value;
}

QString LoadProfile::describe() const {
    const QString unit = openLoop() ? QStringLiteral(" rps") : QStringLiteral(" concurrent");
    QString text =
        QString::fromLatin1(loadKindName(kind)) + QLatin1Char(' ') + QString::number(load) + unit;
    if (rampTo) {
        text += QStringLiteral(", ramp to %1 over %2 s").arg(*rampTo).arg(toSeconds(rampOver));
    }
    if (spikeLoad) {
        text += QStringLiteral(", spike to %1 at %2 s for %3 s")
                    .arg(*spikeLoad)
                    .arg(toSeconds(spikeAt))
                    .arg(toSeconds(spikeFor));
    }
    if (stress) {
        text += QStringLiteral(", stress +%1 every %2 s up to %3")
                    .arg(stressStep)
                    .arg(toSeconds(stressStepFor))
                    .arg(stressMax);
    }
    return text;
}

QJsonObject LoadProfile::toJson() const {
    QJsonObject o{{QStringLiteral("kind"), QString::fromLatin1(loadKindName(kind))}};
    o.insert(openLoop() ? QStringLiteral("rate") : QStringLiteral("concurrency"), load);
    if (rampTo) {
        o.insert(QStringLiteral("ramp"),
                 QJsonObject{{QStringLiteral("to"), *rampTo},
                             {QStringLiteral("over_s"), toSeconds(rampOver)},
                             {QStringLiteral("steps"), rampSteps}});
    }
    if (spikeLoad) {
        o.insert(QStringLiteral("spike"),
                 QJsonObject{{QStringLiteral("load"), *spikeLoad},
                             {QStringLiteral("at_s"), toSeconds(spikeAt)},
                             {QStringLiteral("for_s"), toSeconds(spikeFor)}});
    }
    if (stress) {
        o.insert(QStringLiteral("stress"),
                 QJsonObject{{QStringLiteral("step"), stressStep},
                             {QStringLiteral("max"), stressMax},
                             {QStringLiteral("step_s"), toSeconds(stressStepFor)}});
    }
    return o;
}

ArrivalSchedule::ArrivalSchedule(bool poisson, std::uint64_t seed)
    : m_poisson(poisson)
    , m_rng(seed) {}

Nanos ArrivalSchedule::gap(double rate) {
    if (!(rate > 0)) {
        return Nanos::max();
    }
    double seconds = 1.0 / rate;
    if (m_poisson) {
        std::exponential_distribution<double> exp(rate);
        seconds = exp(m_rng);
    }
    return Nanos{static_cast<Nanos::rep>(seconds * 1e9)};
}

void ArrivalSchedule::advance(double rate) {
    m_last = m_next;
    const Nanos g = gap(rate);
    m_next = g == Nanos::max() ? Nanos::max() : m_next + g;
}

void ArrivalSchedule::changeRate(double rate, Nanos now) {
    const Nanos g = gap(rate);
    if (g == Nanos::max()) {
        m_next = Nanos::max();
    } else if (m_last) {
        m_next = std::max(*m_last + g, now);
    } else {
        m_next = m_next == Nanos::max() ? now : std::max(m_next, now);
    }
}

} // namespace sluice
