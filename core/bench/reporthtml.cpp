#include "core/bench/reporthtml.h"

#include "core/metrics/latencyhistogram.h"

#include <QJsonArray>
#include <QJsonValue>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace sluice {

using namespace Qt::Literals::StringLiterals;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- CSV ---------------------------------------------------------------------------------------

QString trimZeros(QString s) {
    if (s.contains(u'.')) {
        while (s.endsWith(u'0')) {
            s.chop(1);
        }
        if (s.endsWith(u'.')) {
            s.chop(1);
        }
    }
    return s;
}

QString csvNumber(double v) {
    if (!std::isfinite(v)) {
        return {};
    }
    const double a = std::abs(v);
    if (a == 0) {
        return u"0"_s;
    }
    if (a < 1e-6 || a >= 1e15) {
        return QString::number(v, 'g', 6);
    }
    // Fixed notation with as many decimals as 6 significant digits need, then no trailing zeros.
    const int intDigits = static_cast<int>(std::floor(std::log10(a))) + 1;
    return trimZeros(QString::number(v, 'f', std::max(0, 6 - intDigits)));
}

/// A cell without spaces around it and without the quotes a spreadsheet may put around text.
/// Cells never hold a comma (numbers and the format's column names), so no quote-aware split.
QString cellText(QStringView cell) {
    cell = cell.trimmed();
    if (cell.size() >= 2 && cell.startsWith(u'"') && cell.endsWith(u'"')) {
        cell = cell.mid(1, cell.size() - 2).trimmed();
    }
    return cell.toString();
}

// ---- Text --------------------------------------------------------------------------------------

QString esc(const QString& s) {
    return s.toHtmlEscaped();
}

/// For people, not for round trips: whole numbers stay whole, others get the decimals their
/// size deserves (201.2 ms, 9.98 rps, 0.123 ms), never trailing zeros.
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

/// A JSON value as one line of text: arrays joined by commas (the keys array is shown as given,
/// it is masked before it is written), objects as "key: value" pairs.
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

/// QJsonObject sorts its keys; reports read better in the order of the format document.
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

const std::initializer_list<const char*> kConfigOrder = {
    "target",  "format", "model",    "stream",     "max_tokens", "keys",
    "profile", "limits", "warmup_s", "duration_s", "requests",   "slo"};
const std::initializer_list<const char*> kCountOrder = {
    "submitted",   "measured",       "warmup",    "done",         "failed",
    "rejected",    "timed_out",      "cancelled", "rate_limited", "retries",
    "late_starts", "held_by_limits", "dropped"};
const std::initializer_list<const char*> kThroughputOrder = {
    "requests_per_s", "ok_per_s",      "goodput_per_s",    "output_tokens_per_s",
    "output_tokens",  "prompt_tokens", "tokens_estimated", "peak_concurrency"};
/// Counts where more is worse, so a comparison can flag them.
constexpr std::array<const char*, 8> kBadCounts = {"failed",      "rejected",     "timed_out",
                                                   "cancelled",   "rate_limited", "retries",
                                                   "late_starts", "dropped"};

// ---- Latency -----------------------------------------------------------------------------------

constexpr std::array<const char*, 10> kMetrics = {
    "ttft",         "ttfb", "ttst",      "itl",     "tpot_decode",
    "tpot_overall", "e2e",  "corrected", "service", "queue"};
constexpr std::array<const char*, 7> kStatKeys = {"mean", "p50",   "p90", "p95",
                                                  "p99",  "p99_9", "max"};
constexpr std::array<double, 7> kStatPercentiles = {-1, 50, 90, 95, 99, 99.9, 100};

struct MetricStats {
    double count = 0;
    std::array<std::optional<double>, 7> values; // kStatKeys order, ms
};

/// A metric's figures; one missing from the JSON is recomputed from the histogram (ns), which
/// is what the histogram is kept for.
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

// ---- Charts ------------------------------------------------------------------------------------

constexpr double kW = 900, kH = 220, kLeft = 56, kRight = 16, kTop = 30, kBottom = 26;
constexpr double kPlotW = kW - kLeft - kRight, kPlotH = kH - kTop - kBottom;
/// Above this many rows a line keeps only the min and max of each pixel column: a 24-hour run
/// then costs what a 15-minute one does, and no spike is lost.
constexpr size_t kDecimateAbove = 1200;
constexpr int kMaxMarkers = 200;
constexpr int kMaxTableRows = 1000;

struct SeriesDef {
    const char* column;
    const char* label;
    const char* color;
};
struct ChartDef {
    const char* title;
    std::array<SeriesDef, 4> series; // column nullptr: unused
    bool thresholds;
};
constexpr std::array<ChartDef, 7> kCharts = {{
    {"Concurrency", {{{"in_flight", "in flight", "#2563eb"}, {"limit", "limit", "#64748b"}}}, true},
    {"Queue", {{{"queued", "queued", "#7c3aed"}}}, false},
    {"Requests per second",
     {{{"sent_rps", "sent", "#2563eb"},
       {"ok_rps", "ok", "#16a34a"},
       {"error_rps", "errors", "#dc2626"},
       {"rate_limited_rps", "rate limited", "#d97706"}}},
     false},
    {"Latency (ms)",
     {{{"ttft_p50_ms", "TTFT p50", "#06b6d4"},
       {"ttft_p99_ms", "TTFT p99", "#0e7490"},
       {"e2e_p50_ms", "E2E p50", "#c084fc"},
       {"e2e_p99_ms", "E2E p99", "#7e22ce"}}},
     false},
    {"Output tokens per second", {{{"output_tokens_per_s", "output tok/s", "#059669"}}}, false},
    {"Failures per second by reason (1 of 2)",
     {{{"fail_network", "network", "#dc2626"},
       {"fail_timeout", "timeout", "#f59e0b"},
       {"fail_malformed", "malformed", "#7c3aed"},
       {"fail_local", "ours (breaker, queue, deadline)", "#64748b"}}},
     false},
    {"Failures per second by reason (2 of 2)",
     {{{"fail_http_4xx", "HTTP 4xx", "#d97706"},
       {"fail_http_5xx", "HTTP 5xx", "#b91c1c"},
       {"fail_provider", "error event in stream", "#0e7490"}}},
     false},
}};

struct Marker {
    double t;
    QString label;
    QString tip;
};
/// One run's data on the charts; in a comparison B is dashed.
struct Run {
    const SeriesData* data;
    QString name;
    bool dashed;
    std::vector<Marker> markers;
};
struct Line {
    const SeriesData* data;
    int x; // t_s, or -1 to use the row index
    int y;
    QString column, label, color;
    bool dashed;
};

double cellOf(const std::vector<double>& row, int column) {
    return column >= 0 && static_cast<size_t>(column) < row.size() ? row[size_t(column)] : kNaN;
}

/// x of row i: t_s, or the row's index (second i) when the file has no t_s.
double xOf(const Line& line, size_t i) {
    return line.x >= 0 ? cellOf(line.data->rows[i], line.x) : static_cast<double>(i);
}

/// Data to SVG coordinates inside the plot area.
struct Frame {
    double x0, x1, y0, y1;
    double x(double t) const { return kLeft + (t - x0) / (x1 - x0) * kPlotW; }
    double y(double v) const { return kTop + kPlotH - (v - y0) / (y1 - y0) * kPlotH; }
};

QString n1(double v) {
    return QString::number(v, 'f', 1);
}

double niceStep(double range, int ticks) {
    const double raw = range / ticks;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

double timeStep(double range) {
    if (range <= 60) {
        return niceStep(range, 6);
    }
    for (const double s : {10., 15., 30., 60., 120., 300., 600., 900., 1800., 3600., 7200., 10800.,
                           21600., 43200.}) {
        if (range / s <= 8) {
            return s;
        }
    }
    return std::ceil(range / 8 / 86400) * 86400;
}

QString timeLabel(double t, double range) {
    const auto s = static_cast<qint64>(std::llround(t));
    if (range <= 180) {
        return fmtNum(t) + u" s"_s;
    }
    if (range < 7200) {
        return u"%1:%2"_s.arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    }
    return u"%1:%2"_s.arg(s / 3600).arg(s / 60 % 60, 2, 10, QLatin1Char('0'));
}

QString tickLabel(double v, double step) {
    if (step >= 1) {
        return std::abs(v) >= 10000 ? fmtNum(v / 1000) + u'k' : QString::number(v, 'f', 0);
    }
    return QString::number(v, 'f', static_cast<int>(std::ceil(-std::log10(step))));
}

/// Path data of one line. A NaN cell (or a pixel column with no finite cell) ends the path's
/// segment, so a gap shows as a gap; a lone point becomes a dot rather than vanishing.
QString pathData(const Line& line, const Frame& f) {
    QString d;
    int segment = 0;
    const auto point = [&](double x, double y) {
        d += (segment++ == 0 ? u'M' : u'L') + n1(f.x(x)) + u',' + n1(f.y(y));
    };
    const auto gap = [&] {
        if (segment == 1) {
            d += u"h0.1"_s;
        }
        segment = 0;
    };
    const auto& rows = line.data->rows;
    if (rows.size() <= kDecimateAbove) {
        for (size_t i = 0; i < rows.size(); ++i) {
            const double x = xOf(line, i), y = cellOf(rows[i], line.y);
            std::isfinite(x) && std::isfinite(y) ? point(x, y) : gap();
        }
        gap();
        return d;
    }
    // Min and max of each pixel column, in the order they occurred.
    qint64 bucket = std::numeric_limits<qint64>::min();
    bool has = false;
    double minX = 0, minY = 0, maxX = 0, maxY = 0;
    size_t minI = 0, maxI = 0;
    const auto flush = [&] {
        if (!has) {
            gap();
            return;
        }
        const bool minFirst = minI <= maxI;
        point(minFirst ? minX : maxX, minFirst ? minY : maxY);
        if (minI != maxI) {
            point(minFirst ? maxX : minX, minFirst ? maxY : minY);
        }
        has = false;
    };
    for (size_t i = 0; i < rows.size(); ++i) {
        const double x = xOf(line, i), y = cellOf(rows[i], line.y);
        if (!std::isfinite(x)) {
            continue;
        }
        const auto b = static_cast<qint64>(std::floor(f.x(x)));
        if (b != bucket) {
            if (bucket != std::numeric_limits<qint64>::min()) {
                flush();
            }
            bucket = b;
        }
        if (!std::isfinite(y)) {
            continue;
        }
        if (!has || y < minY) {
            minX = x, minY = y, minI = i;
        }
        if (!has || y > maxY) {
            maxX = x, maxY = y, maxI = i;
        }
        has = true;
    }
    flush();
    gap();
    return d;
}

QString legendHtml(const std::vector<Line>& lines, const std::vector<Run>& runs) {
    struct Item {
        QString label, color;
        bool dashed;
    };
    std::vector<Item> items;
    for (const Line& l : lines) {
        if (std::none_of(items.begin(), items.end(),
                         [&](const Item& i) { return i.label == l.label; })) {
            items.push_back({l.label, l.color, false});
        }
    }
    for (size_t r = 0; runs.size() > 1 && r < runs.size(); ++r) {
        const QString name = runs[r].name.size() > 28 ? runs[r].name.left(27) + u'…' : runs[r].name;
        items.push_back({QChar(char16_t(u'A' + r)) + u": "_s + name, u"#374151"_s, runs[r].dashed});
    }
    double width = 0;
    for (const Item& i : items) {
        width += 36 + 6.5 * static_cast<double>(i.label.size());
    }
    double x = std::max(kLeft + 200, kW - kRight - width);
    QString s;
    for (const Item& i : items) {
        s += u"<line x1=\"%1\" x2=\"%2\" y1=\"14\" y2=\"14\" stroke=\"%3\" stroke-width=\"2\"%4/>"_s
                 .arg(n1(x), n1(x + 16), i.color, i.dashed ? u" class=\"dash\""_s : QString());
        s += u"<text x=\"%1\" y=\"18\">%2</text>"_s.arg(n1(x + 20), esc(i.label));
        x += 36 + 6.5 * static_cast<double>(i.label.size());
    }
    return s;
}

/// Run B's colour in a comparison: the same hue, darker by half, so the two runs tell apart
/// by colour as well as by dashes.
QString secondRunColor(const char* hex) {
    const QString h = QLatin1String(hex);
    bool ok = false;
    const uint rgb = h.mid(1).toUInt(&ok, 16);
    if (!ok || h.size() != 7) {
        return h;
    }
    const auto half = [](uint c) { return c / 2; };
    return QStringLiteral("#%1%2%3")
        .arg(half((rgb >> 16) & 0xff), 2, 16, QLatin1Char('0'))
        .arg(half((rgb >> 8) & 0xff), 2, 16, QLatin1Char('0'))
        .arg(half(rgb & 0xff), 2, 16, QLatin1Char('0'));
}

QString chartSvg(const ChartDef& def, const std::vector<Run>& runs) {
    std::vector<Line> lines;
    double maxLimit = -1;
    for (const Run& run : runs) {
        for (const SeriesDef& sd : def.series) {
            const int col = sd.column ? run.data->column(QLatin1String(sd.column)) : -1;
            if (col >= 0) {
                lines.push_back(
                    {run.data, run.data->column(u"t_s"_s), col, QLatin1String(sd.column),
                     QLatin1String(sd.label),
                     run.dashed ? secondRunColor(sd.color) : QString(QLatin1String(sd.color)),
                     run.dashed});
            }
        }
        const int limit = run.data->column(u"limit"_s);
        for (const auto& row : run.data->rows) {
            const double v = cellOf(row, limit);
            maxLimit = std::isfinite(v) ? std::max(maxLimit, v) : maxLimit;
        }
    }
    double x0 = 0, x1 = -std::numeric_limits<double>::infinity(), y0 = 0, y1 = x1;
    for (const Line& l : lines) {
        for (size_t i = 0; i < l.data->rows.size(); ++i) {
            const double x = xOf(l, i), y = cellOf(l.data->rows[i], l.y);
            if (std::isfinite(x) && std::isfinite(y)) {
                x0 = std::min(x0, x), x1 = std::max(x1, x);
                y0 = std::min(y0, y), y1 = std::max(y1, y);
            }
        }
    }
    const QString title = QLatin1String(def.title);
    QString s = u"<svg class=\"chart\" viewBox=\"0 0 900 220\" role=\"img\" aria-label=\"%1\">"
                u"<text class=\"ct\" x=\"%2\" y=\"18\">%1</text>"_s.arg(title, n1(kLeft));
    s += legendHtml(lines, runs);
    if (!std::isfinite(y1)) {
        return s + u"<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" class=\"frame\"/>"
                   u"<text class=\"nodata\" x=\"450\" y=\"%5\" text-anchor=\"middle\">no data"
                   u"</text></svg>\n"_s.arg(n1(kLeft), n1(kTop), n1(kPlotW), n1(kPlotH),
                                            n1(kTop + kPlotH / 2 + 5));
    }
    // The default alert thresholds: in flight at 80% and 95% of the limit.
    const bool thresholds = def.thresholds && maxLimit > 0;
    y1 = std::max(y1, thresholds ? maxLimit : y1);
    x1 = x1 > x0 ? x1 : x0 + 1;
    y1 = y1 > y0 ? y1 : y0 + 1;
    const double yStep = niceStep(y1 - y0, 4);
    y0 = std::floor(y0 / yStep) * yStep;
    y1 = std::ceil(y1 / yStep) * yStep;
    const Frame f{x0, x1, y0, y1};
    for (int k = 0; y0 + k * yStep <= y1 + yStep * 1e-9; ++k) {
        const double v = y0 + k * yStep;
        s += u"<line class=\"grid\" x1=\"%1\" x2=\"%2\" y1=\"%3\" y2=\"%3\"/>"
             u"<text x=\"%4\" y=\"%5\" text-anchor=\"end\">%6</text>"_s.arg(
                 n1(kLeft), n1(kW - kRight), n1(f.y(v)), n1(kLeft - 6), n1(f.y(v) + 4),
                 tickLabel(v, yStep));
    }
    const double xStep = timeStep(x1 - x0);
    for (double t = std::ceil(x0 / xStep) * xStep; t <= x1 + xStep * 1e-9; t += xStep) {
        s += u"<line class=\"grid\" x1=\"%1\" x2=\"%1\" y1=\"%2\" y2=\"%3\"/>"
             u"<text x=\"%1\" y=\"%4\" text-anchor=\"middle\">%5</text>"_s.arg(
                 n1(f.x(t)), n1(kTop), n1(kTop + kPlotH), n1(kH - 8), timeLabel(t, x1 - x0));
    }
    s += u"<path class=\"axis\" fill=\"none\" d=\"M%1,%2V%3H%4\"/>"_s.arg(
        n1(kLeft), n1(kTop), n1(kTop + kPlotH), n1(kW - kRight));
    for (const double share : thresholds ? std::vector<double>{0.8, 0.95} : std::vector<double>{}) {
        const QString color = share < 0.9 ? u"#f59e0b"_s : u"#ef4444"_s;
        s += u"<line class=\"threshold\" x1=\"%1\" x2=\"%2\" y1=\"%3\" y2=\"%3\" stroke=\"%4\"/>"
             u"<text x=\"%2\" y=\"%5\" text-anchor=\"end\" style=\"fill:%4\">%6% of max limit"
             u"</text>"_s.arg(n1(kLeft), n1(kW - kRight), n1(f.y(share * maxLimit)), color,
                              n1(f.y(share * maxLimit) - 3), QString::number(share * 100));
    }
    for (const Line& l : lines) {
        s += u"<path class=\"line%1\" fill=\"none\" data-series=\"%2\" stroke=\"%3\" "
             u"d=\"%4\"><title>%5</title>"
             u"</path>"_s.arg(l.dashed ? u" dash"_s : QString(), l.column, l.color, pathData(l, f),
                              esc(l.label));
    }
    // Change events as dashed verticals; a label only where it does not overlap the last one.
    double lastLabel = -1e9;
    int drawn = 0;
    for (const Run& run : runs) {
        for (const Marker& m : run.markers) {
            if (!(m.t >= x0 && m.t <= x1) || drawn++ >= kMaxMarkers) {
                continue;
            }
            const double x = f.x(m.t);
            s += u"<g class=\"marker\"><title>%1</title><line x1=\"%2\" x2=\"%2\" y1=\"%3\" "
                 u"y2=\"%4\"/>"_s.arg(esc(m.tip), n1(x), n1(kTop), n1(kTop + kPlotH));
            if (x - lastLabel > 60) {
                s += u"<text x=\"%1\" y=\"%2\">%3</text>"_s.arg(n1(x + 3), n1(kTop + 10),
                                                                esc(m.label));
                lastLabel = x;
            }
            s += u"</g>"_s;
        }
    }
    return s + u"</svg>\n"_s;
}

std::vector<Marker> markersOf(const QJsonObject& summary, const QString& prefix) {
    std::vector<Marker> out;
    for (const QJsonValue& v : arrayOf(summary, "events")) {
        const QJsonObject e = v.toObject();
        const QString kind = e.value(u"kind"_s).toString();
        const auto t = numberOf(e.value(u"t"_s));
        if (kind != u"alert"_s && t) {
            const QString text = e.value(u"text"_s).toString();
            out.push_back({*t, prefix + (kind.size() > 14 ? kind.left(13) + u'…' : kind),
                           prefix + fmtNum(*t) + u" s: "_s + (text.isEmpty() ? kind : text)});
        }
    }
    return out;
}

QString chartsHtml(const std::vector<Run>& runs) {
    QString s = u"<h2>Charts</h2><section>\n"_s;
    for (const ChartDef& def : kCharts) {
        s += chartSvg(def, runs);
    }
    return s + u"</section>\n"_s;
}

// ---- Page pieces -------------------------------------------------------------------------------

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

QString pageStart(const QString& title) {
    return u"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           u"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>"_s +
           esc(title) + u"</title><style>"_s + QLatin1String(kCss) +
           u"</style></head><body><main>\n"_s;
}

/// The run's verdict as a CSS class and a text: "passed", "failed: <what>" or "no verdict".
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

QString metCell(const QJsonValue& met) {
    if (!met.isBool()) {
        return u"<td class=\"none\">—</td>"_s;
    }
    return met.toBool() ? u"<td class=\"met\">met</td>"_s : u"<td class=\"failed\">failed</td>"_s;
}

/// A table over a JSON array, `columns` naming the fields; long arrays are cut (summary.json has
/// them all) so a run with a runaway alert cannot bloat the page.
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

// ---- Public ------------------------------------------------------------------------------------

QString seriesToCsv(const SeriesData& data) {
    QString out = data.columns.join(u',') + u'\n';
    out.reserve(out.size() + static_cast<qsizetype>(data.rows.size() * data.columns.size() * 6));
    for (const auto& row : data.rows) {
        for (qsizetype j = 0; j < data.columns.size(); ++j) {
            if (j > 0) {
                out += u',';
            }
            out += csvNumber(cellOf(row, static_cast<int>(j)));
        }
        out += u'\n';
    }
    return out;
}

std::optional<SeriesData> parseSeriesCsv(const QString& text, QString* error) {
    const auto fail = [error](qsizetype line, qsizetype column,
                              const QString& what) -> std::optional<SeriesData> {
        if (error) {
            *error = column > 0 ? u"line %1, column %2: %3"_s.arg(line).arg(column).arg(what)
                                : u"line %1: %2"_s.arg(line).arg(what);
        }
        return std::nullopt;
    };
    QStringView body(text);
    if (body.startsWith(QChar(0xFEFF))) {
        body = body.mid(1);
    }
    QList<QStringView> lines = body.split(u'\n');
    for (QStringView& line : lines) {
        if (line.endsWith(u'\r')) {
            line.chop(1);
        }
    }
    // A trailing newline ends the last row; it does not start an empty one.
    while (!lines.isEmpty() && lines.last().isEmpty()) {
        lines.removeLast();
    }
    if (lines.isEmpty()) {
        return fail(1, 0, u"empty file, expected a header line"_s);
    }
    SeriesData data;
    const QList<QStringView> header = lines[0].split(u',');
    for (qsizetype j = 0; j < header.size(); ++j) {
        data.columns.append(cellText(header[j]));
        if (data.columns.last().isEmpty()) {
            return fail(1, j + 1, u"empty column name"_s);
        }
    }
    const qsizetype width = data.columns.size();
    data.rows.reserve(static_cast<size_t>(lines.size() - 1));
    for (qsizetype n = 1; n < lines.size(); ++n) {
        const QList<QStringView> cells = lines[n].split(u',');
        if (cells.size() != width) {
            return fail(n + 1, std::min(cells.size(), width) + 1,
                        u"%1 cell: the row has %2 cells, the header %3"_s
                            .arg(cells.size() < width ? u"missing"_s : u"extra"_s)
                            .arg(cells.size())
                            .arg(width));
        }
        std::vector<double> row(static_cast<size_t>(width), kNaN);
        for (qsizetype j = 0; j < width; ++j) {
            const QString cell = cellText(cells[j]);
            bool ok = true;
            if (!cell.isEmpty()) {
                row[size_t(j)] = cell.toDouble(&ok);
            }
            if (!ok) {
                return fail(n + 1, j + 1,
                            u"\"%1\" is not a number (%2)"_s.arg(cell.left(40), data.columns[j]));
            }
        }
        data.rows.push_back(std::move(row));
    }
    return data;
}

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
