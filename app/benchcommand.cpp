#include "app/benchcommand.h"

#include "app/commandline.h"
#include "app/http2probe.h"
#include "app/liveview.h"
#include "app/signalwatcher.h"
#include "app/summaryprint.h"
#include "core/bench/benchrunner.h"
#include "core/bench/report/reportfiles.h"
#include "core/server/mock/mockserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTimer>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace sluice {

namespace {

constexpr int kExitPassed = 0;
constexpr int kExitRunFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitSloFailed = 3;
constexpr int kExitNoKnee = 4;
// Interrupted: the shell's convention, 128 + the signal.
constexpr int kExitSigint = 130;
constexpr int kExitSigterm = 143;

const QString kMe = QStringLiteral("sluice bench");

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

} // namespace

int runBenchCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Load-tests an LLM endpoint (or the built-in mock) and reports LLM latency metrics:\n"
        "TTFB, TTFT, inter-token latency, TPOT, end to end, latency from the intended send time\n"
        "(corrected for coordinated omission), tokens/s, goodput, and failures by reason.\n"
        "\n"
        "Every run is judged by errors<1% unless an error SLO is given (--no-default-slo turns\n"
        "it off). Retries (--retries) stay within a budget of 10% of first attempts per minute.\n"
        "When the load ends, what is in flight may finish; the run is cut short only when\n"
        "nothing has ended for --timeout + 5 s (65 s without --timeout).\n"
        "\n"
        "Exit codes: 0 passed (stress: a knee was found), 1 the run failed (nothing succeeded,\n"
        "or the report could not be written), 2 bad arguments or scenario, 3 an SLO failed,\n"
        "4 stress found no load that met the SLOs, 130 interrupted (SIGINT), 143 terminated\n"
        "(SIGTERM).\n"
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
    const auto mockRpm =
        opt("mock-rpm", "Mock: requests per minute (0 = unlimited; default 600).", "n");
    const auto mockTpm =
        opt("mock-tpm", "Mock: tokens per minute (0 = unlimited; default 100000).", "n");
    const auto mockCapacity = opt("mock-capacity", "Mock: service slots (default 32).", "n");
    const auto mockTtft =
        opt("mock-ttft", "Mock: time to first token (default 200ms).", "duration");
    const auto mockTpot =
        opt("mock-tpot", "Mock: time per output token (default 20ms).", "duration");
    const auto mockTokens =
        opt("mock-tokens", "Mock: output length, N or MIN..MAX (default 50..200).", "range");
    const auto mockFaults =
        opt("mock-fault-rate",
            "Mock: faults as key=share (500, 503, 529, reset, stall, midstream, quota; default "
            "none).",
            "faults");
    const auto mockJitter = opt(
        "mock-jitter", "Mock: random spread of each delay (0.1 or 10%; default 0).", "fraction");
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
    const auto retries = opt("retries",
                             "Retries after the first attempt (default 0), within a budget of "
                             "10% of first attempts per minute.",
                             "n");
    const auto timeout = opt("timeout",
                             "Per-request deadline over all attempts (default none; an attempt "
                             "with no byte for 60 s ends as a timeout).",
                             "duration");
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
    const auto noDefaultSlo =
        opt("no-default-slo", "Do not judge the run by errors<1% when no error SLO is given.");

    if (!parser.parse(arguments)) {
        cli::printError(kMe + QStringLiteral(": ") + parser.errorText() +
                        QStringLiteral(" (see sluice bench --help)"));
        return kExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        cli::printOut(cli::helpFor(parser, QStringLiteral("sluice bench")));
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
        const QByteArray bytes = file.readAll();
        const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
        if (parseError.error != QJsonParseError::NoError) {
            return fail(QStringLiteral("--scenario %1:%2: %3")
                            .arg(file.fileName(), cli::lineColumn(bytes, parseError.offset),
                                 parseError.errorString()));
        }
        if (!doc.isObject()) {
            return fail(QStringLiteral("--scenario %1: not a JSON object").arg(file.fileName()));
        }
        if (const auto e = s.apply(doc.object(), QFileInfo(file.fileName()).absolutePath())) {
            return fail(QStringLiteral("--scenario %1: %2").arg(file.fileName(), *e));
        }
    }
    if (parser.isSet(target) && parser.isSet(mock)) {
        return fail(QStringLiteral("--mock and --target exclude each other: --mock runs the "
                                   "built-in mock and sends to it, --target sends to an API"));
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
        if (!v) {
            return fail(error);
        }
        mockJson.insert(QStringLiteral("rpm"), static_cast<double>(*v));
    }
    if (parser.isSet(mockTpm)) {
        const auto v =
            cli::parseInteger(QStringLiteral("--mock-tpm"), parser.value(mockTpm), 0, 1e12, &error);
        if (!v) {
            return fail(error);
        }
        mockJson.insert(QStringLiteral("tpm"), static_cast<double>(*v));
    }
    if (parser.isSet(mockCapacity)) {
        const auto v = cli::parseInteger(QStringLiteral("--mock-capacity"),
                                         parser.value(mockCapacity), 1, 1e6, &error);
        if (!v) {
            return fail(error);
        }
        mockJson.insert(QStringLiteral("capacity"), static_cast<double>(*v));
    }
    if (parser.isSet(mockTtft)) {
        const auto v =
            cli::parseDuration(QStringLiteral("--mock-ttft"), parser.value(mockTtft), &error);
        if (!v) {
            return fail(error);
        }
        mockJson.insert(QStringLiteral("ttft_ms"), static_cast<double>(v->count()));
    }
    if (parser.isSet(mockTpot)) {
        const auto v =
            cli::parseDuration(QStringLiteral("--mock-tpot"), parser.value(mockTpot), &error);
        if (!v) {
            return fail(error);
        }
        mockJson.insert(QStringLiteral("tpot_ms"), static_cast<double>(v->count()));
    }
    if (parser.isSet(mockTokens)) {
        const auto v = cli::parseRange(QStringLiteral("--mock-tokens"), parser.value(mockTokens), 1,
                                       100000, &error);
        if (!v) {
            return fail(error);
        }
        mockJson.insert(QStringLiteral("tokens_min"), v->first);
        mockJson.insert(QStringLiteral("tokens_max"), v->second);
    }
    if (parser.isSet(mockJitter)) {
        const auto v =
            cli::parseFraction(QStringLiteral("--mock-jitter"), parser.value(mockJitter), &error);
        if (!v) {
            return fail(error);
        }
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
            if (auto e = MockConfig::parseFaults(parser.value(mockFaults), &s.mock.faults)) {
                // The mock's own message names its own flag.
                e->replace(QStringLiteral("--fault-rate"), QStringLiteral("--mock-fault-rate"));
                return fail(*e);
            }
        }
    }
    if (parser.isSet(format)) {
        const auto f = parseFormat(parser.value(format));
        if (!f) {
            return fail(QStringLiteral("--format: '%1' is not openai or anthropic")
                            .arg(parser.value(format)));
        }
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
        if (!v) {
            return fail(error);
        }
        s.profile.kind = LoadProfile::Kind::Closed;
        s.profile.load = static_cast<double>(*v);
    }
    if (parser.isSet(rate)) {
        const auto v = parsePositive(QStringLiteral("--rate"), parser.value(rate), &error);
        if (!v) {
            return fail(error);
        }
        s.profile.kind = LoadProfile::Kind::Constant;
        s.profile.load = *v;
    }
    if (parser.isSet(poisson)) {
        if (!s.profile.openLoop()) {
            return fail(QStringLiteral("--poisson needs --rate"));
        }
        s.profile.kind = LoadProfile::Kind::Poisson;
    }
    if (parser.isSet(ramp)) {
        const auto p = parts(QStringLiteral("--ramp"), parser.value(ramp), 3, true,
                             QStringLiteral("TO:OVER[:STEPS]"), &error);
        if (!p) {
            return fail(error);
        }
        const auto to = parsePositive(QStringLiteral("--ramp"), p->at(0), &error);
        const auto over =
            to ? cli::parseDuration(QStringLiteral("--ramp"), p->at(1), &error) : std::nullopt;
        if (!over) {
            return fail(error);
        }
        s.profile.rampTo = *to;
        s.profile.rampOver = *over;
        if (p->size() == 3) {
            const auto steps =
                cli::parseInteger(QStringLiteral("--ramp"), p->at(2), 1, 1000, &error);
            if (!steps) {
                return fail(error);
            }
            s.profile.rampSteps = static_cast<int>(*steps);
        }
    }
    if (parser.isSet(spike)) {
        const auto p = parts(QStringLiteral("--spike"), parser.value(spike), 3, false,
                             QStringLiteral("LOAD:AT:FOR"), &error);
        if (!p) {
            return fail(error);
        }
        const auto load = parsePositive(QStringLiteral("--spike"), p->at(0), &error);
        const auto at =
            load ? cli::parseDuration(QStringLiteral("--spike"), p->at(1), &error) : std::nullopt;
        const auto len =
            at ? cli::parseDuration(QStringLiteral("--spike"), p->at(2), &error) : std::nullopt;
        if (!len) {
            return fail(error);
        }
        s.profile.spikeLoad = *load;
        s.profile.spikeAt = *at;
        s.profile.spikeFor = *len;
    }
    if (parser.isSet(stress)) {
        const auto p = parts(QStringLiteral("--stress"), parser.value(stress), 3, false,
                             QStringLiteral("STEP:MAX:STEP_DURATION"), &error);
        if (!p) {
            return fail(error);
        }
        const auto step = parsePositive(QStringLiteral("--stress"), p->at(0), &error);
        const auto max =
            step ? parsePositive(QStringLiteral("--stress"), p->at(1), &error) : std::nullopt;
        const auto len =
            max ? cli::parseDuration(QStringLiteral("--stress"), p->at(2), &error) : std::nullopt;
        if (!len) {
            return fail(error);
        }
        if (len->count() == 0) {
            return fail(QStringLiteral("--stress: the step duration must be above 0"));
        }
        s.profile.stress = true;
        s.profile.stressStep = *step;
        s.profile.stressMax = *max;
        s.profile.stressStepFor = *len;
    }
    if (parser.isSet(duration)) {
        const auto v =
            cli::parseDuration(QStringLiteral("--duration"), parser.value(duration), &error);
        if (!v) {
            return fail(error);
        }
        s.duration = *v;
    }
    if (parser.isSet(requests)) {
        const auto v =
            cli::parseInteger(QStringLiteral("--requests"), parser.value(requests), 1, 1e9, &error);
        if (!v) {
            return fail(error);
        }
        s.requests = *v;
    }
    if (parser.isSet(warmup)) {
        const auto v = cli::parseDuration(QStringLiteral("--warmup"), parser.value(warmup), &error);
        if (!v) {
            return fail(error);
        }
        s.warmup = *v;
    }
    if (parser.isSet(rpm)) {
        const auto v =
            cli::parseInteger(QStringLiteral("--rpm"), parser.value(rpm), 0, 1e9, &error);
        if (!v) {
            return fail(error);
        }
        s.rpm = *v;
    }
    if (parser.isSet(tpm)) {
        const auto v =
            cli::parseInteger(QStringLiteral("--tpm"), parser.value(tpm), 0, 1e12, &error);
        if (!v) {
            return fail(error);
        }
        s.tpm = *v;
    }
    if (parser.isSet(maxConcurrency)) {
        const auto v = cli::parseInteger(QStringLiteral("--max-concurrency"),
                                         parser.value(maxConcurrency), 1, 100000, &error);
        if (!v) {
            return fail(error);
        }
        s.maxConcurrency = static_cast<int>(*v);
    }
    if (parser.isSet(adaptive)) {
        const auto v = cli::parseRange(QStringLiteral("--adaptive"), parser.value(adaptive), 1,
                                       100000, &error);
        if (!v) {
            return fail(error);
        }
        s.adaptive = true;
        s.adaptiveMin = v->first;
        s.adaptiveMax = v->second;
        s.adaptiveInitial = std::clamp(s.adaptiveInitial, v->first, v->second);
    }
    if (parser.isSet(initialConcurrency)) {
        const auto v = cli::parseInteger(QStringLiteral("--initial-concurrency"),
                                         parser.value(initialConcurrency), 1, 100000, &error);
        if (!v) {
            return fail(error);
        }
        if (!s.adaptive) {
            return fail(QStringLiteral("--initial-concurrency needs --adaptive"));
        }
        s.adaptiveInitial = static_cast<int>(*v);
    }
    if (parser.isSet(retries)) {
        const auto v =
            cli::parseInteger(QStringLiteral("--retries"), parser.value(retries), 0, 10, &error);
        if (!v) {
            return fail(error);
        }
        s.retries = static_cast<int>(*v);
    }
    if (parser.isSet(timeout)) {
        const auto v =
            cli::parseDuration(QStringLiteral("--timeout"), parser.value(timeout), &error);
        if (!v) {
            return fail(error);
        }
        s.timeout = *v;
    }
    if (parser.isSet(slo)) {
        s.slos.clear();
        for (const QString& text : parser.values(slo)) {
            const auto spec = SloSpec::parse(text, &error);
            if (!spec) {
                return fail(QStringLiteral("--slo: ") + error);
            }
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
        if (!at) {
            return fail(error);
        }
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
        if (!v) {
            return fail(error);
        }
        s.maxTokens = static_cast<int>(*v);
    }
    if (parser.isSet(promptTokens)) {
        const auto v = cli::parseInteger(QStringLiteral("--prompt-tokens"),
                                         parser.value(promptTokens), 4, 1e6, &error);
        if (!v) {
            return fail(error);
        }
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
    if (parser.isSet(noDefaultSlo)) {
        s.defaultSlo = false;
    }
    if (parser.isSet(clientThreads)) {
        const auto v = cli::parseInteger(QStringLiteral("--client-threads"),
                                         parser.value(clientThreads), 1, 256, &error);
        if (!v) {
            return fail(error);
        }
        s.clientThreads = static_cast<int>(*v);
    }
    if (parser.isSet(seed)) {
        const auto v =
            cli::parseInteger(QStringLiteral("--seed"), parser.value(seed), 0, 9e15, &error);
        if (!v) {
            return fail(error);
        }
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
    if (s.http2) {
        // Qt logs every failed h2 stream; the failures are counted by reason instead.
        QLoggingCategory::setFilterRules(QStringLiteral("qt.network.http2.warning=false"));
        if (auto refused = probeHttp2(base, s.format, s.keys.value(0))) {
            cli::printError(kMe + QStringLiteral(": --http2: ") + *refused);
            return kExitRunFailed;
        }
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
        if (tty) {
            const QString line = liveLine(p, terminalColumns());
            std::fprintf(stdout, "\r\033[K%s", line.toLocal8Bit().constData());
            std::fflush(stdout);
        } else if (lines++ % 5 == 0) {
            cli::printOut(liveLine(p, 160));
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
    int signalExit = 0;
    QObject::connect(&watcher, &SignalWatcher::terminationRequested, &runner, [&](int sig) {
        signalExit = sig == SIGTERM ? kExitSigterm : kExitSigint;
        if (++interrupts == 1) {
            if (tty && live) {
                std::fputs("\r\033[K", stdout);
            }
            cli::printError(QStringLiteral("%1: %2: letting what is in flight finish (again to "
                                           "cancel it)")
                                .arg(kMe, sig == SIGTERM ? QStringLiteral("terminated")
                                                         : QStringLiteral("interrupted")));
            runner.interrupt(sig == SIGTERM ? QStringLiteral("terminated (SIGTERM)")
                                            : QStringLiteral("interrupted (SIGINT)"));
        } else {
            runner.stop(); // draining: cancels what is still out
        }
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
            cli::printOut(summaryText(summary, {}));
            return signalExit ? signalExit : kExitRunFailed;
        }
    }
    cli::printOut(summaryText(summary, reportDir));
    if (signalExit) {
        return signalExit;
    }
    const QJsonObject counts = summary.value(QStringLiteral("counts")).toObject();
    if (counts.value(QStringLiteral("done")).toDouble() == 0) {
        return kExitRunFailed;
    }
    const QJsonObject verdict = summary.value(QStringLiteral("verdict")).toObject();
    if (verdict.value(QStringLiteral("outcome")).toString() == QLatin1String("no_knee")) {
        return kExitNoKnee;
    }
    return verdict.value(QStringLiteral("passed")).toBool() ? kExitPassed : kExitSloFailed;
}

} // namespace sluice
