#include "core/bench/report/comparisonhtml.h"

#include "core/bench/report/htmlparts.h"
#include "core/bench/report/svgchart.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <tuple>

namespace sluice {

using namespace Qt::Literals::StringLiterals;
using namespace report::detail;

namespace {

/// Counts where more is worse, so a comparison can flag them.
constexpr std::array<const char*, 8> kBadCounts = {"failed",      "rejected",     "timed_out",
                                                   "cancelled",   "rate_limited", "retries",
                                                   "late_starts", "dropped"};

/// B/A, flagged when B is more than 10% worse: `higherIsWorse` for latencies and failure counts,
/// false for throughput; nullopt for figures that are neither.
QString ratioCell(std::optional<double> a, std::optional<double> b,
                  std::optional<bool> higherIsWorse) {
    if (!a || !b || (*a == 0 && *b == 0)) {
        return u"<td class=\"none\">—</td>"_s;
    }
    const double r = *a == 0 ? std::numeric_limits<double>::infinity() : *b / *a;
    QString cls;
    if (higherIsWorse) {
        const bool worse = *higherIsWorse ? r > 1.1 : r < 0.9;
        const bool better = *higherIsWorse ? r < 0.9 : r > 1.1;
        cls = worse ? u" class=\"worse\""_s : better ? u" class=\"better\""_s : QString();
    }
    return u"<td%1>%2</td>"_s.arg(cls,
                                  std::isfinite(r) ? QString::number(r, 'f', 2) + u"×"_s : u"∞"_s);
}

QString compareTable(const QJsonObject& a, const QJsonObject& b,
                     std::initializer_list<const char*> order) {
    QStringList keys = orderedKeys(a, order);
    for (const QString& key : orderedKeys(b, order)) {
        if (!keys.contains(key)) {
            keys.append(key);
        }
    }
    QString s = u"<section><table><tr><th></th><th>A</th><th>B</th><th>B/A</th></tr>\n"_s;
    for (const QString& key : keys) {
        const bool bad = std::any_of(kBadCounts.begin(), kBadCounts.end(),
                                     [&](const char* k) { return key == QLatin1String(k); });
        const bool rate = key.endsWith(u"_per_s"_s);
        const auto higherIsWorse = bad || rate ? std::optional(bad) : std::nullopt;
        s += u"<tr><td>%1</td><td>%2</td><td>%3</td>"_s.arg(esc(key), esc(jsonText(a.value(key))),
                                                            esc(jsonText(b.value(key)))) +
             ratioCell(numberOf(a.value(key)), numberOf(b.value(key)), higherIsWorse) +
             u"</tr>\n"_s;
    }
    return s + u"</table></section>\n"_s;
}

} // namespace

QString renderComparisonHtml(const QJsonObject& summaryA, const SeriesData& seriesA,
                             const QString& nameA, const QJsonObject& summaryB,
                             const SeriesData& seriesB, const QString& nameB) {
    QString s = pageStart(u"Sluice comparison: "_s + nameA + u" vs "_s + nameB);
    s += u"<h1>%1 vs %2</h1><p class=\"sub\">A solid, B dashed; ratios are B/A, red where B is "
         u"more than 10% worse</p>\n<section><table><tr><th></th><th>name</th><th>title</th>"
         u"<th>started</th><th>duration</th><th>verdict</th></tr>\n"_s.arg(esc(nameA), esc(nameB));
    for (const auto& [label, summary, name] :
         {std::tuple{u"A"_s, &summaryA, &nameA}, std::tuple{u"B"_s, &summaryB, &nameB}}) {
        s += u"<tr><td>%1</td><td class=\"text\">%2</td><td class=\"text\">%3</td>"
             u"<td class=\"text\">%4</td><td>%5</td><td class=\"%6\">%7</td></tr>\n"_s.arg(
                 label, esc(*name), esc(summary->value(u"title"_s).toString()),
                 esc(jsonText(summary->value(u"started_at"_s))),
                 esc(fmtDuration(numberOf(summary->value(u"duration_s"_s)).value_or(kNaN))),
                 verdictOf(*summary).first, esc(verdictOf(*summary).second));
    }
    s += u"</table></section>\n<h2>Latency (ms)</h2>\n<section><table><tr><th></th>"_s;
    for (const char* p : {"p50", "p95", "p99"}) {
        s += u"<th>%1 A</th><th>%1 B</th><th>B/A</th>"_s.arg(QLatin1String(p));
    }
    s += u"</tr>\n"_s;
    const QJsonObject latencyA = objectOf(summaryA, "latency_ms");
    const QJsonObject latencyB = objectOf(summaryB, "latency_ms");
    for (const char* metric : kMetrics) {
        const QString name = QLatin1String(metric);
        const MetricStats a = readMetric(latencyA.value(name).toObject());
        const MetricStats b = readMetric(latencyB.value(name).toObject());
        s += u"<tr><td>"_s + name + u"</td>"_s;
        if (a.count <= 0 && b.count <= 0) {
            s += u"<td colspan=\"9\" class=\"none\">no samples</td></tr>\n"_s;
            continue;
        }
        for (const size_t i : {size_t(1), size_t(3), size_t(4)}) {
            const auto va = a.count > 0 ? a.values[i] : std::nullopt;
            const auto vb = b.count > 0 ? b.values[i] : std::nullopt;
            s += u"<td>%1</td><td>%2</td>"_s.arg(va ? fmtNum(*va) : u"—"_s,
                                                 vb ? fmtNum(*vb) : u"—"_s) +
                 ratioCell(va, vb, true);
        }
        s += u"</tr>\n"_s;
    }
    s += u"</table></section>\n<h2>Counts</h2>\n"_s +
         compareTable(objectOf(summaryA, "counts"), objectOf(summaryB, "counts"), kCountOrder);
    s += u"<h2>Throughput</h2>\n"_s + compareTable(objectOf(summaryA, "throughput"),
                                                   objectOf(summaryB, "throughput"),
                                                   kThroughputOrder);
    s += u"<h2>SLOs</h2>\n<p>A (%1)</p>\n"_s.arg(esc(nameA)) + sloTable(arrayOf(summaryA, "slo"));
    s += u"<p>B (%1)</p>\n"_s.arg(esc(nameB)) + sloTable(arrayOf(summaryB, "slo"));
    s += chartsHtml({{&seriesA, nameA, false, markersOf(summaryA, u"A "_s)},
                     {&seriesB, nameB, true, markersOf(summaryB, u"B "_s)}});
    return s + u"</main></body></html>\n"_s;
}

} // namespace sluice
