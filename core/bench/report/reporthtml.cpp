#include "core/bench/report/reporthtml.h"

#include "core/bench/report/htmlparts.h"
#include "core/bench/report/svgchart.h"

namespace sluice {

using namespace Qt::Literals::StringLiterals;
using namespace report::detail;

namespace {

const std::initializer_list<const char*> kConfigOrder = {
    "target",  "format", "model",    "stream",     "max_tokens", "keys",
    "profile", "limits", "warmup_s", "duration_s", "requests",   "slo"};

} // namespace

QString renderReportHtml(const QJsonObject& summary, const SeriesData& series) {
    const QString title = summary.value(u"title"_s).toString(u"Sluice run"_s);
    QString s = pageStart(u"Sluice report: "_s + title);
    s += u"<h1>%1</h1><p class=\"sub\">started %2 · duration %3</p>\n"_s.arg(
        esc(title), esc(jsonText(summary.value(u"started_at"_s))),
        esc(fmtDuration(numberOf(summary.value(u"duration_s"_s)).value_or(kNaN))));
    const auto [verdictClass, verdict] = verdictOf(summary);
    s += u"<div class=\"banner %1\">Verdict: %2</div>\n"_s.arg(verdictClass, esc(verdict));
    s += u"<h2>Config</h2>\n"_s + dlOf(objectOf(summary, "config"), kConfigOrder);
    s += u"<h2>Counts</h2>\n"_s + tilesOf(objectOf(summary, "counts"), kCountOrder);
    s += u"<h2>Throughput</h2>\n"_s + tilesOf(objectOf(summary, "throughput"), kThroughputOrder);
    s += u"<h2>Failures by reason</h2>\n"_s +
         arrayTable(arrayOf(objectOf(summary, "failures"), "by_reason"),
                    {u"label"_s, u"group"_s, u"count"_s, u"reason"_s, u"example"_s});
    s += u"<h2>Latency</h2>\n"_s + latencyTable(summary);
    s += u"<h2>SLOs</h2>\n"_s + sloTable(arrayOf(summary, "slo"));
    if (summary.value(u"stress"_s).isObject()) {
        const QJsonObject stress = objectOf(summary, "stress");
        const QString unit = stress.value(u"unit"_s).toString();
        const auto knee = numberOf(stress.value(u"knee"_s));
        s += u"<h2>Stress steps</h2>\n<p>Knee: <b>%1</b></p>\n"_s.arg(
            knee ? esc(fmtNum(*knee) + u' ' + unit) : u"none (no step met the SLOs)"_s);
        s += arrayTable(arrayOf(stress, "steps"),
                        {u"load"_s, u"achieved_rps"_s, u"met"_s, u"detail"_s});
    }
    s += chartsHtml({{&series, QString(), false, markersOf(summary, QString())}});
    s += u"<h2>Events</h2>\n"_s +
         arrayTable(arrayOf(summary, "events"), {u"t"_s, u"kind"_s, u"text"_s});
    s += u"<h2>Alerts</h2>\n"_s +
         arrayTable(arrayOf(summary, "alerts"),
                    {u"t"_s, u"rule"_s, u"severity"_s, u"state"_s, u"value"_s, u"text"_s});
    s += u"<h2>Definitions</h2>\n"_s + dlOf(objectOf(summary, "definitions"), {});
    return s + u"</main></body></html>\n"_s;
}

} // namespace sluice
