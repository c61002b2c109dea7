#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <array>
#include <initializer_list>
#include <optional>
#include <utility>

/// The pieces both report pages are made of: number and JSON formatting, the page head with its
/// stylesheet, and the tables over summary.json's parts. Shared by the files in
/// core/bench/report/; not for use elsewhere.
namespace sluice::report::detail {

QString esc(const QString& s);

/// For people, not for round trips: whole numbers stay whole, others get the decimals their
/// size deserves (201.2 ms, 9.98 rps, 0.123 ms), never trailing zeros.
QString fmtNum(double v);

/// Seconds as "12.5 s", "3 min 5 s" or "2 h 0 min 5 s"; "—" when not finite.
QString fmtDuration(double s);

/// A JSON value as one line of text: arrays joined by commas (the keys array is shown as given,
/// it is masked before it is written), objects as "key: value" pairs.
QString jsonText(const QJsonValue& v);

std::optional<double> numberOf(const QJsonValue& v);
QJsonObject objectOf(const QJsonObject& o, const char* key);
QJsonArray arrayOf(const QJsonObject& o, const char* key);

/// QJsonObject sorts its keys; reports read better in the order of the format document.
QStringList orderedKeys(const QJsonObject& o, std::initializer_list<const char*> preferred);

inline constexpr std::initializer_list<const char*> kCountOrder = {
    "submitted",   "measured",       "warmup",    "done",         "failed",
    "rejected",    "timed_out",      "cancelled", "rate_limited", "retries",
    "late_starts", "held_by_limits", "dropped"};
inline constexpr std::initializer_list<const char*> kThroughputOrder = {
    "requests_per_s", "ok_per_s",      "goodput_per_s",    "output_tokens_per_s",
    "output_tokens",  "prompt_tokens", "tokens_estimated", "peak_concurrency"};

// ---- Latency -----------------------------------------------------------------------------------

inline constexpr std::array<const char*, 10> kMetrics = {
    "ttft",         "ttfb", "ttst",      "itl",     "tpot_decode",
    "tpot_overall", "e2e",  "corrected", "service", "queue"};
inline constexpr std::array<const char*, 7> kStatKeys = {"mean", "p50",   "p90", "p95",
                                                         "p99",  "p99_9", "max"};

struct MetricStats {
    double count = 0;
    std::array<std::optional<double>, 7> values; // kStatKeys order, ms
};

/// A metric's figures; one missing from the JSON is recomputed from the histogram (ns), which
/// is what the histogram is kept for.
MetricStats readMetric(const QJsonObject& m);

// ---- Page pieces -------------------------------------------------------------------------------

/// The doctype, head (title and the one stylesheet both pages share) and the opening <main>.
QString pageStart(const QString& title);

/// The run's verdict as a CSS class and a text: "passed", "failed: <what>" or "no verdict".
std::pair<QString, QString> verdictOf(const QJsonObject& summary);

/// A table over a JSON array, `columns` naming the fields; long arrays are cut (summary.json has
/// them all) so a run with a runaway alert cannot bloat the page.
QString arrayTable(const QJsonArray& rows, const QStringList& columns);

/// summary.json's "slo" array: each SLO's observed figure, threshold and verdict.
QString sloTable(const QJsonArray& slo);

/// Every latency metric's count, mean and percentiles (summary.json's "latency_ms").
QString latencyTable(const QJsonObject& summary);

/// An object as a definition list, keys in `order` first.
QString dlOf(const QJsonObject& o, std::initializer_list<const char*> order);

/// An object as tiles of big figures with their key below, keys in `order` first.
QString tilesOf(const QJsonObject& o, std::initializer_list<const char*> order);

} // namespace sluice::report::detail
