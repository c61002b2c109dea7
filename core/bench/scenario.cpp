#include "core/bench/scenario.h"

#include "core/goduration.h"
#include "core/jsonfields.h"

#include <QDir>
#include <QJsonArray>

#include <algorithm>
#include <cmath>

namespace sluice {

namespace {

const QStringList kKnobs = {QStringLiteral("rate"), QStringLiteral("concurrency"),
                            QStringLiteral("rpm"), QStringLiteral("tpm"),
                            QStringLiteral("max_concurrency")};

QString resolve(const QString& path, const QString& baseDir) {
    return baseDir.isEmpty() || QDir::isAbsolutePath(path) ? path : QDir(baseDir).filePath(path);
}

} // namespace

QStringList BenchScenario::maskedKeys() const {
    QStringList out;
    for (const QByteArray& key : keys) {
        out.append(maskKey(key));
    }
    return out;
}

QJsonObject BenchScenario::toJson() const {
    QJsonArray slo;
    for (const SloSpec& s : slos) {
        slo.append(s.text);
    }
    QJsonArray changeList;
    for (const ScheduledChange& c : changes) {
        changeList.append(QJsonObject{{QStringLiteral("at_s"), toSeconds(c.at)},
                                      {QStringLiteral("knob"), c.knob},
                                      {QStringLiteral("value"), c.value}});
    }
    QJsonObject o{
        {QStringLiteral("target"), useMock ? QStringLiteral("built-in mock") : target.toString()},
        {QStringLiteral("format"), QString::fromLatin1(formatName(format))},
        {QStringLiteral("model"), model},
        {QStringLiteral("stream"), stream},
        {QStringLiteral("max_tokens"), maxTokens},
        {QStringLiteral("keys"), QJsonArray::fromStringList(maskedKeys())},
        {QStringLiteral("prompts"), prompts.isEmpty()
                                        ? QStringLiteral("generated, %1 tokens").arg(promptTokens)
                                        : QStringLiteral("%1 from file").arg(prompts.size())},
        {QStringLiteral("profile"), profile.toJson()},
        {QStringLiteral("limits"),
         QJsonObject{{QStringLiteral("rpm"), static_cast<double>(rpm)},
                     {QStringLiteral("tpm"), static_cast<double>(tpm)},
                     {QStringLiteral("max_concurrency"), maxConcurrency},
                     {QStringLiteral("adaptive"), adaptive},
                     {QStringLiteral("retries"), retries},
                     {QStringLiteral("follow_server"), followServerLimits}}},
        {QStringLiteral("warmup_s"), toSeconds(warmup)},
        {QStringLiteral("duration_s"), toSeconds(duration)},
        {QStringLiteral("requests"), static_cast<double>(requests)},
        {QStringLiteral("seed"), static_cast<double>(seed)},
        {QStringLiteral("slo"), slo},
        {QStringLiteral("default_slo"), defaultSlo},
        {QStringLiteral("changes"), changeList},
    };
    if (adaptive) {
        QJsonObject limits = o.value(QStringLiteral("limits")).toObject();
        limits.insert(QStringLiteral("adaptive_range"), QStringLiteral("%1..%2 from %3")
                                                            .arg(adaptiveMin)
                                                            .arg(adaptiveMax)
                                                            .arg(adaptiveInitial));
        o.insert(QStringLiteral("limits"), limits);
    }
    if (useMock) {
        o.insert(QStringLiteral("mock"), mock.toJson());
    }
    if (limits) {
        o.insert(QStringLiteral("traffic"), limits->toJson());
    }
    if (!priorityMix.empty()) {
        QJsonArray mix;
        for (double share : priorityMix) {
            mix.append(share);
        }
        o.insert(QStringLiteral("priority_mix"), mix);
    }
    return o;
}

Result<void> BenchScenario::validate() const {
    const auto invalid = [](const char* field, QString message) {
        return Error::invalid(QLatin1String(field), std::move(message));
    };
    if (!useMock && !target.isValid()) {
        return invalid("target",
                       QStringLiteral("give a URL (--target) or use the built-in mock (--mock)"));
    }
    if (!useMock && target.scheme() != QLatin1String("http") &&
        target.scheme() != QLatin1String("https")) {
        return invalid("target",
                       QStringLiteral("'%1' is not an http(s) URL").arg(target.toString()));
    }
    if (duration.count() == 0 && requests == 0 && !profile.stress) {
        return invalid("duration", QStringLiteral("give a duration or a number of requests"));
    }
    if (!(profile.load > 0)) {
        return profile.openLoop()
                   ? invalid("profile.rate", QStringLiteral("must be above 0"))
                   : invalid("profile.concurrency", QStringLiteral("must be at least 1"));
    }
    if (!profile.openLoop() && profile.load != std::floor(profile.load)) {
        return invalid("profile.concurrency", QStringLiteral("must be a whole number"));
    }
    if (profile.stress && !(profile.stressStep > 0 && profile.stressMax >= profile.load)) {
        return invalid("profile.stress",
                       QStringLiteral("needs step > 0 and max >= the starting load"));
    }
    if (profile.stress && profile.stressStepFor.count() <= 0) {
        return invalid("profile.stress.step_duration", QStringLiteral("must be above 0"));
    }
    if (adaptive &&
        !(adaptiveMin >= 1 && adaptiveMin <= adaptiveInitial && adaptiveInitial <= adaptiveMax)) {
        return invalid("limits.adaptive", QStringLiteral("needs 1 <= min <= initial <= max"));
    }
    if (maxTokens < 1) {
        return invalid("max_tokens", QStringLiteral("must be at least 1"));
    }
    if (warmup >= duration && duration.count() > 0) {
        return invalid("warmup", QStringLiteral("must be shorter than the duration"));
    }
    for (const ScheduledChange& c : changes) {
        if (!kKnobs.contains(c.knob)) {
            return invalid("changes", QStringLiteral("unknown knob '%1' (known: %2)")
                                          .arg(c.knob, kKnobs.join(QStringLiteral(", "))));
        }
        if (c.value < 0 ||
            ((c.knob == QLatin1String("rate") || c.knob == QLatin1String("concurrency")) &&
             c.value <= 0)) {
            return invalid("changes",
                           QStringLiteral("%1 = %2 is out of range").arg(c.knob).arg(c.value));
        }
    }
    return {};
}

Result<void> BenchScenario::apply(const QJsonObject& json, const QString& baseDir) {
    BenchScenario s = *this;
    Error error;
    Fields f(json, {}, &error);
    f.only({QStringLiteral("title"),          QStringLiteral("target"),
            QStringLiteral("mock"),           QStringLiteral("format"),
            QStringLiteral("model"),          QStringLiteral("stream"),
            QStringLiteral("max_tokens"),     QStringLiteral("prompts"),
            QStringLiteral("keys"),           QStringLiteral("profile"),
            QStringLiteral("duration"),       QStringLiteral("requests"),
            QStringLiteral("warmup"),         QStringLiteral("seed"),
            QStringLiteral("limits"),         QStringLiteral("slo"),
            QStringLiteral("changes"),        QStringLiteral("http2"),
            QStringLiteral("client_threads"), QStringLiteral("traffic"),
            QStringLiteral("priority_mix"),   QStringLiteral("default_slo")});
    f.boolean(QStringLiteral("default_slo"), &s.defaultSlo);
    f.integer(QStringLiteral("client_threads"), &s.clientThreads, 0, 256);
    f.string(QStringLiteral("title"), &s.title);
    QString target;
    if (f.string(QStringLiteral("target"), &target) && f.has(QStringLiteral("target"))) {
        s.target = QUrl(target, QUrl::StrictMode);
        if (!s.target.isValid() || (s.target.scheme() != QLatin1String("http") &&
                                    s.target.scheme() != QLatin1String("https"))) {
            f.fail(QStringLiteral("target"),
                   QStringLiteral("'%1' is not an http(s) URL").arg(target));
        }
        s.useMock = false;
    }
    if (f.has(QStringLiteral("mock"))) {
        const QJsonValue mock = json.value(QStringLiteral("mock"));
        if (mock.isBool()) {
            s.useMock = mock.toBool();
        } else if (mock.isObject()) {
            s.useMock = true;
            if (auto applied = s.mock.apply(mock.toObject()); !applied) {
                f.fail(QStringLiteral("mock"), applied.error());
            }
        } else {
            f.fail(QStringLiteral("mock"),
                   QStringLiteral("must be true or an object of mock settings"));
        }
    }
    QString format;
    if (f.string(QStringLiteral("format"), &format) && f.has(QStringLiteral("format"))) {
        if (const auto fmt = parseFormat(format)) {
            s.format = *fmt;
        } else {
            f.fail(QStringLiteral("format"),
                   QStringLiteral("'%1' is not openai or anthropic").arg(format));
        }
    }
    f.string(QStringLiteral("model"), &s.model);
    f.boolean(QStringLiteral("stream"), &s.stream);
    f.boolean(QStringLiteral("http2"), &s.http2);
    f.integer(QStringLiteral("max_tokens"), &s.maxTokens, 1, 1e6);
    f.integer(QStringLiteral("requests"), &s.requests, 0, 1e9);
    f.integer(QStringLiteral("seed"), &s.seed, 0, 9e15);
    f.duration(QStringLiteral("duration"), &s.duration);
    f.duration(QStringLiteral("warmup"), &s.warmup);

    QJsonObject prompts;
    if (f.object(QStringLiteral("prompts"), &prompts)) {
        Fields p(prompts, QStringLiteral("prompts"), &error);
        p.only({QStringLiteral("file"), QStringLiteral("tokens")});
        p.integer(QStringLiteral("tokens"), &s.promptTokens, 1, 1e6);
        QString file;
        if (p.string(QStringLiteral("file"), &file) && !file.isEmpty()) {
            if (auto read = readPrompts(resolve(file, baseDir))) {
                s.prompts = std::move(read).value();
            } else {
                p.fail(QStringLiteral("file"), read.error().message);
            }
        }
    }
    QJsonObject keys;
    if (f.object(QStringLiteral("keys"), &keys)) {
        Fields k(keys, QStringLiteral("keys"), &error);
        k.only({QStringLiteral("env"), QStringLiteral("file")});
        QString env;
        QString file;
        if (k.string(QStringLiteral("env"), &env) && !env.isEmpty()) {
            const QByteArray value = qgetenv(env.toLocal8Bit().constData());
            if (value.isEmpty()) {
                k.fail(QStringLiteral("env"),
                       QStringLiteral("environment variable %1 is not set").arg(env));
            } else {
                s.keys = {value};
            }
        }
        if (k.string(QStringLiteral("file"), &file) && !file.isEmpty()) {
            if (auto read = readKeys(resolve(file, baseDir))) {
                s.keys = std::move(read).value();
            } else {
                k.fail(QStringLiteral("file"), read.error().message);
            }
        }
    }
    QJsonObject profile;
    if (f.object(QStringLiteral("profile"), &profile)) {
        Fields p(profile, QStringLiteral("profile"), &error);
        p.only({QStringLiteral("kind"), QStringLiteral("rate"), QStringLiteral("concurrency"),
                QStringLiteral("ramp"), QStringLiteral("spike"), QStringLiteral("stress")});
        QString kind = QString::fromLatin1(loadKindName(s.profile.kind));
        p.string(QStringLiteral("kind"), &kind);
        if (kind == QLatin1String("closed")) {
            s.profile.kind = LoadProfile::Kind::Closed;
            p.number(QStringLiteral("concurrency"), &s.profile.load, 1, 100000);
        } else if (kind == QLatin1String("constant") || kind == QLatin1String("poisson")) {
            s.profile.kind = kind == QLatin1String("constant") ? LoadProfile::Kind::Constant
                                                               : LoadProfile::Kind::Poisson;
            p.number(QStringLiteral("rate"), &s.profile.load, 1e-3, 1e6);
        } else {
            p.fail(QStringLiteral("kind"),
                   QStringLiteral("'%1' is not closed, constant or poisson").arg(kind));
        }
        QJsonObject ramp;
        if (p.object(QStringLiteral("ramp"), &ramp) && p.has(QStringLiteral("ramp"))) {
            Fields r(ramp, QStringLiteral("profile.ramp"), &error);
            r.only({QStringLiteral("to"), QStringLiteral("over"), QStringLiteral("steps")});
            double to = 0;
            r.number(QStringLiteral("to"), &to, 1e-3, 1e6);
            r.duration(QStringLiteral("over"), &s.profile.rampOver);
            r.integer(QStringLiteral("steps"), &s.profile.rampSteps, 0, 1000);
            if (!r.has(QStringLiteral("to")) || !r.has(QStringLiteral("over"))) {
                r.fail(QStringLiteral("to"), QStringLiteral("a ramp needs 'to' and 'over'"));
            }
            s.profile.rampTo = to;
        }
        QJsonObject spike;
        if (p.object(QStringLiteral("spike"), &spike) && p.has(QStringLiteral("spike"))) {
            Fields r(spike, QStringLiteral("profile.spike"), &error);
            r.only({QStringLiteral("load"), QStringLiteral("at"), QStringLiteral("for")});
            double load = 0;
            r.number(QStringLiteral("load"), &load, 1e-3, 1e6);
            r.duration(QStringLiteral("at"), &s.profile.spikeAt);
            r.duration(QStringLiteral("for"), &s.profile.spikeFor);
            if (!r.has(QStringLiteral("load")) || !r.has(QStringLiteral("for"))) {
                r.fail(QStringLiteral("load"),
                       QStringLiteral("a spike needs 'load', 'at' and 'for'"));
            }
            s.profile.spikeLoad = load;
        }
        QJsonObject stress;
        if (p.object(QStringLiteral("stress"), &stress) && p.has(QStringLiteral("stress"))) {
            Fields r(stress, QStringLiteral("profile.stress"), &error);
            r.only(
                {QStringLiteral("step"), QStringLiteral("max"), QStringLiteral("step_duration")});
            s.profile.stress = true;
            r.number(QStringLiteral("step"), &s.profile.stressStep, 1e-3, 1e6);
            r.number(QStringLiteral("max"), &s.profile.stressMax, 1e-3, 1e6);
            r.duration(QStringLiteral("step_duration"), &s.profile.stressStepFor,
                       std::chrono::hours(1));
        }
    }
    QJsonObject limits;
    if (f.object(QStringLiteral("limits"), &limits)) {
        Fields l(limits, QStringLiteral("limits"), &error);
        l.only({QStringLiteral("rpm"), QStringLiteral("tpm"), QStringLiteral("max_concurrency"),
                QStringLiteral("adaptive"), QStringLiteral("retries"), QStringLiteral("timeout"),
                QStringLiteral("follow_server")});
        l.boolean(QStringLiteral("follow_server"), &s.followServerLimits);
        l.integer(QStringLiteral("rpm"), &s.rpm, 0, 1e9);
        l.integer(QStringLiteral("tpm"), &s.tpm, 0, 1e12);
        l.integer(QStringLiteral("max_concurrency"), &s.maxConcurrency, 0, 100000);
        l.integer(QStringLiteral("retries"), &s.retries, 0, 10);
        l.duration(QStringLiteral("timeout"), &s.timeout);
        if (l.has(QStringLiteral("adaptive"))) {
            const QJsonValue a = limits.value(QStringLiteral("adaptive"));
            if (a.isBool()) {
                s.adaptive = a.toBool();
            } else if (a.isObject()) {
                s.adaptive = true;
                const QJsonObject ao = a.toObject();
                Fields r(ao, QStringLiteral("limits.adaptive"), &error);
                r.only({QStringLiteral("min"), QStringLiteral("max"), QStringLiteral("initial")});
                r.integer(QStringLiteral("min"), &s.adaptiveMin, 1, 100000);
                r.integer(QStringLiteral("max"), &s.adaptiveMax, 1, 100000);
                r.integer(QStringLiteral("initial"), &s.adaptiveInitial, 1, 100000);
                if (!r.has(QStringLiteral("initial"))) {
                    // Start inside the range given (10 unless the range excludes it).
                    s.adaptiveInitial = std::clamp(s.adaptiveInitial, s.adaptiveMin,
                                                   std::max(s.adaptiveMin, s.adaptiveMax));
                }
            } else {
                l.fail(QStringLiteral("adaptive"),
                       QStringLiteral("must be true/false or {\"min\", \"max\", \"initial\"}"));
            }
        }
    }
    QJsonObject traffic;
    if (f.object(QStringLiteral("traffic"), &traffic) && f.has(QStringLiteral("traffic"))) {
        TrafficLimits t = s.limits.value_or(TrafficLimits{});
        if (auto applied = t.apply(traffic); !applied) {
            // TrafficLimits names its fields "limits.*", as the console's settings do.
            f.fail(QStringLiteral("traffic"), applied.error().text());
        } else {
            s.limits = t;
        }
    }
    if (f.has(QStringLiteral("priority_mix"))) {
        const QJsonValue v = json.value(QStringLiteral("priority_mix"));
        const QJsonArray list = v.toArray();
        double total = 0;
        std::vector<double> mix;
        for (const QJsonValue& share : list) {
            mix.push_back(share.toDouble(-1));
            total += std::max(0.0, mix.back());
        }
        if (!v.isArray() || list.isEmpty() || list.size() > 10 ||
            std::any_of(mix.begin(), mix.end(), [](double x) { return !(x >= 0); }) ||
            !(total > 0)) {
            f.fail(QStringLiteral("priority_mix"),
                   QStringLiteral("must be a list of 1 to 10 shares >= 0, like [0.1, 0.8, 0.1] "
                                  "(index 0 = most urgent)"));
        } else {
            s.priorityMix = mix;
        }
    }
    if (f.has(QStringLiteral("slo"))) {
        const QJsonValue v = json.value(QStringLiteral("slo"));
        if (!v.isArray()) {
            f.fail(QStringLiteral("slo"),
                   QStringLiteral("must be a list like [\"ttft:p95<500ms\"]"));
        } else {
            s.slos.clear();
            const QJsonArray list = v.toArray();
            for (qsizetype i = 0; i < list.size(); ++i) {
                const auto spec = SloSpec::parse(list.at(i).toString());
                if (!spec) {
                    f.fail(QStringLiteral("slo[%1]").arg(i), spec.error().message);
                    break;
                }
                s.slos.push_back(*spec);
            }
        }
    }
    if (f.has(QStringLiteral("changes"))) {
        const QJsonValue v = json.value(QStringLiteral("changes"));
        if (!v.isArray()) {
            f.fail(QStringLiteral("changes"),
                   QStringLiteral("must be a list like [{\"at\": \"30s\", \"rate\": 50}]"));
        } else {
            s.changes.clear();
            const QJsonArray list = v.toArray();
            for (qsizetype i = 0; i < list.size(); ++i) {
                const QJsonObject c = list.at(i).toObject();
                Fields r(c, QStringLiteral("changes[%1]").arg(i), &error);
                ScheduledChange change;
                if (!r.has(QStringLiteral("at")) || c.size() != 2) {
                    r.fail(QStringLiteral("at"),
                           QStringLiteral("each change needs 'at' and exactly one knob (%1)")
                               .arg(kKnobs.join(QStringLiteral(", "))));
                    break;
                }
                r.duration(QStringLiteral("at"), &change.at);
                for (auto it = c.begin(); it != c.end(); ++it) {
                    if (it.key() != QLatin1String("at")) {
                        change.knob = it.key();
                        r.number(it.key(), &change.value, 0, 1e12);
                    }
                }
                s.changes.push_back(change);
            }
        }
    }
    if (!error.message.isEmpty()) {
        return error;
    }
    *this = std::move(s);
    return {};
}

EngineConfig engineConfigFor(const BenchScenario& s) {
    EngineConfig config;
    config.seed = s.seed;
    config.http2 = s.http2;
    config.managers = s.clientThreads > 0 ? s.clientThreads : config.managers;
    if (s.adaptive) {
        config.concurrency.algorithm = ConcurrencyConfig::Algorithm::Combined;
        config.concurrency.initial = s.adaptiveInitial;
        config.concurrency.min = s.adaptiveMin;
        config.concurrency.max = s.adaptiveMax;
    } else {
        // No cap unless asked: the load profile alone decides what is in flight.
        config.concurrency.algorithm = ConcurrencyConfig::Algorithm::Fixed;
        config.concurrency.initial = config.concurrency.max =
            s.maxConcurrency > 0 ? s.maxConcurrency : 100000;
    }
    config.queue.capacity = 100000;
    config.retry.maxAttempts = 1 + s.retries;
    // A benchmark measures the target as it is: no breaker failing requests on its behalf.
    config.breaker.enabled = false;
    config.followServerLimits = s.followServerLimits;
    if (s.limits) {
        s.limits->applyTo(config);
    } else if (s.rpm > 0 || s.tpm > 0) {
        config.budgets = rateBudgets(s.rpm, s.tpm);
    }
    return config;
}

} // namespace sluice
