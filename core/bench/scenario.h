#pragma once

#include "core/bench/loadprofile.h"
#include "core/bench/slospec.h"
#include "core/bench/trafficlimits.h"
#include "core/net/llmformat.h"
#include "core/result.h"
#include "core/server/mock/mockconfig.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <optional>
#include <vector>

namespace sluice {

/// A scripted change during the run: at `at`, set `knob` (rate, concurrency, rpm, tpm,
/// max_concurrency) to `value`.
struct ScheduledChange {
    Nanos at{0};
    QString knob;
    double value = 0;
};

/// Everything a benchmark run needs. Built from a JSON scenario file, command-line flags, or
/// both (flags override the file).
struct BenchScenario {
    // Target.
    QUrl target; ///< base URL (…/v1 or host root) or a full endpoint; empty with useMock
    bool useMock = false;
    MockConfig mock; ///< the built-in mock's settings, when useMock
    ApiFormat format = ApiFormat::OpenAi;
    QString model = QStringLiteral("mock-1");
    QList<QByteArray> keys; ///< never printed: see maskedKeys()
    bool stream = true;
    int maxTokens = 128;

    // Prompts: from a JSONL file, else generated with `promptTokens` tokens each.
    QList<QList<ChatMessage>> prompts;
    int promptTokens = 32;

    // Load and bounds.
    LoadProfile profile;
    Nanos duration{0};         ///< 0 = until `requests` were sent
    std::int64_t requests = 0; ///< 0 = until `duration`
    Nanos warmup{0};
    std::uint64_t seed = 1;

    // Limits through the engine.
    std::int64_t rpm = 0, tpm = 0;
    int maxConcurrency = 0; ///< open loop: cap on requests in flight (0 = none)
    bool adaptive = false;
    int adaptiveMin = 1, adaptiveMax = 1000, adaptiveInitial = 10;
    int retries = 0;  ///< attempts after the first
    Nanos timeout{0}; ///< per request, over all attempts; 0 = none
    bool http2 = false;
    /// HTTP client threads (one QNetworkAccessManager each); 0 = the engine's default (4). More
    /// threads measured no better at 4,000 streams on 2 cores: each costs its own wake-ups.
    int clientThreads = 0;
    /// Also follow the target's rate-limit headers and Retry-After (as traffic control does).
    /// Off by default: a benchmark measures what the target does under the offered load.
    bool followServerLimits = false;

    /// Traffic control instead of the benchmark's engine settings (the console runs this way):
    /// when set, the engine's rate limits, concurrency, queue, retries and breaker come from it.
    std::optional<TrafficLimits> limits;
    /// Share of requests per priority (index 0 = most urgent), e.g. {0.1, 0.8, 0.1}; empty =
    /// every request at priority 1.
    std::vector<double> priorityMix;

    /// Open loop on the steady clock under Linux: a timerfd wakes the runner at each arrival
    /// (PreciseWake: within a fraction of a millisecond, no busy thread), whatever this says.
    /// Elsewhere, true lets the event loop spin through the last millisecond before each arrival
    /// (on time to microseconds, a busy thread at high rates); false leaves arrivals on the
    /// millisecond timer (up to ~1 ms late, still measured), as the console asks.
    bool preciseArrivals = true;

    std::vector<SloSpec> slos;
    /// Judge every run by "errors<1%" unless an error SLO is given ("default_slo": false, or
    /// --no-default-slo, turns it off): a run with many failures must not pass by default.
    bool defaultSlo = true;
    std::vector<ScheduledChange> changes;
    QString title;

    QStringList maskedKeys() const;
    /// The scenario as the report shows it (keys masked, no prompts).
    QJsonObject toJson() const;
    /// Cross-field checks; the error names the field ("duration", "profile.rate").
    Result<void> validate() const;

    /// Applies a scenario JSON object on top of this one. On error names the field (field
    /// "profile.rate", message "must be a number in [0.001, 1e+06]") and leaves this scenario
    /// unchanged. Relative paths (prompts.file, keys.file) resolve against `baseDir`. The
    /// command line's flags are such an object too (app/scenarioflags.h): one validator.
    Result<void> apply(const QJsonObject& json, const QString& baseDir = {});
    /// Reads prompts from JSONL: one per line, either {"messages": [...]}, {"prompt": "..."} or
    /// a JSON string. Errors name the file and the line.
    static Result<QList<QList<ChatMessage>>> readPrompts(const QString& path);
    /// Reads API keys, one per line ('#' comments and blank lines skipped). Errors name the file.
    static Result<QList<QByteArray>> readKeys(const QString& path);
    /// A prompt of about `tokens` tokens under the documented tokenizer, varied by `index`.
    static QList<ChatMessage> generatedPrompt(int tokens, std::uint64_t index);
};

/// The engine settings a benchmark of `scenario` starts with: its concurrency cap (none unless
/// asked) or adaptive bounds, retries, rpm/tpm budgets, or its traffic-control limits when set.
EngineConfig engineConfigFor(const BenchScenario& scenario);

} // namespace sluice
