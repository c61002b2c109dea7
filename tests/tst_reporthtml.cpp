#include "core/bench/report/comparisonhtml.h"
#include "core/bench/report/reporthtml.h"
#include "core/bench/report/seriescsv.h"
#include "core/metrics/latencyhistogram.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTest>

#include <cmath>
#include <limits>

using namespace sluice;
using namespace Qt::Literals::StringLiterals;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const QString kTarget = u"http://127.0.0.1:8080/v1/chat/completions?a=<b>&c=1"_s;

QJsonObject parseJson(const QByteArray& json) {
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError) {
        qFatal("bad test JSON: %s", qPrintable(error.errorString()));
    }
    return doc.object();
}

/// summary.json as docs/report-format.md shows it, with a target that needs escaping.
QJsonObject makeSummary() {
    QJsonObject s = parseJson(R"({
      "sluice_report": 1, "title": "constant 10 rps, 60 s", "started_at": "2026-11-23T09:00:00Z",
      "duration_s": 60.2,
      "config": {"format": "openai", "model": "mock-1", "stream": true, "max_tokens": 128,
                 "keys": ["sk-...abcd"], "profile": {"kind": "constant", "rate": 10},
                 "slo": ["ttft:p95<500ms"]},
      "counts": {"submitted": 600, "done": 598, "failed": 2},
      "throughput": {"requests_per_s": 9.98, "ok_per_s": 9.95, "output_tokens_per_s": 1240.0},
      "latency_ms": {
        "ttft": {"count": 598, "mean": 201.2, "min": 200.1, "p50": 201.0, "p90": 202.1,
                 "p95": 202.5, "p99": 203.9, "p99_9": 205.0, "max": 205.0},
        "ttfb": {"count": 0}, "e2e": {"count": 598, "mean": 2201, "p50": 100, "p90": 180,
                 "p95": 200, "p99": 300, "p99_9": 310, "max": 320}
      },
      "definitions": {"ttft": "sent -> first event with non-empty content"},
      "slo": [{"spec": "ttft:p95<500ms", "metric": "ttft", "percentile": 95, "threshold": 500,
               "unit": "ms", "observed": 202.5, "met": true}],
      "events": [{"t": 12.3, "kind": "rate", "text": "rate 10 -> 50 rps"},
                 {"t": 20.0, "kind": "alert", "text": "in flight 85% of the limit"}],
      "alerts": [{"t": 20.0, "rule": "concurrency", "severity": "warning", "state": "raised",
                  "value": 0.85, "text": "in flight 85% of the limit"}],
      "verdict": {"passed": true, "failed": []}
    })");
    QJsonObject config = s.value(u"config"_s).toObject();
    config.insert(u"target"_s, kTarget);
    s.insert(u"config"_s, config);
    return s;
}

const QStringList kColumns = {u"t_s"_s,
                              u"sent_rps"_s,
                              u"ok_rps"_s,
                              u"error_rps"_s,
                              u"rate_limited_rps"_s,
                              u"in_flight"_s,
                              u"limit"_s,
                              u"queued"_s,
                              u"target_rate"_s,
                              u"target_concurrency"_s,
                              u"ttft_p50_ms"_s,
                              u"ttft_p99_ms"_s,
                              u"e2e_p50_ms"_s,
                              u"e2e_p95_ms"_s,
                              u"e2e_p99_ms"_s,
                              u"corrected_p99_ms"_s,
                              u"itl_p50_ms"_s,
                              u"output_tokens_per_s"_s,
                              u"late_starts"_s};

/// `seconds` rows of every column, values varying with t; every 97th second has no percentiles.
SeriesData makeSeries(int seconds) {
    SeriesData d;
    d.columns = kColumns;
    for (int t = 0; t < seconds; ++t) {
        std::vector<double> row;
        for (qsizetype j = 0; j < kColumns.size(); ++j) {
            const bool percentile = kColumns[j].endsWith(u"_ms"_s);
            row.push_back(j == 0                      ? t
                          : percentile && t % 97 == 0 ? kNaN
                          : kColumns[j] == u"limit"_s ? 100.0
                                                      : 50 + 40 * std::sin(t / 30.0 + j));
        }
        d.rows.push_back(std::move(row));
    }
    return d;
}

SeriesData columnsOnly(const QStringList& columns, const std::vector<std::vector<double>>& rows) {
    SeriesData d;
    d.columns = columns;
    d.rows = rows;
    return d;
}

/// The d attribute of the path drawn for `column` (the first, in a comparison A's).
QString pathOf(const QString& html, const QString& column) {
    const QRegularExpression re(
        u"data-series=\"%1\" stroke=\"[^\"]*\" d=\"([^\"]*)\""_s.arg(column));
    return re.match(html).captured(1);
}

} // namespace

class TestReportHtml final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void csvRoundTrip();
    void csvToleratesSpreadsheets();
    void csvErrors_data();
    void csvErrors();
    void reportIsSelfContained();
    void escapesHostileText();
    void oneSvgPerChart();
    void chartWithoutDataSaysSo();
    void nanBreaksLine();
    void concurrencyThresholds();
    void stressKnee_data();
    void stressKnee();
    void eventMarkers();
    void noSamplesAndHistogramFallback();
    void decimatesLongRuns();
    void comparison();
};

void TestReportHtml::csvRoundTrip() {
    const SeriesData d =
        columnsOnly({u"t_s"_s, u"a"_s, u"b"_s},
                    {{0, 0.000123, 123456.5}, {1, kNaN, -2.5}, {2, 1e-9, kNaN}, {3, 0.1 + 0.2, 7}});
    const QString csv = seriesToCsv(d);
    QVERIFY(csv.startsWith(u"t_s,a,b\n"_s));
    // 6 significant digits, no exponent in the normal range, NaN as an empty cell.
    QVERIFY2(csv.contains(u"\n0,0.000123,123457\n"_s), qPrintable(csv));
    QVERIFY2(csv.contains(u"\n1,,-2.5\n"_s), qPrintable(csv));
    QVERIFY2(csv.contains(u"\n3,0.3,7\n"_s), qPrintable(csv));

    const auto back = parseSeriesCsv(csv);
    QVERIFY2(back, qPrintable(back.ok() ? QString() : back.error().text()));
    QCOMPARE(back->columns, d.columns);
    QCOMPARE(back->rows.size(), d.rows.size());
    for (size_t i = 0; i < d.rows.size(); ++i) {
        for (size_t j = 0; j < d.rows[i].size(); ++j) {
            const double want = d.rows[i][j], got = back->rows[i][j];
            if (std::isnan(want)) {
                QVERIFY2(std::isnan(got), qPrintable(u"row %1 col %2"_s.arg(i).arg(j)));
            } else {
                QVERIFY2(std::abs(got - want) <= 5e-6 * std::abs(want),
                         qPrintable(u"row %1 col %2: %3 != %4"_s.arg(i).arg(j).arg(got).arg(want)));
            }
        }
    }
    QCOMPARE(back->rows[0][1], 0.000123);
    QCOMPARE(back->rows[2][1], 1e-9);
    QCOMPARE(seriesToCsv(*back), csv); // writing what was read changes nothing
}

void TestReportHtml::csvToleratesSpreadsheets() {
    const QString text = QChar(0xFEFF) + u"\"t_s\", \"a\"\r\n0, 1.5 \r\n1,\r\n\r\n"_s;
    const auto d = parseSeriesCsv(text);
    QVERIFY2(d, qPrintable(d.ok() ? QString() : d.error().text()));
    QCOMPARE(d->columns, (QStringList{u"t_s"_s, u"a"_s}));
    QCOMPARE(d->rows.size(), size_t(2));
    QCOMPARE(d->rows[0][1], 1.5);
    QVERIFY(std::isnan(d->rows[1][1]));
    QCOMPARE(d->column(u"a"_s), 1);
    QCOMPARE(d->column(u"b"_s), -1);
}

void TestReportHtml::csvErrors_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::newRow("short row") << u"t_s,a,b\n0,1,2\n1,2\n"_s << 3 << 3;
    QTest::newRow("long row") << u"t_s,a\r\n0,1,2\r\n"_s << 2 << 3;
    QTest::newRow("not a number") << u"t_s,a\n0,1\n1,abc\n"_s << 3 << 2;
    QTest::newRow("decimal comma") << u"t_s;a\n0;1,5\n"_s << 2 << 2;
    QTest::newRow("empty column name") << u"t_s,,a\n"_s << 1 << 2;
    QTest::newRow("empty file") << u"\r\n"_s << 1 << 0;
}

void TestReportHtml::csvErrors() {
    QFETCH(QString, text);
    QFETCH(int, line);
    QFETCH(int, column);
    const auto parsed = parseSeriesCsv(text);
    QVERIFY(!parsed);
    const QString error = parsed.error().text();
    QVERIFY2(error.startsWith(u"line %1"_s.arg(line)), qPrintable(error));
    QVERIFY2(parsed.error().field.startsWith(u"line %1"_s.arg(line)), qPrintable(error));
    if (column > 0) {
        QVERIFY2(parsed.error().field.contains(u"column %1"_s.arg(column)), qPrintable(error));
    }
}

void TestReportHtml::reportIsSelfContained() {
    const QString html = renderReportHtml(makeSummary(), makeSeries(60));
    QVERIFY(html.startsWith(u"<!DOCTYPE html>"_s));
    QVERIFY(!html.contains(u"<script"_s, Qt::CaseInsensitive));
    QVERIFY(!html.contains(u"<link"_s, Qt::CaseInsensitive));
    QVERIFY(!html.contains(u"url("_s, Qt::CaseInsensitive));
    QVERIFY(!html.contains(u"@import"_s, Qt::CaseInsensitive));
    // The only URL is the escaped target (inline SVG in HTML needs no xmlns either).
    const QString escapedTarget = kTarget.toHtmlEscaped();
    QVERIFY(html.contains(escapedTarget));
    QVERIFY(!html.contains(kTarget));
    QString rest = html;
    rest.remove(escapedTarget);
    QVERIFY(!rest.contains(u"http"_s, Qt::CaseInsensitive));
    QVERIFY(!rest.contains(u"//"_s));
    QVERIFY(html.contains(u"sk-...abcd"_s));
    QVERIFY(html.contains(u"2026-11-23T09:00:00Z"_s));
    QVERIFY(html.contains(u"<div class=\"banner pass\">Verdict: passed</div>"_s));
    QVERIFY(html.contains(u"<td class=\"met\">met</td>"_s));
}

void TestReportHtml::escapesHostileText() {
    const QString hostile = u"<img src=x onerror=alert(1)>"_s;
    QJsonObject summary = makeSummary();
    QJsonObject config = summary.value(u"config"_s).toObject();
    config.insert(u"model"_s, hostile);
    summary.insert(u"config"_s, config);
    summary.insert(u"title"_s, u"</title><script>alert(1)</script>"_s);
    summary.insert(u"events"_s, QJsonArray{QJsonObject{
                                    {u"t"_s, 5}, {u"kind"_s, hostile}, {u"text"_s, hostile}}});
    summary.insert(u"verdict"_s,
                   QJsonObject{{u"passed"_s, false}, {u"failed"_s, QJsonArray{hostile}}});
    const QString html = renderReportHtml(summary, makeSeries(30));
    QVERIFY(!html.contains(u"<img"_s));
    QVERIFY(!html.contains(u"<script"_s, Qt::CaseInsensitive));
    QVERIFY(html.contains(u"&lt;img src=x onerror=alert(1)&gt;"_s));
    QVERIFY(html.contains(u"&lt;/title&gt;&lt;script&gt;"_s));
    QVERIFY(html.contains(u"banner fail"_s));
}

void TestReportHtml::oneSvgPerChart() {
    for (const SeriesData& series : {makeSeries(60), SeriesData{}}) {
        const QString html = renderReportHtml(makeSummary(), series);
        QCOMPARE(html.count(u"<svg"_s), 7);
        QCOMPARE(html.count(u"</svg>"_s), 7);
        for (const char* title : {"Concurrency", "Queue", "Requests per second", "Latency (ms)",
                                  "Output tokens per second"}) {
            QVERIFY(html.contains(u"\">"_s + QLatin1String(title) + u"</text>"_s));
        }
    }
}

void TestReportHtml::chartWithoutDataSaysSo() {
    QCOMPARE(renderReportHtml(makeSummary(), SeriesData{}).count(u">no data</text>"_s), 7);
    // Concurrency has data; the queue column is all NaN; the others are absent.
    const SeriesData d = columnsOnly({u"t_s"_s, u"in_flight"_s, u"queued"_s},
                                     {{0, 1, kNaN}, {1, 2, kNaN}, {2, 3, kNaN}});
    const QString html = renderReportHtml(makeSummary(), d);
    QCOMPARE(html.count(u">no data</text>"_s), 6);
    QVERIFY(!pathOf(html, u"in_flight"_s).isEmpty());
}

void TestReportHtml::nanBreaksLine() {
    const SeriesData d =
        columnsOnly({u"t_s"_s, u"in_flight"_s},
                    {{0, 1}, {1, 2}, {2, kNaN}, {3, 4}, {4, 5}, {5, kNaN}, {6, 7}, {7, kNaN}});
    const QString path = pathOf(renderReportHtml(makeSummary(), d), u"in_flight"_s);
    QCOMPARE(path.count(u'M'), 3);
    QCOMPARE(path.count(u'L'), 2);
    QVERIFY2(path.endsWith(u"h0.1"_s), qPrintable(path)); // the lone last point is a dot
}

void TestReportHtml::concurrencyThresholds() {
    const QString html = renderReportHtml(makeSummary(), makeSeries(60));
    QCOMPARE(html.count(u"class=\"threshold\""_s), 2);
    QVERIFY(html.contains(u">80% of max limit</text>"_s));
    QVERIFY(html.contains(u">95% of max limit</text>"_s));
    // Without a limit there is nothing to be 80% of.
    const SeriesData noLimit = columnsOnly({u"t_s"_s, u"in_flight"_s}, {{0, 1}, {1, 2}});
    QCOMPARE(renderReportHtml(makeSummary(), noLimit).count(u"class=\"threshold\""_s), 0);
}

void TestReportHtml::stressKnee_data() {
    QTest::addColumn<QByteArray>("stress");
    QTest::addColumn<QString>("expected");
    QTest::newRow("knee") << QByteArray(R"({"unit": "rps", "knee": 40, "steps": [
        {"load": 10, "achieved_rps": 9.9, "met": true, "detail": "e2e p99 210 ms"},
        {"load": 50, "achieved_rps": 41, "met": false, "detail": "e2e p99 900 ms"}]})")
                          << u"Knee: <b>40 rps</b>"_s;
    QTest::newRow("no knee") << QByteArray(R"({"unit": "rps", "knee": null, "steps": [
        {"load": 10, "achieved_rps": 9.9, "met": false, "detail": "e2e p99 910 ms"}]})")
                             << u"Knee: <b>none (no step met the SLOs)</b>"_s;
    QTest::newRow("not a stress run") << QByteArray() << QString();
}

void TestReportHtml::stressKnee() {
    QFETCH(QByteArray, stress);
    QFETCH(QString, expected);
    QJsonObject summary = makeSummary();
    if (!stress.isEmpty()) {
        summary.insert(u"stress"_s, parseJson(stress));
    }
    const QString html = renderReportHtml(summary, makeSeries(10));
    QCOMPARE(html.contains(u"Stress steps"_s), !stress.isEmpty());
    if (!expected.isEmpty()) {
        QVERIFY(html.contains(expected));
        QVERIFY(html.contains(u"e2e p99"_s));
        QVERIFY(html.contains(u"<td class=\"failed\">failed</td>"_s));
    }
}

void TestReportHtml::eventMarkers() {
    const QString html = renderReportHtml(makeSummary(), makeSeries(60));
    // The rate change is drawn on each of the 5 charts; the alert (kind "alert") is not.
    QCOMPARE(html.count(u"<g class=\"marker\">"_s), 5);
    QVERIFY(html.contains(u"<title>12.3 s: rate 10 -&gt; 50 rps</title>"_s));
    QVERIFY(!html.contains(u"<title>20 s:"_s));
    // Both are in the events table, and the alert in the alerts table.
    QVERIFY(html.contains(u"<td class=\"text\">alert</td>"_s));
    QVERIFY(html.contains(u"<td class=\"text\">concurrency</td>"_s));
}

void TestReportHtml::noSamplesAndHistogramFallback() {
    LatencyHistogram h;
    for (int i = 0; i < 3; ++i) {
        h.record(100'000'000); // 100 ms in ns
    }
    QJsonObject summary = makeSummary();
    QJsonObject latency = summary.value(u"latency_ms"_s).toObject();
    latency.insert(
        u"service"_s,
        QJsonObject{{u"count"_s, 3}, {u"histogram"_s, QString::fromStdString(h.serialize())}});
    summary.insert(u"latency_ms"_s, latency);
    const QString html = renderReportHtml(summary, makeSeries(10));
    const auto row = [&](const QString& metric) {
        const QRegularExpression re(u"<tr><td[^>]*>%1</td>(.*)</tr>"_s.arg(metric));
        return re.match(html).captured(1);
    };
    QCOMPARE(row(u"ttfb"_s), u"<td>0</td><td colspan=\"7\" class=\"none\">no samples</td>"_s);
    QVERIFY(row(u"queue"_s).contains(u"no samples"_s)); // absent from the JSON
    QCOMPARE(row(u"service"_s), u"<td>3</td>"_s + u"<td>100</td>"_s.repeated(7));
    QVERIFY(row(u"ttft"_s).startsWith(u"<td>598</td><td>201.2</td><td>201</td><td>202.1</td>"_s));
}

void TestReportHtml::decimatesLongRuns() {
    SeriesData d = makeSeries(86400);
    const int inFlight = d.column(u"in_flight"_s);
    d.rows[50000][size_t(inFlight)] = 1000; // one spike a day: must survive decimation
    const QString html = renderReportHtml(makeSummary(), d);
    const QByteArray bytes = html.toUtf8();
    QVERIFY2(bytes.size() < 2 * 1024 * 1024, QByteArray::number(bytes.size()).constData());
    QCOMPARE(html.count(u"<svg"_s), 7);
    const QString path = pathOf(html, u"in_flight"_s);
    QVERIFY2(path.count(u'L') + path.count(u'M') <= 2 * 900,
             QByteArray::number(path.size()).constData());
    QVERIFY(path.contains(u",30.0"_s));         // the spike reaches the top of the plot (y = 30)
    QVERIFY(html.contains(u">12:00</text>"_s)); // hours:minutes on a day-long axis
}

void TestReportHtml::comparison() {
    QJsonObject b = makeSummary();
    QJsonObject latency = b.value(u"latency_ms"_s).toObject();
    latency.insert(u"e2e"_s, parseJson(R"({"count": 10, "p50": 150, "p95": 200, "p99": 240})"));
    b.insert(u"latency_ms"_s, latency);
    b.insert(u"throughput"_s, parseJson(R"({"requests_per_s": 9.98, "ok_per_s": 5})"));
    b.insert(u"verdict"_s, parseJson(R"({"passed": false, "failed": ["ttft:p95<500ms"]})"));
    const QString html = renderComparisonHtml(makeSummary(), makeSeries(60), u"baseline <v1>"_s, b,
                                              makeSeries(90), u"candidate & co %1"_s);
    QVERIFY(html.contains(u"baseline &lt;v1&gt;"_s));
    QVERIFY(html.contains(u"candidate &amp; co %1"_s));
    QVERIFY(!html.contains(u"<v1>"_s));
    QVERIFY(!html.contains(u"<script"_s, Qt::CaseInsensitive));
    QVERIFY(!html.contains(u"http"_s, Qt::CaseInsensitive)); // configs are not shown here
    // e2e: p50 50% worse, p95 equal, p99 20% better; ok/s halved (lower is worse).
    QVERIFY(
        html.contains(u"<td class=\"worse\">1.50×</td><td>200</td><td>200</td><td>1.00×</td>"_s));
    QVERIFY(html.contains(u"<td class=\"better\">0.80×</td>"_s));
    QVERIFY(html.contains(u"<td class=\"worse\">0.50×</td>"_s));
    QVERIFY(html.contains(u"failed: ttft:p95&lt;500ms"_s));
    QCOMPARE(html.count(u"<svg"_s), 7);
    // A solid, B dashed: each chart with data draws both runs.
    QCOMPARE(html.count(u"<path class=\"line\" fill=\"none\" data-series=\"in_flight\""_s), 1);
    QCOMPARE(html.count(u"<path class=\"line dash\" fill=\"none\" data-series=\"in_flight\""_s), 1);
    QCOMPARE(html.count(u"<g class=\"marker\">"_s), 10);
}

QTEST_GUILESS_MAIN(TestReportHtml)
#include "tst_reporthtml.moc"
