#include "app/summaryprint.h"

#include <QDir>
#include <QJsonArray>
#include <QStringList>

#include <cmath>

namespace sluice {

QString fmtMs(double v) {
    if (std::isnan(v)) {
        return QStringLiteral("-");
    }
    return v >= 1000 ? QStringLiteral("%1 s").arg(v / 1000, 0, 'f', 2)
                     : QStringLiteral("%1 ms").arg(v, 0, 'f', v >= 100 ? 0 : 1);
}

namespace {

QString str(const QJsonObject& o, const char* key) {
    return o.value(QLatin1String(key)).toString();
}

qint64 num(const QJsonObject& o, const char* key) {
    return static_cast<qint64>(o.value(QLatin1String(key)).toDouble());
}

void countLines(const QJsonObject& s, QStringList& out) {
    const QJsonObject counts = s.value(QStringLiteral("counts")).toObject();
    auto n = [&](const char* key) { return num(counts, key); };
    out << QStringLiteral(
               "success     %1 of %2 (%3 failed, %4 rejected, %5 timed out, %6 cancelled)")
               .arg(n("done"))
               .arg(n("submitted"))
               .arg(n("failed"))
               .arg(n("rejected"))
               .arg(n("timed_out"))
               .arg(n("cancelled"));
    QString line = QStringLiteral("attempts    429s %1   retries %2   dropped %3")
                       .arg(n("rate_limited"))
                       .arg(n("retries"))
                       .arg(n("dropped"));
    if (n("late_starts") > 0) {
        line += QStringLiteral("   late starts %1 (the client fell behind its schedule)")
                    .arg(n("late_starts"));
    }
    if (n("held_by_limits") > 0) {
        line += QStringLiteral("   held by our limits %1").arg(n("held_by_limits"));
    }
    out << line;
}

void failureLines(const QJsonObject& s, QStringList& out) {
    const QJsonObject failures = s.value(QStringLiteral("failures")).toObject();
    const QJsonArray reasons = failures.value(QStringLiteral("by_reason")).toArray();
    if (reasons.isEmpty()) {
        return;
    }
    const double submitted =
        s.value(QStringLiteral("counts")).toObject().value(QStringLiteral("submitted")).toDouble();
    out << QString() << QStringLiteral("Failures by reason:");
    for (const QJsonValue& v : reasons) {
        const QJsonObject o = v.toObject();
        const double count = o.value(QStringLiteral("count")).toDouble();
        QString example = str(o, "example");
        if (example.size() > 70) {
            example = example.left(69) + QStringLiteral("…");
        }
        out << QStringLiteral("  %1 %2  %3%4")
                   .arg(static_cast<qint64>(count), 7)
                   .arg(submitted > 0
                            ? QStringLiteral("(%1%)").arg(count / submitted * 100, 5, 'f', 1)
                            : QString(),
                        str(o, "label"),
                        example.isEmpty() || example == str(o, "label")
                            ? QString()
                            : QStringLiteral("  e.g. ") + example);
    }
}

void latencyTable(const QJsonObject& s, QStringList& out) {
    const QJsonObject lat = s.value(QStringLiteral("latency_ms")).toObject();
    out << QString()
        << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8")
               .arg(QStringLiteral("metric"), -13)
               .arg(QStringLiteral("count"), 8)
               .arg(QStringLiteral("mean"), 10)
               .arg(QStringLiteral("p50"), 10)
               .arg(QStringLiteral("p90"), 10)
               .arg(QStringLiteral("p95"), 10)
               .arg(QStringLiteral("p99"), 10)
               .arg(QStringLiteral("max"), 10);
    for (const char* metric : {"ttfb", "ttft", "ttst", "itl", "tpot_decode", "tpot_overall", "e2e",
                               "service", "queue", "corrected", "transit", "ttft_error"}) {
        const QJsonObject m = lat.value(QLatin1String(metric)).toObject();
        const qint64 count = num(m, "count");
        if (count == 0) {
            continue; // e.g. transit and ttft_error against a target that does not stamp
        }
        auto v = [&](const char* k) { return fmtMs(m.value(QLatin1String(k)).toDouble(NAN)); };
        out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8")
                   .arg(QLatin1String(metric), -13)
                   .arg(count, 8)
                   .arg(v("mean"), 10)
                   .arg(v("p50"), 10)
                   .arg(v("p90"), 10)
                   .arg(v("p95"), 10)
                   .arg(v("p99"), 10)
                   .arg(v("max"), 10);
    }
}

void sloLines(const QJsonObject& s, QStringList& out) {
    const QJsonArray slo = s.value(QStringLiteral("slo")).toArray();
    if (slo.isEmpty()) {
        return;
    }
    const bool stress = s.contains(QStringLiteral("stress"));
    out << QString()
        << (stress ? QStringLiteral("SLOs (the whole run, every step together; each step is "
                                    "judged on its own below):")
                   : QStringLiteral("SLOs:"));
    for (const QJsonValue& v : slo) {
        const QJsonObject o = v.toObject();
        const bool met = o.value(QStringLiteral("met")).toBool();
        const QJsonValue observed = o.value(QStringLiteral("observed"));
        // Past the knee a stress run breaks its SLOs on purpose: that is not a failure.
        const QString word = met      ? QStringLiteral("met   ")
                             : stress ? QStringLiteral("broken")
                                      : QStringLiteral("FAILED");
        out << QStringLiteral("  %1  %2%3  (observed %4)")
                   .arg(word, str(o, "spec"),
                        o.value(QStringLiteral("default")).toBool() ? QStringLiteral(" (default)")
                                                                    : QString(),
                        observed.isNull()
                            ? QStringLiteral("nothing")
                            : QStringLiteral("%1 %2").arg(
                                  QString::number(observed.toDouble(), 'f', 2), str(o, "unit")));
    }
}

void stressLines(const QJsonObject& s, QStringList& out) {
    if (!s.contains(QStringLiteral("stress"))) {
        return;
    }
    const QJsonObject stress = s.value(QStringLiteral("stress")).toObject();
    out << QString() << QStringLiteral("Stress steps:");
    for (const QJsonValue& v : stress.value(QStringLiteral("steps")).toArray()) {
        const QJsonObject o = v.toObject();
        out << QStringLiteral("  %1 %2  %3  %4")
                   .arg(o.value(QStringLiteral("load")).toDouble(), 8, 'f', 1)
                   .arg(str(stress, "unit"))
                   .arg(o.value(QStringLiteral("met")).toBool() ? QStringLiteral("met  ")
                                                                : QStringLiteral("broke"))
                   .arg(str(o, "detail"));
    }
}

} // namespace

QString verdictLine(const QJsonObject& s) {
    const QJsonObject verdict = s.value(QStringLiteral("verdict")).toObject();
    const QString outcome = str(verdict, "outcome");
    const QStringList failed = verdict.value(QStringLiteral("failed")).toVariant().toStringList();
    if (verdict.value(QStringLiteral("interrupted")).toBool()) {
        QStringList rest = failed;
        rest.removeAll(QStringLiteral("interrupted"));
        return QStringLiteral("INTERRUPTED: the run did not complete (%1)")
                   .arg(str(s, "end_reason")) +
               (rest.isEmpty() ? QString()
                               : QStringLiteral("; also ") + rest.join(QStringLiteral(", ")));
    }
    if (s.contains(QStringLiteral("stress"))) {
        const QJsonObject stress = s.value(QStringLiteral("stress")).toObject();
        const QJsonValue knee = stress.value(QStringLiteral("knee"));
        if (knee.isNull()) {
            return QStringLiteral("NO KNEE: no stress step met the SLOs");
        }
        const QString found = QStringLiteral("KNEE: %1 %2, the highest load that met every SLO")
                                  .arg(knee.toDouble())
                                  .arg(str(stress, "unit"));
        QStringList rest = failed;
        return rest.isEmpty()
                   ? found
                   : found + QStringLiteral("; FAILED: ") + rest.join(QStringLiteral(", "));
    }
    if (outcome == QLatin1String("passed") || failed.isEmpty()) {
        return QStringLiteral("PASSED");
    }
    return QStringLiteral("FAILED: ") + failed.join(QStringLiteral(", "));
}

QString summaryText(const QJsonObject& s, const QString& reportDir) {
    const QJsonObject thr = s.value(QStringLiteral("throughput")).toObject();
    const QJsonObject lat = s.value(QStringLiteral("latency_ms")).toObject();
    QStringList out;
    out << QString() << QStringLiteral("== %1 ==").arg(str(s, "title"));
    countLines(s, out);
    out << QStringLiteral("total time  %1 s   (%2)")
               .arg(s.value(QStringLiteral("duration_s")).toDouble(), 0, 'f', 1)
               .arg(str(s, "end_reason"));
    auto mean = [&](const char* metric) {
        return fmtMs(lat.value(QLatin1String(metric))
                         .toObject()
                         .value(QStringLiteral("mean"))
                         .toDouble(NAN));
    };
    out << QStringLiteral("avg latency %1 e2e (sent to last byte)   %2 corrected (from intended "
                          "send)")
               .arg(mean("e2e"), mean("corrected"));
    out << QStringLiteral("throughput  %1 req/s   %2 ok/s   goodput %3/s   %4 output tokens/s   "
                          "peak in flight %5")
               .arg(thr.value(QStringLiteral("requests_per_s")).toDouble(), 0, 'f', 2)
               .arg(thr.value(QStringLiteral("ok_per_s")).toDouble(), 0, 'f', 2)
               .arg(thr.value(QStringLiteral("goodput_per_s")).toDouble(), 0, 'f', 2)
               .arg(thr.value(QStringLiteral("output_tokens_per_s")).toDouble(), 0, 'f', 1)
               .arg(thr.value(QStringLiteral("peak_concurrency")).toInt());
    if (thr.value(QStringLiteral("tokens_estimated")).toDouble() > 0) {
        out << QStringLiteral(
                   "            (%1 answers had no usage: their tokens are local estimates)")
                   .arg(thr.value(QStringLiteral("tokens_estimated")).toDouble());
    }
    failureLines(s, out);
    latencyTable(s, out);
    sloLines(s, out);
    stressLines(s, out);
    out << QString() << verdictLine(s);
    if (!reportDir.isEmpty()) {
        out << QStringLiteral("Report: %1")
                   .arg(QDir(reportDir).filePath(QStringLiteral("report.html")));
    }
    return out.join(QLatin1Char('\n'));
}

} // namespace sluice
