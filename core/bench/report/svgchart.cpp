#include "core/bench/report/svgchart.h"

#include "core/bench/report/htmlparts.h"

#include <QJsonArray>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace sluice::report::detail {

using namespace Qt::Literals::StringLiterals;

namespace {

constexpr double kW = 900, kH = 220, kLeft = 56, kRight = 16, kTop = 30, kBottom = 26;
constexpr double kPlotW = kW - kLeft - kRight, kPlotH = kH - kTop - kBottom;
/// Above this many rows a line keeps only the min and max of each pixel column: a 24-hour run
/// then costs what a 15-minute one does, and no spike is lost.
constexpr size_t kDecimateAbove = 1200;
constexpr int kMaxMarkers = 200;

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

struct Line {
    const SeriesData* data;
    int x; // t_s, or -1 to use the row index
    int y;
    QString column, label, color;
    bool dashed;
};

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

} // namespace

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

} // namespace sluice::report::detail
