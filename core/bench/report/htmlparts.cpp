#include "core/bench/report/htmlparts.h"

#include "core/bench/report/seriescsv.h"
#include "core/metrics/latencyhistogram.h"

#include <algorithm>
#include <cmath>

namespace sluice::report::detail {

using namespace Qt::Literals::StringLiterals;

namespace {

constexpr std::array<double, 7> kStatPercentiles = {-1, 50, 90, 95, 99, 99.9, 100};
constexpr int kMaxTableRows = 1000;

// One stylesheet for both pages: system fonts, a light background, tabular figures.
const char* const kCss = R"(
body{margin:0;background:#f6f7f9;color:#1f2937;font:14px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,sans-serif}main{max-width:960px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}
h2{font-size:16px;margin:28px 0 8px}.sub,dt,.kv span{color:#6b7280}.none{color:#9ca3af}
section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;margin:8px 0}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th{color:#4b5563}
th,td{padding:4px 8px;text-align:right;border-bottom:1px solid #f0f1f3}
th:first-child,td:first-child,td.text{text-align:left}dd{margin:0;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}
.banner{padding:10px 16px;border-radius:8px;font-weight:600;margin:12px 0}
.pass,td.better{background:#dcfce7;color:#166534}.fail,td.worse{background:#fee2e2;color:#991b1b}
.met{color:#15803d;font-weight:600}.failed{color:#b91c1c;font-weight:600}
.kv{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px}
.kv div{background:#f9fafb;border-radius:6px;padding:6px 10px}.kv b{display:block;font-size:18px}
svg{display:block;width:100%;height:auto;margin:6px 0 14px}svg .nodata{font-size:14px;fill:#9ca3af}
svg text{font:11px system-ui,sans-serif;fill:#4b5563}
svg .ct{font-size:13px;font-weight:600;fill:#1f2937}
.grid{stroke:#eef0f3}.axis{stroke:#9ca3af;fill:none}.frame{fill:#fafafa;stroke:#e5e7eb}
.line{fill:none;stroke-width:1.5;stroke-linejoin:round;stroke-linecap:round}
.dash{stroke-dasharray:6 4}.threshold{stroke-dasharray:8 4}
.marker line{stroke:#6b7280;stroke-dasharray:3 3}
)";

QString metCell(const QJsonValue& met) {
    if (!met.isBool()) {
        return u"<td class=\"none\">—</td>"_s;
    }
    return met.toBool() ? u"<td class=\"met\">met</td>"_s : u"<td class=\"failed\">failed</td>"_s;
}

} // namespace

// ---- Text --------------------------------------------------------------------------------------

QString esc(const QString& s) {
    return s.toHtmlEscaped();
}

QString fmtNum(double v) {
    if (!std::isfinite(v)) {
        return u"—"_s;
    }
    const double a = std::abs(v);
    if (a >= 1e15) {
        return QString::number(v, 'g', 3);
    }
    if (a > 0 && a < 0.01) {
        // 0.0012 stays readable; a microsecond after the start (an event time) is "0".
        const QString text = trimZeros(QString::number(v, 'f', 4));
        return text == u"-0"_s ? u"0"_s : text;
    }
    if (v == std::round(v)) {
        return QString::number(v, 'f', 0);
    }
    return trimZeros(QString::number(v, 'f', a >= 1000 ? 0 : a >= 100 ? 1 : a >= 1 ? 2 : 3));
}

QString fmtDuration(double s) {
    if (!std::isfinite(s)) {
        return u"—"_s;
    }
    if (s < 120) {
        return fmtNum(s) + u" s"_s;
    }
    const auto total = static_cast<qint64>(std::llround(s));
    const QString ms = u"%1 min %2 s"_s.arg(total / 60 % 60).arg(total % 60);
    return total >= 3600 ? u"%1 h "_s.arg(total / 3600) + ms : ms;
}

QString jsonText(const QJsonValue& v) {
    switch (v.type()) {
    case QJsonValue::String:
        return v.toString();
    case QJsonValue::Double:
        return fmtNum(v.toDouble());
    case QJsonValue::Bool:
        return v.toBool() ? u"true"_s : u"false"_s;
    case QJsonValue::Array: {
        QStringList parts;
        for (const QJsonValue& e : v.toArray()) {
            parts.append(e.isObject() ? u'{' + jsonText(e) + u'}' : jsonText(e));
        }
        return parts.join(u", "_s);
    }
    case QJsonValue::Object: {
        QStringList parts;
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            parts.append(it.key() + u": "_s + jsonText(it.value()));
        }
        return parts.join(u", "_s);
    }
    default:
        return u"—"_s;
    }
}

std::optional<double> numberOf(const QJsonValue& v) {
    return v.isDouble() ? std::optional<double>(v.toDouble()) : std::nullopt;
}

QJsonObject objectOf(const QJsonObject& o, const char* key) {
    return o.value(QLatin1String(key)).toObject();
}

QJsonArray arrayOf(const QJsonObject& o, const char* key) {
    return o.value(QLatin1String(key)).toArray();
}

QStringList orderedKeys(const QJsonObject& o, std::initializer_list<const char*> preferred) {
    QStringList keys;
    for (const char* key : preferred) {
        if (o.contains(QLatin1String(key))) {
            keys.append(QLatin1String(key));
        }
    }
    for (const QString& key : o.keys()) {
        if (!keys.contains(key)) {
            keys.append(key);
        }
    }
    return keys;
}

// ---- Latency -----------------------------------------------------------------------------------

MetricStats readMetric(const QJsonObject& m) {
    MetricStats s;
    bool missing = !m.value(u"count"_s).isDouble();
    for (size_t i = 0; i < kStatKeys.size(); ++i) {
        s.values[i] = numberOf(m.value(QLatin1String(kStatKeys[i])));
        missing = missing || !s.values[i];
    }
    std::optional<LatencyHistogram> h;
    const QString text = m.value(u"histogram"_s).toString();
    if (missing && !text.isEmpty()) {
        h = LatencyHistogram::deserialize(text.toStdString());
    }
    s.count = numberOf(m.value(u"count"_s)).value_or(h ? static_cast<double>(h->count()) : 0.0);
    for (size_t i = 0; h && h->count() > 0 && i < kStatKeys.size(); ++i) {
        if (!s.values[i]) {
            const double ns = kStatPercentiles[i] < 0
                                  ? h->mean()
                                  : static_cast<double>(h->percentile(kStatPercentiles[i]));
            s.values[i] = ns / 1e6;
        }
    }
    return s;
}

// ---- Page pieces -------------------------------------------------------------------------------

QString pageStart(const QString& title) {
    return u"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           u"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>"_s +
           esc(title) + u"</title><style>"_s + QLatin1String(kCss) +
           u"</style></head><body><main>\n"_s;
}

std::pair<QString, QString> verdictOf(const QJsonObject& summary) {
    const QJsonObject verdict = objectOf(summary, "verdict");
    const QString failed = jsonText(verdict.value(u"failed"_s));
    if (!verdict.value(u"passed"_s).isBool()) {
        return {u"none"_s, u"no verdict"_s};
    }
    return verdict.value(u"passed"_s).toBool()
               ? std::pair{u"pass"_s, u"passed"_s}
               : std::pair{u"fail"_s, failed.isEmpty() ? u"failed"_s : u"failed: "_s + failed};
}

QString arrayTable(const QJsonArray& rows, const QStringList& columns) {
    if (rows.isEmpty()) {
        return u"<section><p class=\"none\">none</p></section>\n"_s;
    }
    QString s = u"<section><table><tr>"_s;
    for (const QString& c : columns) {
        s += u"<th>"_s + esc(c) + u"</th>"_s;
    }
    s += u"</tr>\n"_s;
    for (qsizetype i = 0; i < std::min<qsizetype>(rows.size(), kMaxTableRows); ++i) {
        s += u"<tr>"_s;
        for (const QString& c : columns) {
            const QJsonValue v = rows[i].toObject().value(c);
            s += (c == u"met"_s ? metCell(v)
                                : (v.isDouble() ? u"<td>"_s : u"<td class=\"text\">"_s) +
                                      esc(jsonText(v)) + u"</td>"_s);
        }
        s += u"</tr>\n"_s;
    }
    s += u"</table>"_s;
    if (rows.size() > kMaxTableRows) {
        s += u"<p class=\"sub\">First %1 of %2; summary.json has all.</p>"_s.arg(kMaxTableRows)
                 .arg(rows.size());
    }
    return s + u"</section>\n"_s;
}

QString sloTable(const QJsonArray& slo) {
    QString s;
    for (const QJsonValue& v : slo) {
        const QJsonObject o = v.toObject();
        const QString unit = u' ' + o.value(u"unit"_s).toString();
        const auto observed = numberOf(o.value(u"observed"_s));
        s += u"<tr><td>%1</td><td>%2</td><td>%3</td>"_s.arg(
                 esc(o.value(u"spec"_s).toString()),
                 observed ? esc(fmtNum(*observed) + unit) : u"no samples"_s,
                 esc(jsonText(o.value(u"threshold"_s)) + unit)) +
             metCell(o.value(u"met"_s)) + u"</tr>\n"_s;
    }
    return s.isEmpty() ? u"<section><p class=\"none\">no SLOs</p></section>\n"_s
                       : u"<section><table><tr><th>SLO</th><th>observed</th><th>threshold</th>"
                         u"<th>verdict</th></tr>\n"_s +
                             s + u"</table></section>\n"_s;
}

QString latencyTable(const QJsonObject& summary) {
    const QJsonObject latency = objectOf(summary, "latency_ms");
    const QJsonObject definitions = objectOf(summary, "definitions");
    QString s = u"<section><table><tr><th>ms</th><th>count</th><th>mean</th><th>p50</th>"
                u"<th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n"_s;
    for (const char* metric : kMetrics) {
        const QString name = QLatin1String(metric);
        const MetricStats m = readMetric(latency.value(name).toObject());
        const QString definition = definitions.value(name).toString();
        s += u"<tr><td%1>%2</td><td>%3</td>"_s.arg(
            definition.isEmpty() ? QString() : u" title=\""_s + esc(definition) + u'"', name,
            fmtNum(m.count));
        if (m.count <= 0 && (name == u"transit"_s || name == u"ttft_error"_s)) {
            s.chop(s.size() - s.lastIndexOf(u"<tr>"_s)); // only against a server that stamps
            continue;
        }
        if (m.count <= 0) {
            s += u"<td colspan=\"7\" class=\"none\">no samples</td></tr>\n"_s;
            continue;
        }
        for (const auto& v : m.values) {
            s += u"<td>"_s + (v ? fmtNum(*v) : u"—"_s) + u"</td>"_s;
        }
        s += u"</tr>\n"_s;
    }
    return s + u"</table></section>\n"_s;
}

QString dlOf(const QJsonObject& o, std::initializer_list<const char*> order) {
    QString s = u"<section><dl>"_s;
    for (const QString& key : orderedKeys(o, order)) {
        s += u"<dt>%1</dt><dd>%2</dd>\n"_s.arg(esc(key), esc(jsonText(o.value(key))));
    }
    return s + u"</dl></section>\n"_s;
}

QString tilesOf(const QJsonObject& o, std::initializer_list<const char*> order) {
    QString s = u"<section class=\"kv\">"_s;
    for (const QString& key : orderedKeys(o, order)) {
        s += u"<div><b>%1</b><span>%2</span></div>"_s.arg(esc(jsonText(o.value(key))),
                                                          esc(QString(key).replace(u'_', u' ')));
    }
    return s + u"</section>\n"_s;
}

} // namespace sluice::report::detail
