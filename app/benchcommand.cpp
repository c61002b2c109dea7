#include "app/benchcommand.h"

#include "app/commandline.h"
#include "app/signalwatcher.h"
#include "core/bench/benchrunner.h"
#include "core/bench/reportfiles.h"
#include "core/server/mock/mockserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>
#include <QTimer>

#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace sluice {

namespace {

constexpr int kExitPassed = 0;
constexpr int kExitRunFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitSloFailed = 3;

const QString kMe = QStringLiteral("sluice bench");

QString fmtMs(double v) {
    if (std::isnan(v)) {
        return QStringLiteral("-");
    }
    return v >= 1000 ? QStringLiteral("%1 s").arg(v / 1000, 0, 'f', 2)
                     : QStringLiteral("%1 ms").arg(v, 0, 'f', v >= 100 ? 0 : 1);
}

QString bar(double fraction, int width) {
    if (fraction < 0) {
        return {};
    }
    const int filled = static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * width));
    return QLatin1Char('[') + QString(filled, QLatin1Char('#')) +
           QString(width - filled, QLatin1Char('.')) +
           QStringLiteral("] %1% ").arg(static_cast<int>(fraction * 100), 3);
}

// A "A:B:C" flag value split into exactly `n` (or n-1 when the last is optional) parts.
std::optional<QStringList> parts(const QString& flag, const QString& text, int n, bool lastOptional,
                                 const QString& form, QString* error) {
    const QStringList p = text.split(QLatin1Char(':'));
    if (p.size() == n || (lastOptional && p.size() == n - 1)) {
        return p;
    }
    *error = QStringLiteral("%1: '%2' is not %3").arg(flag, text, form);
    return std::nullopt;
}

std::optional<double> parsePositive(const QString& flag, const QString& text, QString* error) {
    bool ok = false;
    const double v = text.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(v) || v <= 0 || v > 1e6) {
        *error = QStringLiteral("%1: '%2' is not a number above 0").arg(flag, text);
        return std::nullopt;
    }
    return v;
}

void printSummary(const QJsonObject& s, const QString& reportDir) {
    const QJsonObject counts = s.value(QStringLiteral("counts")).toObject();
    const QJsonObject thr = s.value(QStringLiteral("throughput")).toObject();
    const QJsonObject lat = s.value(QStringLiteral("latency_ms")).toObject();
    auto n = [&](const char* key) {
        return static_cast<qint64>(counts.value(QLatin1String(key)).toDouble());
    };
    const qint64 failures = n("failed") + n("rejected") + n("timed_out") + n("cancelled");
    QStringList out;
    out << QString() << QStringLiteral("== %1 ==").arg(s.value(QStringLiteral("title")).toString());
    out << QStringLiteral(
               "success     %1 of %2 (%3 failed, %4 rejected, %5 timed out, %6 cancelled)")
               .arg(n("done"))
               .arg(n("submitted"))
               .arg(n("failed"))
               .arg(n("rejected"))
               .arg(n("timed_out"))
               .arg(n("cancelled"));
    out << QStringLiteral("failure     %1   429s %2   retries %3   late starts %4   dropped %5")
               .arg(failures)
               .arg(n("rate_limited"))
               .arg(n("retries"))
               .arg(n("late_starts"))
               .arg(n("dropped"));
    out << QStringLiteral("total time  %1 s   (%2)")
               .arg(s.value(QStringLiteral("duration_s")).toDouble(), 0, 'f', 1)
               .arg(s.value(QStringLiteral("end_reason")).toString());
    out << QStringLiteral("avg latency %1 (end to end)   %2 (from intended send)")
               .arg(fmtMs(lat.value(QStringLiteral("e2e"))
                              .toObject()
                              .value(QStringLiteral("mean"))
                              .toDouble(NAN)),
                    fmtMs(lat.value(QStringLiteral("corrected"))
                              .toObject()
                              .value(QStringLiteral("mean"))
                              .toDouble(NAN)));
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
        const qint64 count = static_cast<qint64>(m.value(QStringLiteral("count")).toDouble());
        if (count == 0) {
            continue;
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
    const QJsonArray slo = s.value(QStringLiteral("slo")).toArray();
    if (!slo.isEmpty()) {
        out << QString() << QStringLiteral("SLOs:");
        for (const QJsonValue& v : slo) {
            const QJsonObject o = v.toObject();
            out << QStringLiteral("  %1  %2  (observed %3%4)")
                       .arg(o.value(QStringLiteral("met")).toBool() ? QStringLiteral("met   ")
                                                                    : QStringLiteral("FAILED"),
                            o.value(QStringLiteral("spec")).toString())
                       .arg(o.value(QStringLiteral("observed")).isNull()
                                ? QStringLiteral("nothing")
                                : QString::number(o.value(QStringLiteral("observed")).toDouble(),
                                                  'f', 2))
                       .arg(o.value(QStringLiteral("observed")).isNull()
                                ? QString()
                                : QStringLiteral(" ") + o.value(QStringLiteral("unit")).toString());
        }
    }
    if (s.contains(QStringLiteral("stress"))) {
        const QJsonObject stress = s.value(QStringLiteral("stress")).toObject();
        out << QString() << QStringLiteral("Stress steps:");
        for (const QJsonValue& v : stress.value(QStringLiteral("steps")).toArray()) {
            const QJsonObject o = v.toObject();
            out << QStringLiteral("  %1 %2  %3  %4")
                       .arg(o.value(QStringLiteral("load")).toDouble(), 8, 'f', 1)
                       .arg(stress.value(QStringLiteral("unit")).toString())
                       .arg(o.value(QStringLiteral("met")).toBool() ? QStringLiteral("met  ")
                                                                    : QStringLiteral("broke"))
                       .arg(o.value(QStringLiteral("detail")).toString());
        }
        const QJsonValue knee = stress.value(QStringLiteral("knee"));
        out << (knee.isNull() ? QStringLiteral("Knee: none (no step met the SLOs)")
                              : QStringLiteral("Knee: %1 %2")
                                    .arg(knee.toDouble())
                                    .arg(stress.value(QStringLiteral("unit")).toString()));
    }
    const QJsonObject verdict = s.value(QStringLiteral("verdict")).toObject();
    out << QString()
        << (verdict.value(QStringLiteral("passed")).toBool()
                ? QStringLiteral("PASSED")
                : QStringLiteral("FAILED: ") + verdict.value(QStringLiteral("failed"))
                                                   .toVariant()
                                                   .toStringList()
                                                   .join(QStringLiteral(", ")));
    if (!reportDir.isEmpty()) {
        out << QStringLiteral("Report: %1")
                   .arg(QDir(reportDir).filePath(QStringLiteral("report.html")));
    }
    cli::printOut(out.join(QLatin1Char('\n')));
}

} // namespace

int runBenchCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Load-tests an LLM endpoint (or the built-in mock) and reports LLM latency metrics:\n"
        "TTFB, TTFT, inter-token latency, TPOT, end to end, latency from the intended send time\n"
        "(corrected for coordinated omission), tokens/s, goodput. Exit codes: 0 passed,\n"
        "1 the run failed, 2 bad arguments, 3 an SLO failed.\n"
        "\n"
        "Example (the seed run): sluice bench --mock --mock-rpm 600 --mock-capacity 64 \\\n"
        "  --rate 20 --requests 1000 --rpm 500 --adaptive 5..50 --initial-concurrency 10"));
    parser.addHelpOption();
    auto opt = [&](const char* name, const char* help, const char* value = nullptr) {
        QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(help));
        if (value) {
            o.setValueName(QString::fromLatin1(value));
        }
        parser.addOption(o);
        return o;
    };
    const auto scenarioFile = opt("scenario", "Scenario JSON file (flags override it).", "file");
    const auto target =
        opt("target", "Base URL or endpoint of the API (e.g. https://api.openai.com/v1).", "url");
    const auto mock = opt("mock", "Start the built-in mock in-process and target it.");
    const auto mockRpm = opt("mock-rpm", "Mock: requests per minute (0 = unlimited).", "n");
    const auto mockTpm = opt("mock-tpm", "Mock: tokens per minute (0 = unlimited).", "n");
    const auto mockCapacity = opt("mock-capacity", "Mock: service slots.", "n");
    const auto mockTtft = opt("mock-ttft", "Mock: time to first token.", "duration");
    const auto mockTpot = opt("mock-tpot", "Mock: time per output token.", "duration");
    const auto mockTokens = opt("mock-tokens", "Mock: output length, N or MIN..MAX.", "range");
    const auto mockFaults =
        opt("mock-fault-rate",
            "Mock: faults as key=share (500, 503, 529, reset, stall, midstream, quota).", "faults");
    const auto mockJitter =
        opt("mock-jitter", "Mock: random spread of each delay (0.1 or 10%).", "fraction");
    const auto format = opt("format", "openai or anthropic (default openai).", "format");
    const auto model = opt("model", "Model name.", "name");
    const auto concurrency =
        opt("concurrency", "Closed loop: N workers, each sends when its last answer ends.", "n");
    const auto rate = opt("rate", "Open loop: requests per second on a schedule.", "r");
    const auto poisson = opt("poisson", "Open loop with exponential gaps (a Poisson process).");
    const auto ramp = opt(
        "ramp", "Ramp the load to TO over a duration, linearly or in STEPS steps: TO:OVER[:STEPS].",
        "spec");
    const auto spike = opt("spike", "A spike: LOAD:AT:FOR (e.g. 50:20s:5s).", "spec");
    const auto stress = opt("stress",
                            "Raise the load by STEP every STEP_DURATION up to MAX until an SLO "
                            "breaks; report the knee: STEP:MAX:STEP_DURATION.",
                            "spec");
    const auto duration = opt("duration", "How long to offer load (e.g. 60s).", "duration");
    const auto requests = opt("requests", "How many requests to send.", "n");
    const auto warmup = opt("warmup", "Leading time excluded from the results.", "duration");
    const auto rpm = opt("rpm", "Our limit: requests per minute.", "n");
    const auto tpm =
        opt("tpm", "Our limit: tokens per minute (prompt + max_tokens reserved).", "n");
    const auto maxConcurrency = opt("max-concurrency", "Our cap on requests in flight.", "n");
    const auto adaptive = opt("adaptive", "Adaptive concurrency within MIN..MAX.", "range");
    const auto initialConcurrency =
        opt("initial-concurrency", "Where adaptive concurrency starts.", "n");
    const auto followServer =
        opt("follow-server", "Also obey the target's rate-limit headers and Retry-After (traffic "
                             "control), instead of measuring it as it is.");
    const auto retries = opt("retries", "Retries after the first attempt (default 0).", "n");
    const auto timeout = opt("timeout", "Per-request deadline over all attempts.", "duration");
    const auto slo =
        opt("slo", "An SLO, repeatable: ttft:p95<500ms, e2e<2s, itl:p99<50ms, errors<1%.", "spec");
    const auto change = opt("change",
                            "A change during the run, repeatable: AT:KNOB=VALUE (knobs: rate, "
                            "concurrency, rpm, tpm, max_concurrency).",
                            "spec");
    const auto maxTokens = opt("max-tokens", "max_tokens of each request (default 128).", "n");
    const auto promptTokens =
        opt("prompt-tokens", "Generated prompts of about N tokens (default 32).", "n");
    const auto prompts = opt("prompts", "Prompts from a JSONL file.", "file");
    const auto noStream = opt("no-stream", "Ask for whole answers instead of streams.");
    const auto keyEnv = opt(
        "key-env",
        "Environment variable holding the API key (default OPENAI_API_KEY or ANTHROPIC_API_KEY).",
        "name");
    const auto keysFile = opt("keys-file", "API keys, one per line, used in turn.", "file");
    const auto http2 = opt("http2", "Use HTTP/2 (h2c for http:// targets).");
    const auto clientThreads = opt("client-threads", "HTTP client threads (default 4).", "n");
    const auto seed = opt("seed", "Seed of the random source (Poisson gaps, prompts).", "n");
    const auto report =
        opt("report", "Write summary.json, requests.jsonl, timeseries.csv and report.html here.",
            "dir");
    const auto quiet = opt("quiet", "No live view; only the final summary.");

    if (!parser.parse(arguments)) {
        cli::printError(kMe + QStringLiteral(": ") + parser.errorText() +
                        QStringLiteral(" (see sluice bench --help)"));
        return kExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        cli::printOut(parser.helpText());
        return kExitPassed;
    }
    QString error;
    auto fail = [&](const QString& message) {
        cli::printError(kMe + QStringLiteral(": ") + message);
        return kExitUsage;
    };
    if (!parser.positionalArguments().isEmpty()) {
        return fail(
            QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    }

    BenchScenario s;
    s.profile.kind = LoadProfile::Kind::Closed;
    s.profile.load = 1;
    if (parser.isSet(scenarioFile)) {
        QFile file(parser.value(scenarioFile));
        if (!file.open(QIODevice::ReadOnly)) {
            return fail(QStringLiteral("--scenario: cannot read %1: %2")
                            .arg(file.fileName(), file.errorString()));
        }
        QJsonParseError parseError{};
        const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
            return fail(QStringLiteral("--scenario %1: not a JSON object (%2 at offset %3)")
                            .arg(file.fileName(), parseError.errorString())
                            .arg(parseError.offset));
        }
        if (const auto e = s.apply(doc.object(), QFileInfo(file.fileName()).absolutePath())) {
            return fail(QStringLiteral("--scenario %1: %2").arg(file.fileName(), *e));
        }
    }
    if (parser.isSet(target)) {
        s.target = QUrl(parser.value(target), QUrl::StrictMode);
        s.useMock = false;
    }
    if (parser.isSet(mock)) {
        s.useMock = true;
    }
    // Mock settings, as the mock's own JSON config.
    QJsonObject mockJson;
    if (parser.isSet(mockRpm)) {
        const auto v =
            cli::parseInteger(QStringLiteral("--mock-rpm"), parser.value(mockRpm), 0, 1e9, &error);
        if (!v)
            return fail(error);
        mockJson.insert(QStringLiteral("rpm"), static_cast<double>(*v));
    }
    if (parser.isSet(mockTpm)) {
        const auto v =
            cli::parseInteger(QStringLiteral("--mock-tpm"), parser.value(mockTpm), 0, 1e12, &error);
        if (!v)
            return fail(error);
        mockJson.insert(QStringLiteral("tpm"), static_cast<double>(*v));
    }
    if (parser.isSet(mockCapacity)) {
        const auto v = cli::parseInteger(QStringLiteral("--mock-capacity"),
                                         parser.value(mockCapacity), 1, 1e6, &error);
        if (!v)
            return fail(error);
        mockJson.insert(QStringLiteral("capacity"), static_cast<double>(*v));
    }
    if (parser.isSet(mockTtft)) {
        const auto v =
            cli::parseDuration(QStringLiteral("--mock-ttft"), parser.value(mockTtft), &error);
        if (!v)
            return fail(error);
        mockJson.insert(QStringLiteral("ttft_ms"), static_cast<double>(v->count()));
    }
    if (parser.isSet(mockTpot)) {
        const auto v =
            cli::parseDuration(QStringLiteral("--mock-tpot"), parser.value(mockTpot), &error);
        if (!v)
            return fail(error);
        mockJson.insert(QStringLiteral("tpot_ms"), static_cast<double>(v->count()));
    }
    if (parser.isSet(mockTokens)) {
        const auto v = cli::parseRange(QStringLiteral("--mock-tokens"), parser.value(mockTokens), 1,
                                       100000, &error);
        if (!v)
            return fail(error);
        mockJson.insert(QStringLiteral("tokens_min"), v->first);
        mockJson.insert(QStringLiteral("tokens_max"), v->second);
    }
    if (parser.isSet(mockJitter)) {
        const auto v =
            cli::parseFraction(QStringLiteral("--mock-jitter"), parser.value(mockJitter), &error);
        if (!v)
            return fail(error);
        mockJson.insert(QStringLiteral("jitter"), *v);
    }
    if (!mockJson.isEmpty() || parser.isSet(mockFaults)) {
        if (!s.useMock) {
            return fail(QStringLiteral("--mock-* options need --mock"));
        }
        if (const auto e = s.mock.apply(mockJson)) {
            return fail(QStringLiteral("mock: ") + *e);
        }
        if (parser.isSet(mockFaults)) {
            if (const auto e = MockConfig::parseFaults(parser.value(mockFaults), &s.mock.faults)) {
                return fail(QStringLiteral("--mock-fault-rate: ") + *e);
            }
        }
    }
    if (parser.isSet(format)) {
        const auto f = parseFormat(parser.value(format));
        if (!f)
            return fail(QStringLiteral("--format: '%1' is not openai or anthropic")
                            .arg(parser.value(format)));
        s.format = *f;
    }
    if (parser.isSet(model)) {
        s.model = parser.value(model);
    }
    if (parser.isSet(concurrency) && parser.isSet(rate)) {
        return fail(QStringLiteral(
            "--concurrency (closed loop) and --rate (open loop) exclude each other"));
    }
    if (parser.isSet(concurrency)) {
        const auto v = cli::parseInteger(QStringLiteral("--concurrency"), parser.value(concurrency),
                                         1, 100000, &error);
        if (!v)
            return fail(error);
        s.profile.kind = LoadProfile::Kind::Closed;
        s.profile.load = static_cast<double>(*v);
    }
    if (parser.isSet(rate)) {
        const auto v = parsePositive(QStringLiteral("--rate"), parser.value(rate), &error);
        if (!v)
            return fail(error);
        s.profile.kind = LoadProfile::Kind::Constant;
        s.profile.load = *v;
    }
    if (parser.isSet(poisson)) {
        if (!s.profile.openLoop())
            return fail(QStringLiteral("--poisson needs --rate"));
        s.profile.kind = LoadProfile::Kind::Poisson;
    }
    if (parser.isSet(ramp)) {
        const auto p = parts(QStringLiteral("--ramp"), parser.value(ramp), 3, true,
                             QStringLiteral("TO:OVER[:STEPS]"), &error);
        if (!p)
            return fail(error);
        const auto to = parsePositive(QStringLiteral("--ramp"), p->at(0), &error);
        const auto over =
            to ? cli::parseDuration(QStringLiteral("--ramp"), p->at(1), &error) : std::nullopt;
        if (!over)
            return fail(error);
        s.profile.rampTo = *to;
        s.profile.rampOver = *over;
        if (p->size() == 3) {
            const auto steps =
                cli::parseInteger(QStringLiteral("--ramp"), p->at(2), 1, 1000, &error);
            if (!steps)
                return fail(error);
            s.profile.rampSteps = static_cast<int>(*steps);
        }
    }
    if (parser.isSet(spike)) {
        const auto p = parts(QStringLiteral("--spike"), parser.value(spike), 3, false,
                             QStringLiteral("LOAD:AT:FOR"), &error);
        if (!p)
            return fail(error);
        const auto load = parsePositive(QStringLiteral("--spike"), p->at(0), &error);
        const auto at =
            load ? cli::parseDuration(QStringLiteral("--spike"), p->at(1), &error) : std::nullopt;
        const auto len =
            at ? cli::parseDuration(QStringLiteral("--spike"), p->at(2), &error) : std::nullopt;
        if (!len)
            return fail(error);
        s.profile.spikeLoad = *load;
        s.profile.spikeAt = *at;
        s.profile.spikeFor = *len;
    }
    if (parser.isSet(stress)) {
        const auto p = parts(QStringLiteral("--stress"), parser.value(stress), 3, false,
                             QStringLiteral("STEP:MAX:STEP_DURATION"), &error);
        if (!p)
            return fail(error);
        const auto step = parsePositive(QStringLiteral("--stress"), p->at(0), &error);
        const auto max =
            step ? parsePositive(QStringLiteral("--stress"), p->at(1), &error) : std::nullopt;
        const auto len =
            max ? cli::parseDuration(QStringLiteral("--stress"), p->at(2), &error) : std::nullopt;
        if (!len)
            return fail(error);
        if (len->count() == 0)
            return fail(QStringLiteral("--stress: the step duration must be above 0"));
        s.profile.stress = true;
        s.profile.stressStep = *step;
        s.profile.stressMax = *max;
        s.profile.stressStepFor = *len;
    }
    if (parser.isSet(duration)) {
        const auto v =
            cli::parseDuration(QStringLiteral("--duration"), parser.value(duration), &error);
        if (!v)
            return fail(error);
        s.duration = *v;
    }
    if (parser.isSet(requests)) {
        const auto v =
            cli::parseInteger(QStringLiteral("--requests"), parser.value(requests), 1, 1e9, &error);
        if (!v)
            return fail(error);
        s.requests = *v;
    }
    if (parser.isSet(warmup)) {
        const auto v = cli::parseDuration(QStringLiteral("--warmup"), parser.value(warmup), &error);
        if (!v)
            return fail(error);
        s.warmup = *v;
    }
    if (parser.isSet(rpm)) {
        const auto v =
            cli::parseInteger(QStringLiteral("--rpm"), parser.value(rpm), 0, 1e9, &error);
        if (!v)
            return fail(error);
        s.rpm = *v;
    }
    if (parser.isSet(tpm)) {
        const auto v =
            cli::parseInteger(QStringLiteral("--tpm"), parser.value(tpm), 0, 1e12, &error);
        if (!v)
            return fail(error);
        s.tpm = *v;
    }
    if (parser.isSet(maxConcurrency)) {
        const auto v = cli::parseInteger(QStringLiteral("--max-concurrency"),
                                         parser.value(maxConcurrency), 1, 100000, &error);
        if (!v)
            return fail(error);
        s.maxConcurrency = static_cast<int>(*v);
    }
    if (parser.isSet(adaptive)) {
        const auto v = cli::parseRange(QStringLiteral("--adaptive"), parser.value(adaptive), 1,
                                       100000, &error);
        if (!v)
            return fail(error);
        s.adaptive = true;
        s.adaptiveMin = v->first;
        s.adaptiveMax = v->second;
        s.adaptiveInitial = std::clamp(s.adaptiveInitial, v->first, v->second);
    }
    if (parser.isSet(initialConcurrency)) {
        const auto v = cli::parseInteger(QStringLiteral("--initial-concurrency"),
                                         parser.value(initialConcurrency), 1, 100000, &error);
        if (!v)
            return fail(error);
        if (!s.adaptive)
            return fail(QStringLiteral("--initial-concurrency needs --adaptive"));
        s.adaptiveInitial = static_cast<int>(*v);
    }
    if (parser.isSet(retries)) {
        const auto v =
            cli::parseInteger(QStringLiteral("--retries"), parser.value(retries), 0, 10, &error);
        if (!v)
            return fail(error);
        s.retries = static_cast<int>(*v);
    }
    if (parser.isSet(timeout)) {
        const auto v =
            cli::parseDuration(QStringLiteral("--timeout"), parser.value(timeout), &error);
        if (!v)
            return fail(error);
        s.timeout = *v;
    }
    if (parser.isSet(slo)) {
        s.slos.clear();
        for (const QString& text : parser.values(slo)) {
            const auto spec = SloSpec::parse(text, &error);
            if (!spec)
                return fail(QStringLiteral("--slo: ") + error);
            s.slos.push_back(*spec);
        }
    }
    for (const QString& text : parser.values(change)) {
        const int colon = static_cast<int>(text.indexOf(QLatin1Char(':')));
        const int eq = static_cast<int>(text.indexOf(QLatin1Char('=')));
        if (colon <= 0 || eq <= colon + 1) {
            return fail(
                QStringLiteral("--change: '%1' is not AT:KNOB=VALUE (e.g. 30s:rate=50)").arg(text));
        }
        const auto at = cli::parseDuration(QStringLiteral("--change"), text.left(colon), &error);
        if (!at)
            return fail(error);
        bool ok = false;
        const double value = text.mid(eq + 1).toDouble(&ok);
        if (!ok || !std::isfinite(value)) {
            return fail(QStringLiteral("--change: '%1' has no number after '='").arg(text));
        }
        s.changes.push_back(ScheduledChange{*at, text.mid(colon + 1, eq - colon - 1), value});
    }
    if (parser.isSet(maxTokens)) {
        const auto v = cli::parseInteger(QStringLiteral("--max-tokens"), parser.value(maxTokens), 1,
                                         1e6, &error);
        if (!v)
            return fail(error);
        s.maxTokens = static_cast<int>(*v);
    }
    if (parser.isSet(promptTokens)) {
        const auto v = cli::parseInteger(QStringLiteral("--prompt-tokens"),
                                         parser.value(promptTokens), 4, 1e6, &error);
        if (!v)
            return fail(error);
        s.promptTokens = static_cast<int>(*v);
    }
    if (parser.isSet(prompts)) {
        if (const auto e = BenchScenario::readPrompts(parser.value(prompts), &s.prompts)) {
            return fail(QStringLiteral("--prompts: ") + *e);
        }
    }
    if (parser.isSet(noStream)) {
        s.stream = false;
    }
    if (parser.isSet(followServer)) {
        s.followServerLimits = true;
    }
    if (parser.isSet(http2)) {
        s.http2 = true;
    }
    if (parser.isSet(clientThreads)) {
        const auto v = cli::parseInteger(QStringLiteral("--client-threads"),
                                         parser.value(clientThreads), 1, 256, &error);
        if (!v)
            return fail(error);
        s.clientThreads = static_cast<int>(*v);
    }
    if (parser.isSet(seed)) {
        const auto v =
            cli::parseInteger(QStringLiteral("--seed"), parser.value(seed), 0, 9e15, &error);
        if (!v)
            return fail(error);
        s.seed = static_cast<std::uint64_t>(*v);
    }
    if (parser.isSet(keysFile)) {
        if (const auto e = BenchScenario::readKeys(parser.value(keysFile), &s.keys)) {
            return fail(QStringLiteral("--keys-file: ") + *e);
        }
    } else if (s.keys.isEmpty() && !s.useMock) {
        const QString env = parser.isSet(keyEnv)               ? parser.value(keyEnv)
                            : s.format == ApiFormat::Anthropic ? QStringLiteral("ANTHROPIC_API_KEY")
                                                               : QStringLiteral("OPENAI_API_KEY");
        const QByteArray key = qgetenv(env.toLocal8Bit().constData());
        if (key.isEmpty() && parser.isSet(keyEnv)) {
            return fail(QStringLiteral("--key-env: environment variable %1 is not set").arg(env));
        }
        if (!key.isEmpty()) {
            s.keys = {key};
        }
    }
    if (!parser.isSet(target) && !s.useMock && !s.target.isValid()) {
        // OPENAI_BASE_URL is the convention the SDKs follow.
        const QByteArray base = qgetenv("OPENAI_BASE_URL");
        if (!base.isEmpty() && s.format == ApiFormat::OpenAi) {
            s.target = QUrl(QString::fromUtf8(base));
        }
    }
    if (const auto e = s.validate()) {
        return fail(*e);
    }
    if (const auto e = s.mock.validate(); s.useMock && e) {
        return fail(QStringLiteral("mock: ") + *e);
    }

    // The mock, in-process, on its own port.
    std::unique_ptr<MockServer> mockServer;
    QUrl base = s.target;
    if (s.useMock) {
        // Stamped events let the report show our own timing error against the server's clock.
        MockConfig mockConfig = s.mock;
        mockConfig.stamp = true;
        mockServer = std::make_unique<MockServer>(mockConfig);
        if (!mockServer->listen(QHostAddress::LocalHost, 0)) {
            cli::printError(kMe + QStringLiteral(": cannot start the built-in mock: ") +
                            mockServer->errorString());
            return kExitRunFailed;
        }
        base = QUrl(QStringLiteral("http://127.0.0.1:%1/v1").arg(mockServer->port()));
    }
    RequestLog log;
    const QString reportDir = parser.value(report);
    if (!reportDir.isEmpty()) {
        if (const auto e = log.open(reportDir)) {
            cli::printError(kMe + QStringLiteral(": --report: ") + *e);
            return kExitRunFailed;
        }
    }
    BenchRunner runner(s, base);
    runner.setRequestSink([&log](const QJsonObject& row) { log.append(row); });
    const bool live = !parser.isSet(quiet);
    const bool tty = ::isatty(STDOUT_FILENO) == 1;
    cli::printOut(
        QStringLiteral("Sluice bench: %1 -> %2%3")
            .arg(
                s.profile.describe(),
                s.useMock ? QStringLiteral("built-in mock at ") + base.toString() : base.toString(),
                s.keys.isEmpty()
                    ? QString()
                    : QStringLiteral(" (keys %1)").arg(s.maskedKeys().join(QStringLiteral(", ")))));
    int lines = 0;
    QObject::connect(&runner, &BenchRunner::progress, &runner, [&](const BenchProgress& p) {
        if (!live) {
            return;
        }
        const QString line =
            QStringLiteral("%1%2 %3s  %4 %5/s  in flight %6  queued %7  ok %8  errors %9  "
                           "p50/p95/p99 %10/%11/%12")
                .arg(bar(p.fraction, 20), p.phase)
                .arg(p.elapsed, 0, 'f', 0)
                .arg(p.openLoop ? QStringLiteral("sent") : QStringLiteral("sent"))
                .arg(p.sentPerSecond, 0, 'f', 1)
                .arg(p.inFlight)
                .arg(p.queued)
                .arg(p.ok)
                .arg(p.errors)
                .arg(fmtMs(p.e2eP50), fmtMs(p.e2eP95), fmtMs(p.e2eP99));
        if (tty) {
            std::fprintf(stdout, "\r\033[K%s", line.toLocal8Bit().constData());
            std::fflush(stdout);
        } else if (lines++ % 5 == 0) {
            cli::printOut(line);
        }
    });
    QObject::connect(&runner, &BenchRunner::eventRecorded, &runner, [&](const BenchEvent& e) {
        if (live && e.kind != QLatin1String("start")) {
            if (tty) {
                std::fputs("\r\033[K", stdout);
            }
            cli::printOut(
                QStringLiteral("  [%1 s] %2: %3").arg(e.t, 0, 'f', 1).arg(e.kind, e.text));
        }
    });
    QObject::connect(&runner, &BenchRunner::finished, qApp, &QCoreApplication::quit,
                     Qt::QueuedConnection);
    SignalWatcher watcher;
    int interrupts = 0;
    QObject::connect(&watcher, &SignalWatcher::terminationRequested, &runner, [&] {
        runner.stop(++interrupts == 1 ? QStringLiteral("interrupted") : QString());
    });
    QTimer::singleShot(0, &runner, &BenchRunner::start);
    QCoreApplication::exec();
    if (tty && live) {
        std::fputs("\r\033[K", stdout);
    }
    log.close();
    const QJsonObject summary = runner.summary();
    if (!reportDir.isEmpty()) {
        if (const auto e = writeReport(reportDir, summary, seriesData(runner.series()))) {
            cli::printError(kMe + QStringLiteral(": ") + *e);
            printSummary(summary, {});
            return kExitRunFailed;
        }
    }
    printSummary(summary, reportDir);
    const QJsonObject counts = summary.value(QStringLiteral("counts")).toObject();
    if (counts.value(QStringLiteral("done")).toDouble() == 0) {
        return kExitRunFailed;
    }
    return summary.value(QStringLiteral("verdict"))
                   .toObject()
                   .value(QStringLiteral("passed"))
                   .toBool()
               ? kExitPassed
               : kExitSloFailed;
}

int runReportCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Compares two benchmark runs (directories written by sluice bench --report) in one HTML."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("A"),
                                 QStringLiteral("The first report directory."));
    parser.addPositionalArgument(QStringLiteral("B"),
                                 QStringLiteral("The second report directory."));
    const QCommandLineOption output(QStringLiteral("o"),
                                    QStringLiteral("Output file (default compare.html)."),
                                    QStringLiteral("file"), QStringLiteral("compare.html"));
    parser.addOption(output);
    const QString me = QStringLiteral("sluice report");
    if (!parser.parse(arguments)) {
        cli::printError(me + QStringLiteral(": ") + parser.errorText());
        return kExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        cli::printOut(parser.helpText());
        return kExitPassed;
    }
    const QStringList dirs = parser.positionalArguments();
    if (dirs.size() != 2) {
        cli::printError(me + QStringLiteral(": give exactly two report directories (see --help)"));
        return kExitUsage;
    }
    QString error;
    const auto a = loadReport(dirs[0], &error);
    if (!a) {
        cli::printError(me + QStringLiteral(": ") + error);
        return kExitUsage;
    }
    const auto b = loadReport(dirs[1], &error);
    if (!b) {
        cli::printError(me + QStringLiteral(": ") + error);
        return kExitUsage;
    }
    const QString html = renderComparisonHtml(a->summary, a->series, QDir(dirs[0]).dirName(),
                                              b->summary, b->series, QDir(dirs[1]).dirName());
    QSaveFile file(parser.value(output));
    const QByteArray bytes = html.toUtf8();
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        cli::printError(
            me + QStringLiteral(": cannot write %1: %2").arg(file.fileName(), file.errorString()));
        return kExitRunFailed;
    }
    cli::printOut(QStringLiteral("Comparison written to %1").arg(file.fileName()));
    return kExitPassed;
}

} // namespace sluice
