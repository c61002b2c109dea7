#include "app/scenarioflags.h"

#include "app/commandline.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

namespace sluice::cli {

namespace {

// "AT:KNOB=VALUE" as one entry of the scenario's "changes": {"at": AT, KNOB: VALUE}.
FlagConvert change() {
    return [](const QString& text) -> Result<QJsonValue> {
        const qsizetype colon = text.indexOf(QLatin1Char(':'));
        const qsizetype eq = text.indexOf(QLatin1Char('='));
        if (colon <= 0 || eq <= colon + 1) {
            return Error::invalid({}, QStringLiteral("expected AT:KNOB=VALUE (e.g. 30s:rate=50)"));
        }
        bool ok = false;
        const double value = text.mid(eq + 1).toDouble(&ok);
        return QJsonValue(QJsonObject{{QStringLiteral("at"), text.left(colon)},
                                      {text.mid(colon + 1, eq - colon - 1),
                                       ok ? QJsonValue(value) : QJsonValue(text.mid(eq + 1))}});
    };
}

QJsonObject kind(const char* name) {
    return {
        {QStringLiteral("profile"), QJsonObject{{QStringLiteral("kind"), QLatin1String(name)}}}};
}

FlagSpec flag(const char* name, const char* path, const char* valueName, const char* help,
              FlagConvert convert) {
    return {QLatin1String(name), QLatin1String(path), QLatin1String(valueName), QLatin1String(help),
            std::move(convert)};
}

FlagSpec toggle(const char* name, const char* path, const char* help, QJsonValue value) {
    return {QLatin1String(name),
            QLatin1String(path),
            {},
            QLatin1String(help),
            constant(std::move(value))};
}

FlagSpec repeated(FlagSpec f) {
    f.repeatable = true;
    return f;
}

FlagSpec with(FlagSpec f, QJsonObject also) {
    f.also = std::move(also);
    return f;
}

Error rendered(QString message) {
    return Error::invalid({}, std::move(message));
}

// Reads the --scenario file as a JSON object; errors name the file (and line:column).
Result<QJsonObject> readScenarioFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return rendered(
            QStringLiteral("--scenario: cannot read %1: %2").arg(path, file.errorString()));
    }
    QJsonParseError parseError{};
    const QByteArray bytes = file.readAll();
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return rendered(
            QStringLiteral("--scenario %1:%2: %3")
                .arg(path, lineColumn(bytes, parseError.offset), parseError.errorString()));
    }
    if (!doc.isObject()) {
        return rendered(QStringLiteral("--scenario %1: not a JSON object").arg(path));
    }
    return doc.object();
}

} // namespace

const FlagTable& scenarioFlags() {
    // Table order is merge order: --mock before the --mock-* settings, --rate before --poisson.
    static const FlagTable table({
        flag("target", "target", "url",
             "Base URL or endpoint of the API (e.g. https://api.openai.com/v1).", text()),
        toggle("mock", "mock", "Start the built-in mock in-process and target it.", true),
        flag("mock-rpm", "mock.rpm", "n", "Mock: requests per minute (0 = unlimited; default 600).",
             number()),
        flag("mock-tpm", "mock.tpm", "n",
             "Mock: tokens per minute (0 = unlimited; default 100000).", number()),
        flag("mock-capacity", "mock.capacity", "n", "Mock: service slots (default 32).", number()),
        flag("mock-ttft", "mock.ttft_ms", "duration", "Mock: time to first token (default 200ms).",
             milliseconds()),
        flag("mock-tpot", "mock.tpot_ms", "duration", "Mock: time per output token (default 20ms).",
             milliseconds()),
        flag("mock-tokens", "mock", "range",
             "Mock: output length, N or MIN..MAX (default 50..200; tokens_min, tokens_max).",
             range(QStringLiteral("tokens_min"), QStringLiteral("tokens_max"))),
        flag("mock-fault-rate", "mock.faults", "faults",
             "Mock: faults as key=share (500, 503, 529, reset, stall, midstream, quota, "
             "reset_midstream, truncate; default none).",
             pairs(QStringLiteral("key=share pairs such as 500=0.05,reset=1%"))),
        flag("mock-jitter", "mock.jitter", "fraction",
             "Mock: random spread of each delay (0.1 or 10%; default 0).", fraction()),
        flag("format", "format", "format", "openai or anthropic (default openai).", text()),
        flag("model", "model", "name", "Model name.", text()),
        with(flag("concurrency", "profile.concurrency", "n",
                  "Closed loop: N workers, each sends when its last answer ends.", number()),
             kind("closed")),
        with(flag("rate", "profile.rate", "r", "Open loop: requests per second on a schedule.",
                  number()),
             kind("constant")),
        toggle("poisson", "profile.kind", "Open loop with exponential gaps (a Poisson process).",
               QStringLiteral("poisson")),
        flag("ramp", "profile.ramp", "spec",
             "Ramp the load to TO over a duration, linearly or in STEPS steps: TO:OVER[:STEPS].",
             parts({QStringLiteral("to"), QStringLiteral("over"), QStringLiteral("steps")}, 2,
                   QStringLiteral("TO:OVER[:STEPS]"))),
        flag("spike", "profile.spike", "spec", "A spike: LOAD:AT:FOR (e.g. 50:20s:5s).",
             parts({QStringLiteral("load"), QStringLiteral("at"), QStringLiteral("for")}, 3,
                   QStringLiteral("LOAD:AT:FOR"))),
        flag("stress", "profile.stress", "spec",
             "Raise the load by STEP every STEP_DURATION up to MAX until an SLO breaks; report "
             "the knee: STEP:MAX:STEP_DURATION.",
             parts({QStringLiteral("step"), QStringLiteral("max"), QStringLiteral("step_duration")},
                   3, QStringLiteral("STEP:MAX:STEP_DURATION"))),
        flag("duration", "duration", "duration", "How long to offer load (e.g. 60s).", text()),
        flag("requests", "requests", "n", "How many requests to send.", number()),
        flag("warmup", "warmup", "duration", "Leading time excluded from the results.", text()),
        flag("rpm", "limits.rpm", "n", "Our limit: requests per minute.", number()),
        flag("tpm", "limits.tpm", "n",
             "Our limit: tokens per minute (prompt + max_tokens reserved).", number()),
        flag("max-concurrency", "limits.max_concurrency", "n", "Our cap on requests in flight.",
             number()),
        flag("adaptive", "limits.adaptive", "range", "Adaptive concurrency within MIN..MAX.",
             range(QStringLiteral("min"), QStringLiteral("max"))),
        flag("initial-concurrency", "limits.adaptive.initial", "n",
             "Where adaptive concurrency starts.", number()),
        toggle("follow-server", "limits.follow_server",
               "Also obey the target's rate-limit headers and Retry-After (traffic control), "
               "instead of measuring it as it is.",
               true),
        flag("retries", "limits.retries", "n",
             "Retries after the first attempt (default 0), within a budget of 10% of first "
             "attempts per minute.",
             number()),
        flag("timeout", "limits.timeout", "duration",
             "Per-request deadline over all attempts (default none; an attempt with no byte for "
             "60 s ends as a timeout).",
             text()),
        repeated(flag("slo", "slo", "spec",
                      "An SLO, repeatable: ttft:p95<500ms, e2e<2s, itl:p99<50ms, errors<1%.",
                      text())),
        repeated(flag("change", "changes", "spec",
                      "A change during the run, repeatable: AT:KNOB=VALUE (knobs: rate, "
                      "concurrency, rpm, tpm, max_concurrency).",
                      change())),
        flag("max-tokens", "max_tokens", "n", "max_tokens of each request (default 128).",
             number()),
        flag("prompt-tokens", "prompts.tokens", "n",
             "Generated prompts of about N tokens (default 32).", number()),
        flag("prompts", "prompts.file", "file", "Prompts from a JSONL file.", text()),
        toggle("no-stream", "stream", "Ask for whole answers instead of streams.", false),
        flag("key-env", "keys.env", "name",
             "Environment variable holding the API key (default OPENAI_API_KEY or "
             "ANTHROPIC_API_KEY).",
             text()),
        flag("keys-file", "keys.file", "file", "API keys, one per line, used in turn.", text()),
        toggle("http2", "http2", "Use HTTP/2 (h2c for http:// targets).", true),
        flag("client-threads", "client_threads", "n", "HTTP client threads (default 4).", number()),
        flag("seed", "seed", "n", "Seed of the random source (Poisson gaps, prompts).", number()),
        toggle("no-default-slo", "default_slo",
               "Do not judge the run by errors<1% when no error SLO is given.", false),
    });
    return table;
}

Result<BenchScenario> scenarioFromCommandLine(const QCommandLineParser& parser) {
    const auto isSet = [&parser](const char* name) { return parser.isSet(QLatin1String(name)); };
    BenchScenario s;
    s.profile.kind = LoadProfile::Kind::Closed;
    s.profile.load = 1;
    if (isSet("scenario")) {
        const QString path = parser.value(QStringLiteral("scenario"));
        auto json = readScenarioFile(path);
        if (!json) {
            return json.error();
        }
        if (auto applied = s.apply(*json, QFileInfo(path).absolutePath()); !applied) {
            return rendered(QStringLiteral("--scenario %1: %2").arg(path, applied.error().text()));
        }
    }
    // What the flags mean together, before their values are judged.
    if (isSet("target") && isSet("mock")) {
        return rendered(QStringLiteral("--mock and --target exclude each other: --mock runs the "
                                       "built-in mock and sends to it, --target sends to an API"));
    }
    if (isSet("concurrency") && isSet("rate")) {
        return rendered(QStringLiteral(
            "--concurrency (closed loop) and --rate (open loop) exclude each other"));
    }
    if (isSet("poisson") && !isSet("rate") && !s.profile.openLoop()) {
        return rendered(QStringLiteral("--poisson needs --rate"));
    }
    if (isSet("initial-concurrency") && !isSet("adaptive") && !s.adaptive) {
        return rendered(QStringLiteral("--initial-concurrency needs --adaptive"));
    }
    const FlagTable& table = scenarioFlags();
    for (const FlagSpec& f : table.flags()) {
        if (f.name.startsWith(QLatin1String("mock-")) && parser.isSet(f.name) && !isSet("mock") &&
            (!s.useMock || isSet("target"))) {
            return rendered(QStringLiteral("--mock-* options need --mock"));
        }
    }
    auto overlay = table.overlay(parser);
    if (!overlay) {
        return rendered(overlay.error().text());
    }
    if (auto applied = s.apply(*overlay); !applied) {
        const QString blamed = table.blame(applied.error(), parser);
        return rendered(blamed.isEmpty() ? applied.error().text() : blamed);
    }
    if (s.keys.isEmpty() && !s.useMock) {
        const QByteArray key =
            qgetenv(s.format == ApiFormat::Anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY");
        if (!key.isEmpty()) {
            s.keys = {key};
        }
    }
    if (!isSet("target") && !s.useMock && !s.target.isValid()) {
        // OPENAI_BASE_URL is the convention the SDKs follow.
        const QByteArray base = qgetenv("OPENAI_BASE_URL");
        if (!base.isEmpty() && s.format == ApiFormat::OpenAi) {
            s.target = QUrl(QString::fromUtf8(base));
        }
    }
    if (auto valid = s.validate(); !valid) {
        const QString blamed = table.blame(valid.error(), parser);
        return rendered(blamed.isEmpty() ? valid.error().text() : blamed);
    }
    return s;
}

} // namespace sluice::cli
