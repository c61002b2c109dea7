#include "core/bench/slospec.h"

#include "core/metrics/requestmetrics.h"

#include <QRegularExpression>
#include <QStringList>

namespace sluice {

Result<SloSpec> SloSpec::parse(const QString& text) {
    static const QRegularExpression re(QStringLiteral(
        R"(^\s*([a-z_0-9]+)(?::p([0-9]+(?:\.[0-9]+)?))?\s*<\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|us|%)?\s*$)"));
    const auto m = re.match(text);
    SloSpec spec;
    spec.text = text.trimmed();
    if (!m.hasMatch()) {
        return Error::invalid(
            {}, QStringLiteral("SLO '%1': expected METRIC[:pNN]<VALUE, e.g. ttft:p95<500ms, "
                               "e2e<2s or errors<1%")
                    .arg(text));
    }
    spec.metric = m.captured(1);
    const double value = m.captured(3).toDouble();
    const QString unit = m.captured(4);
    if (spec.metric == QLatin1String("errors")) {
        if (!m.captured(2).isEmpty() || (unit != QLatin1String("%") && !unit.isEmpty())) {
            return Error::invalid(
                {}, QStringLiteral("SLO '%1': errors takes a share, e.g. errors<1%").arg(text));
        }
        spec.threshold = unit.isEmpty() ? value : value / 100.0;
        if (spec.threshold > 1) {
            return Error::invalid({}, QStringLiteral("SLO '%1': a share above 100%").arg(text));
        }
        return spec;
    }
    if (const QStringList known = sloMetricNames(); !known.contains(spec.metric)) {
        return Error::invalid({},
                              QStringLiteral("SLO '%1': unknown metric '%2' (known: %3, errors)")
                                  .arg(text, spec.metric, known.join(QStringLiteral(", "))));
    }
    if (unit.isEmpty() || unit == QLatin1String("%")) {
        return Error::invalid(
            {}, QStringLiteral("SLO '%1': the threshold needs a unit: ms, s or us").arg(text));
    }
    if (!m.captured(2).isEmpty()) {
        spec.percentile = m.captured(2).toDouble();
        if (spec.percentile <= 0 || spec.percentile > 100) {
            return Error::invalid(
                {}, QStringLiteral("SLO '%1': percentile must be in (0, 100]").arg(text));
        }
    }
    spec.threshold = unit == QLatin1String("s")    ? value * 1000
                     : unit == QLatin1String("us") ? value / 1000
                                                   : value;
    return spec;
}

} // namespace sluice
