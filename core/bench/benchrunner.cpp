#include "core/bench/benchrunner.h"

#include <QDateTime>

#include <algorithm>
#include <cmath>

namespace sluice {

namespace {

const QStringList kMetrics = {
    QStringLiteral("ttft"),  QStringLiteral("ttfb"),        QStringLiteral("ttst"),
    QStringLiteral("itl"),   QStringLiteral("tpot_decode"), QStringLiteral("tpot_overall"),
    QStringLiteral("e2e"),   QStringLiteral("corrected"),   QStringLiteral("service"),
    QStringLiteral("queue"), QStringLiteral("transit"),     QStringLiteral("ttft_error")};

// What each metric means, written into every summary so a report explains itself.
QJsonObject definitions() {
    return {
        {QStringLiteral("ttfb"), QStringLiteral("request sent -> response headers")},
        {QStringLiteral("ttft"), QStringLiteral("request sent -> first event with non-empty "
                                                "content or a reasoning delta (a role-only chunk "
                                                "is not a token)")},
        {QStringLiteral("ttst"), QStringLiteral("request sent -> second such event")},
        {QStringLiteral("itl"), QStringLiteral("gap between consecutive content events, pooled "
                                               "over all requests")},
        {QStringLiteral("tpot_decode"), QStringLiteral("(E2E - TTFT) / (output tokens - 1)")},
        {QStringLiteral("tpot_overall"), QStringLiteral("E2E / output tokens")},
        {QStringLiteral("e2e"), QStringLiteral("request sent -> last byte of the answer")},
        {QStringLiteral("corrected"), QStringLiteral("intended send time -> end: latency "
                                                     "corrected for coordinated omission")},
        {QStringLiteral("service"), QStringLiteral("first attempt handed to the network -> end")},
        {QStringLiteral("queue"), QStringLiteral("intended send time -> first attempt handed to "
                                                 "the network (client-side queueing)")},
        {QStringLiteral("transit"),
         QStringLiteral("per chunk: seen by us minus written by the "
                        "server (its own stamp; the built-in mock only)")},
        {QStringLiteral("ttft_error"), QStringLiteral("our TTFT minus the server's own (its "
                                                      "arrival to its first write; the built-in "
                                                      "mock only)")},
        {QStringLiteral("output_tokens"), QStringLiteral("the server's usage; counted locally "
                                                         "(and flagged) when usage is absent")},
        {QStringLiteral("goodput"), QStringLiteral("requests per second that succeeded and met "
                                                   "every SLO given")},
    };
}

double ms(Nanos d) {
    return toMillis(d);
}

// A metric of one request in ms, NaN when it does not apply.
double metricValue(const RequestMetrics& m, const QString& metric) {
    auto opt = [](const std::optional<Nanos>& v) {
        return v ? ms(*v) : std::numeric_limits<double>::quiet_NaN();
    };
    if (metric == QLatin1String("ttft")) {
        return opt(m.ttft);
    }
    if (metric == QLatin1String("ttfb")) {
        return opt(m.ttfb);
    }
    if (metric == QLatin1String("ttst")) {
        return opt(m.ttst);
    }
    if (metric == QLatin1String("tpot") || metric == QLatin1String("tpot_decode")) {
        return opt(m.tpotDecode);
    }
    if (metric == QLatin1String("tpot_overall")) {
        return opt(m.tpotOverall);
    }
    if (metric == QLatin1String("e2e")) {
        return opt(m.e2e);
    }
    if (metric == QLatin1String("corrected")) {
        return opt(m.correctedLatency);
    }
    if (metric == QLatin1String("service")) {
        return opt(m.serviceTime);
    }
    if (metric == QLatin1String("queue")) {
        return ms(m.queueTime);
    }
    if (metric == QLatin1String("itl")) {
        if (m.itl.empty()) {
            return std::numeric_limits<double>::quiet_NaN();
        }
        return ms(*std::max_element(m.itl.begin(), m.itl.end()));
    }
    return std::numeric_limits<double>::quiet_NaN();
}

// Nearest-rank percentile of a small vector (exact).
double percentileOf(std::vector<double> values, double p) {
    if (values.empty()) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    const auto rank = static_cast<std::size_t>(
        std::max(1.0, std::ceil(p / 100.0 * static_cast<double>(values.size()))));
    const auto nth =
        values.begin() + static_cast<std::ptrdiff_t>(std::min(rank, values.size()) - 1);
    std::nth_element(values.begin(), nth, values.end());
    return *nth;
}

QJsonObject histogramJson(const LatencyHistogram& h) {
    QJsonObject o{{QStringLiteral("count"), static_cast<double>(h.count())}};
    if (h.count() == 0) {
        return o;
    }
    auto v = [](std::int64_t ns) { return std::round(static_cast<double>(ns) / 1e3) / 1e3; };
    o.insert(QStringLiteral("mean"), std::round(h.mean() / 1e3) / 1e3);
    o.insert(QStringLiteral("min"), v(h.min()));
    o.insert(QStringLiteral("p50"), v(h.percentile(50)));
    o.insert(QStringLiteral("p90"), v(h.percentile(90)));
    o.insert(QStringLiteral("p95"), v(h.percentile(95)));
    o.insert(QStringLiteral("p99"), v(h.percentile(99)));
    o.insert(QStringLiteral("p99_9"), v(h.percentile(99.9)));
    o.insert(QStringLiteral("max"), v(h.max()));
    o.insert(QStringLiteral("histogram"), QString::fromStdString(h.serialize()));
    return o;
}

} // namespace

QStringList BenchRunner::seriesColumns() {
    return {QStringLiteral("sent_rps"),
            QStringLiteral("ok_rps"),
            QStringLiteral("error_rps"),
            QStringLiteral("rate_limited_rps"),
            QStringLiteral("in_flight"),
            QStringLiteral("limit"),
            QStringLiteral("queued"),
            QStringLiteral("target_rate"),
            QStringLiteral("target_concurrency"),
            QStringLiteral("ttft_p50_ms"),
            QStringLiteral("ttft_p99_ms"),
            QStringLiteral("e2e_p50_ms"),
            QStringLiteral("e2e_p95_ms"),
            QStringLiteral("e2e_p99_ms"),
            QStringLiteral("corrected_p99_ms"),
            QStringLiteral("itl_p50_ms"),
            QStringLiteral("output_tokens_per_s"),
            QStringLiteral("late_starts"),
            QStringLiteral("fail_network"),
            QStringLiteral("fail_timeout"),
            QStringLiteral("fail_http_4xx"),
            QStringLiteral("fail_http_5xx"),
            QStringLiteral("fail_provider"),
            QStringLiteral("fail_malformed"),
            QStringLiteral("fail_local")};
}

BenchRunner::BenchRunner(BenchScenario scenario, QUrl target, const Clock* clock, QObject* parent)
    : QObject(parent)
    , m_scenario(std::move(scenario))
    , m_target(std::move(target))
    , m_ownClock(clock ? nullptr : std::make_unique<SteadyClock>())
    , m_clock(clock ? *clock : *m_ownClock)
    , m_schedule(m_scenario.profile.kind == LoadProfile::Kind::Poisson, m_scenario.seed)
    , m_priorityRng(m_scenario.seed ^ 0x9e3779b97f4a7c15ULL)
    , m_series(seriesColumns()) {
    if (m_scenario.limits) {
        m_scenario.timeout = m_scenario.limits->requestTimeout;
    }
    const BenchScenario& s = m_scenario;
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
        BudgetLimits limits;
        if (s.rpm > 0) {
            limits.requests.push_back(RateLevel{s.rpm, std::chrono::minutes(1), 0});
        }
        if (s.tpm > 0) {
            limits.tokens.push_back(RateLevel{s.tpm, std::chrono::minutes(1), 0});
        }
        config.budgets = {BudgetRule{"*", "*", limits}};
    }
    m_engine = std::make_unique<RequestEngine>(config, &m_clock);
    for (const QString& metric : kMetrics) {
        m_hist.emplace(metric, LatencyHistogram());
    }
    m_arrivalTimer.setSingleShot(true);
    m_arrivalTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_arrivalTimer, &QTimer::timeout, this, &BenchRunner::onArrivalTimer);
    m_tickTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_tickTimer, &QTimer::timeout, this, &BenchRunner::tick);
    m_drainTimer.setSingleShot(true);
    connect(&m_drainTimer, &QTimer::timeout, this, [this] {
        addEvent(QStringLiteral("end"), QStringLiteral("drain limit reached: cancelling %1 "
                                                       "requests still out")
                                            .arg(m_engine->active()));
        m_engine->cancelAll();
        checkEnd();
    });
}

BenchRunner::~BenchRunner() {
    // Completions during the engine's destruction must not reach a half-destroyed runner.
    m_state = State::Finished;
    m_sink = nullptr;
    m_engine.reset();
}

int BenchRunner::realMs(Nanos d) const {
    const double real = static_cast<double>(d.count()) / 1e6 / m_clock.speed();
    return static_cast<int>(std::clamp(real, 0.0, 2e9));
}

double BenchRunner::elapsedSeconds() const {
    return toSeconds(sinceStart());
}

void BenchRunner::addEvent(const QString& kind, const QString& text) {
    const BenchEvent event{m_state == State::Idle ? 0.0 : elapsedSeconds(), kind, text};
    m_events.push_back(event);
    Q_EMIT eventRecorded(event);
}

std::vector<SloSpec> BenchRunner::effectiveSlos() const {
    if (!m_scenario.slos.empty() || !m_scenario.profile.stress) {
        std::vector<SloSpec> slos = m_scenario.slos;
        const bool hasErrorSlo =
            std::any_of(slos.begin(), slos.end(), [](const SloSpec& s) { return s.isErrorRate(); });
        if (m_scenario.defaultSlo && !hasErrorSlo) {
            SloSpec errors;
            errors.text = QStringLiteral("errors<1%");
            errors.metric = QStringLiteral("errors");
            errors.threshold = 0.01;
            errors.isDefault = true;
            slos.push_back(errors);
        }
        return slos;
    }
    // Stress with no SLO given: under 1% errors, and corrected p99 within 3x the first step's p50.
    std::vector<SloSpec> slos;
    SloSpec errors;
    errors.text = QStringLiteral("errors<1%");
    errors.metric = QStringLiteral("errors");
    errors.threshold = 0.01;
    slos.push_back(errors);
    if (m_baselineP50 > 0) {
        SloSpec latency;
        latency.metric = QStringLiteral("corrected");
        latency.percentile = 99;
        latency.threshold = 3 * m_baselineP50;
        latency.text = QStringLiteral("corrected:p99<%1ms").arg(std::round(latency.threshold));
        slos.push_back(latency);
    }
    return slos;
}

void BenchRunner::start() {
    if (m_state != State::Idle) {
        return;
    }
    m_state = State::Running;
    m_start = m_clock.now();
    m_measureStart = m_start + m_scenario.warmup;
    m_warmupDone = m_scenario.warmup.count() == 0;
    addEvent(QStringLiteral("start"), m_scenario.profile.describe());
    m_tickTimer.start(std::max(1, realMs(std::chrono::seconds(1))));
    for (const ScheduledChange& change : m_scenario.changes) {
        QTimer::singleShot(realMs(change.at), Qt::PreciseTimer, this, [this, change] {
            if (m_state != State::Running) {
                return;
            }
            if (change.knob == QLatin1String("rate") ||
                change.knob == QLatin1String("concurrency")) {
                setLoad(change.value);
            } else if (change.knob == QLatin1String("rpm")) {
                setRateLimits(static_cast<std::int64_t>(change.value), m_scenario.tpm);
            } else if (change.knob == QLatin1String("tpm")) {
                setRateLimits(m_scenario.rpm, static_cast<std::int64_t>(change.value));
            } else if (change.knob == QLatin1String("max_concurrency")) {
                setMaxConcurrency(static_cast<int>(change.value));
            }
        });
    }
    if (m_scenario.profile.stress) {
        startStressStep(m_scenario.profile.load);
        return;
    }
    applyLoad(m_scenario.profile.loadAt(Nanos{0}), false, {});
    if (m_scenario.profile.openLoop()) {
        m_schedule.start(m_start);
        onArrivalTimer();
    }
}

void BenchRunner::interrupt(const QString& why) {
    m_interrupted = true;
    stop(why);
}

void BenchRunner::stop(const QString& why) {
    if (m_state == State::Running) {
        beginDrain(why.isEmpty() ? QStringLiteral("stopped") : why);
    } else if (m_state == State::Draining) {
        m_engine->cancelAll();
    }
}

void BenchRunner::setLoad(double load) {
    if (m_state != State::Running || !(load > 0)) {
        return;
    }
    m_loadOverridden = true;
    applyLoad(load, true,
              m_scenario.profile.openLoop() ? QStringLiteral("rate")
                                            : QStringLiteral("concurrency"));
}

void BenchRunner::applyLoad(double load, bool record, const QString& kind) {
    const double before = m_load;
    m_load = load;
    const Nanos now = m_clock.now();
    if (m_scenario.profile.openLoop()) {
        if (m_state == State::Running && !m_stressIdle) {
            m_schedule.changeRate(load, now);
            armArrival();
        }
    } else {
        m_workers = static_cast<int>(std::lround(load));
        while (m_state == State::Running && !m_stressIdle && !m_paused && m_running < m_workers) {
            ++m_running;
            submitOne(now);
            if (m_state != State::Running) {
                break;
            }
        }
    }
    if (record) {
        const QString unit =
            m_scenario.profile.openLoop() ? QStringLiteral(" rps") : QStringLiteral(" concurrent");
        addEvent(kind, before > 0 ? QStringLiteral("%1 -> %2%3").arg(before).arg(load).arg(unit)
                                  : QStringLiteral("%1%2").arg(load).arg(unit));
    }
}

void BenchRunner::setRateLimits(std::int64_t rpm, std::int64_t tpm) {
    m_scenario.rpm = rpm;
    m_scenario.tpm = tpm;
    BudgetLimits limits;
    if (rpm > 0) {
        limits.requests.push_back(RateLevel{rpm, std::chrono::minutes(1), 0});
    }
    if (tpm > 0) {
        limits.tokens.push_back(RateLevel{tpm, std::chrono::minutes(1), 0});
    }
    m_engine->setBudgets({BudgetRule{"*", "*", limits}});
    addEvent(QStringLiteral("limits"),
             QStringLiteral("rpm %1, tpm %2")
                 .arg(rpm > 0 ? QString::number(rpm) : QStringLiteral("off"),
                      tpm > 0 ? QString::number(tpm) : QStringLiteral("off")));
}

void BenchRunner::setMaxConcurrency(int limit) {
    ConcurrencyConfig c = m_engine->config().concurrency;
    c.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    c.initial = c.max = limit > 0 ? limit : 100000;
    c.min = std::min(c.min, c.initial);
    m_scenario.maxConcurrency = limit;
    m_scenario.adaptive = false;
    m_engine->setConcurrency(c);
    addEvent(QStringLiteral("limits"), limit > 0 ? QStringLiteral("max concurrency %1").arg(limit)
                                                 : QStringLiteral("max concurrency off"));
}

void BenchRunner::applyLimits(const TrafficLimits& limits) {
    const TrafficLimits before = m_scenario.limits.value_or(TrafficLimits{});
    const QStringList changes = limits.changesFrom(before);
    m_scenario.limits = limits;
    m_scenario.rpm = limits.rpm;
    m_scenario.tpm = limits.tpm;
    m_scenario.maxConcurrency = limits.maxConcurrency;
    m_scenario.adaptive = limits.adaptive();
    m_scenario.retries = limits.retries;
    m_scenario.timeout = limits.requestTimeout;
    m_scenario.followServerLimits = limits.followServerLimits;
    const EngineConfig& now = m_engine->config();
    if (before.concurrency().algorithm != limits.concurrency().algorithm ||
        before.maxConcurrency != limits.maxConcurrency ||
        before.adaptiveMin != limits.adaptiveMin || !before.adaptive() != !limits.adaptive()) {
        ConcurrencyConfig c = limits.concurrency();
        if (limits.adaptive() && before.adaptive() == limits.adaptive()) {
            // Bounds changed on a running adaptive limit: carry on from where it is.
            c.initial = std::clamp(m_engine->limit(), c.min, c.max);
            c.slowStart = false;
        }
        m_engine->setConcurrency(c);
    }
    m_engine->setBudgets(limits.budgets());
    m_engine->setFollowServerLimits(limits.followServerLimits);
    m_engine->setRetry(limits.retry());
    m_engine->setBreaker(limits.breaker());
    QueueConfig q = limits.queue();
    q.maxAge = now.queue.maxAge;
    q.laneWeights = now.queue.laneWeights;
    m_engine->setQueue(q);
    if (!changes.isEmpty()) {
        addEvent(QStringLiteral("limits"), changes.join(QStringLiteral(", ")));
    }
}

void BenchRunner::setPaused(bool paused) {
    if (paused == m_paused || m_state != State::Running) {
        return;
    }
    m_paused = paused;
    addEvent(QStringLiteral("pause"),
             paused ? QStringLiteral("paused") : QStringLiteral("resumed"));
    if (paused) {
        m_arrivalTimer.stop();
        return;
    }
    if (m_scenario.profile.openLoop()) {
        // Resume at the current rate from now: no burst catching up on the paused time.
        m_schedule.start(m_clock.now());
        armArrival();
    } else {
        applyLoad(m_load, false, {});
    }
}

void BenchRunner::submitOne(Nanos intendedAt) {
    const BenchScenario& s = m_scenario;
    const std::int64_t index = m_submitted++;
    const QList<ChatMessage> prompt =
        s.prompts.isEmpty() ? BenchScenario::generatedPrompt(s.promptTokens, index)
                            : s.prompts.at(static_cast<qsizetype>(index % s.prompts.size()));
    const QByteArray key = s.keys.isEmpty()
                               ? QByteArrayLiteral("sk-sluice-bench")
                               : s.keys.at(static_cast<qsizetype>(index % s.keys.size()));
    EngineRequest request =
        chatRequest(s.format, m_target, key, s.model, prompt, s.maxTokens, s.stream);
    request.intendedAt = intendedAt;
    request.timeout = s.timeout;
    if (!s.priorityMix.empty()) {
        std::discrete_distribution<int> pick(s.priorityMix.begin(), s.priorityMix.end());
        request.priority = pick(m_priorityRng);
    }
    Pending pending;
    pending.intendedAt = intendedAt;
    pending.warmup = intendedAt < m_measureStart;
    pending.worker = !s.profile.openLoop();
    if (s.profile.stress && !m_steps.empty()) {
        pending.step = static_cast<int>(m_steps.size()) - 1;
        StressStep& step = m_steps.back();
        ++step.sent;
        step.outstanding.insert(intendedAt);
    }
    ++m_second.submitted;
    m_engine->submit(std::move(request),
                     [this, pending](const RequestRecord& r) { onFinished(r, pending); });
    m_peakInFlight = std::max(m_peakInFlight, m_engine->inFlight());
    if (s.requests > 0 && m_submitted >= s.requests && m_state == State::Running) {
        beginDrain(QStringLiteral("%1 requests sent").arg(m_submitted));
    }
}

void BenchRunner::onArrivalTimer() {
    if (m_state != State::Running || m_stressIdle || m_paused || !m_scenario.profile.openLoop()) {
        return;
    }
    const Nanos now = m_clock.now();
    // Everything due goes now, each with its own intended time; a bounded batch so a far-behind
    // schedule (a stalled process) cannot starve the event loop.
    for (int i = 0; i < 1000 && m_state == State::Running && m_schedule.next() <= now; ++i) {
        const Nanos intended = m_schedule.next();
        if (m_scenario.duration.count() > 0 && !m_scenario.profile.stress &&
            intended - m_start >= m_scenario.duration) {
            break; // the run is [0, duration): the arrival at its end belongs to no one
        }
        const double rate = m_loadOverridden || m_scenario.profile.stress
                                ? m_load
                                : m_scenario.profile.loadAt(intended - m_start);
        if (!m_loadOverridden && !m_scenario.profile.stress) {
            m_load = rate;
        }
        m_schedule.advance(rate);
        submitOne(intended);
    }
    m_engine->dispatchNow();
    if (m_scenario.duration.count() > 0 && m_state == State::Running &&
        !m_scenario.profile.stress && now - m_start >= m_scenario.duration) {
        beginDrain(QStringLiteral("duration reached"));
    }
    armArrival();
}

void BenchRunner::armArrival() {
    if (m_state != State::Running || m_stressIdle || m_paused || !m_scenario.profile.openLoop()) {
        return;
    }
    const Nanos next = m_schedule.next();
    if (next == Nanos::max()) {
        m_arrivalTimer.stop();
        return;
    }
    // Qt timers have millisecond resolution: sleep the whole milliseconds, then let the event
    // loop spin (a 0 ms timer, other events still served) through the last fraction, so a
    // request leaves within microseconds of its intended time instead of up to 1 ms late.
    const double remaining =
        static_cast<double>((next - m_clock.now()).count()) / 1e6 / m_clock.speed();
    if (!m_scenario.preciseArrivals) {
        m_arrivalTimer.start(std::max(0, static_cast<int>(std::ceil(remaining))));
        return;
    }
    m_arrivalTimer.start(remaining >= 1.0 ? static_cast<int>(remaining) : 0);
}

void BenchRunner::onFinished(const RequestRecord& r, const Pending& pending) {
    if (m_state == State::Finished || m_state == State::Idle) {
        return;
    }
    ++m_endedCount;
    const RequestMetrics m = measureRequest(r);
    switch (r.state) {
    case RequestState::Done:
        ++m_done;
        break;
    case RequestState::Failed:
        ++m_failed;
        break;
    case RequestState::Rejected:
        ++m_rejected;
        ++m_dropped;
        ++m_second.rejected;
        break;
    case RequestState::TimedOut:
        ++m_timedOut;
        m_dropped += r.attempts == 0 ? 1 : 0;
        break;
    default:
        ++m_cancelled;
        break;
    }
    m_retries += std::max(0, r.attempts - 1);
    const bool ok = r.state == RequestState::Done;
    const bool error = !ok && r.state != RequestState::Cancelled;
    if (!ok) {
        m_failures.add(r.failure, r.reason);
        if (error) {
            ++m_second.failureGroups[r.failure.group()];
        }
    }
    // Late: the schedule itself handed the request over late (the client could not keep up).
    // Held: handed over on time, then our own limits (rate, concurrency) kept it back.
    const bool open = m_scenario.profile.openLoop();
    const bool late = open && r.submittedAt - m.intendedAt > m_lateThreshold;
    const bool held = open && r.attempts > 0 && r.firstSentAt - r.submittedAt > m_lateThreshold;
    m_lateStarts += late ? 1 : 0;
    m_heldByLimits += held ? 1 : 0;
    m_second.late += late ? 1 : 0;
    m_second.ok += ok ? 1 : 0;
    m_second.errors += error ? 1 : 0;

    const std::vector<SloSpec> slos = effectiveSlos();
    bool good = ok;
    if (!pending.warmup) {
        ++m_measured;
        auto rec = [this](const QString& metric, std::optional<Nanos> v) {
            if (v) {
                m_hist.at(metric).record(v->count());
            }
        };
        rec(QStringLiteral("ttfb"), m.ttfb);
        rec(QStringLiteral("ttft"), m.ttft);
        rec(QStringLiteral("ttst"), m.ttst);
        rec(QStringLiteral("tpot_decode"), m.tpotDecode);
        rec(QStringLiteral("tpot_overall"), m.tpotOverall);
        rec(QStringLiteral("e2e"), m.e2e);
        rec(QStringLiteral("corrected"), m.correctedLatency);
        rec(QStringLiteral("service"), m.serviceTime);
        rec(QStringLiteral("queue"), m.queueTime);
        rec(QStringLiteral("ttft_error"), m.ttftError);
        LatencyHistogram& transit = m_hist.at(QStringLiteral("transit"));
        for (const Nanos t : m.transit) {
            transit.record(t.count());
        }
        LatencyHistogram& itl = m_hist.at(QStringLiteral("itl"));
        for (const Nanos gap : m.itl) {
            itl.record(gap.count());
        }
        if (ok) {
            m_outputTokens += m.outputTokens;
            m_promptTokens += m.promptTokens;
            m_tokensEstimated += m.tokensEstimated ? 1 : 0;
        }
        for (const SloSpec& slo : slos) {
            if (!slo.isErrorRate()) {
                const double v = metricValue(m, slo.metric);
                good = good && !(v >= slo.threshold);
            }
        }
        m_good += good ? 1 : 0;
    } else {
        ++m_warmupCount;
    }
    if (ok) {
        m_second.outputTokens += m.outputTokens;
        const Nanos now = m_clock.now();
        if (m.ttft) {
            m_second.ttft.push_back(ms(*m.ttft));
            m_recentTtft.emplace_back(now, ms(*m.ttft));
        }
        if (m.e2e) {
            m_second.e2e.push_back(ms(*m.e2e));
            m_recentE2e.emplace_back(now, ms(*m.e2e));
        }
        for (const Nanos gap : m.itl) {
            m_second.itl.push_back(ms(gap));
        }
    }
    if (m.correctedLatency && r.attempts > 0) {
        m_second.corrected.push_back(ms(*m.correctedLatency));
    }

    if (pending.step >= 0 && pending.step < static_cast<int>(m_steps.size())) {
        StressStep& step = m_steps[static_cast<std::size_t>(pending.step)];
        if (const auto it = step.outstanding.find(pending.intendedAt);
            it != step.outstanding.end()) {
            step.outstanding.erase(it);
        }
        if (!step.evaluated) {
            step.ok += ok ? 1 : 0;
            step.errors += error ? 1 : 0;
            QStringList metrics{QStringLiteral("corrected")};
            for (const SloSpec& slo : m_scenario.slos) {
                metrics.append(slo.metric);
            }
            for (const QString& metric : metrics) {
                const double v = metricValue(m, metric);
                if (!std::isnan(v)) {
                    step.values[metric].push_back(v);
                }
            }
        }
    }

    if (m_sink) {
        QJsonObject row{{QStringLiteral("id"), static_cast<double>(r.id)},
                        {QStringLiteral("state"), QString::fromLatin1(stateName(r.state))},
                        {QStringLiteral("outcome"), QString::fromLatin1(outcomeName(r.outcome))},
                        {QStringLiteral("status"), r.status},
                        {QStringLiteral("attempts"), r.attempts},
                        {QStringLiteral("warmup"), pending.warmup},
                        {QStringLiteral("intended_s"), toSeconds(pending.intendedAt - m_start)},
                        {QStringLiteral("queue_ms"), ms(m.queueTime)},
                        {QStringLiteral("prompt_tokens"), static_cast<double>(m.promptTokens)},
                        {QStringLiteral("output_tokens"), static_cast<double>(m.outputTokens)},
                        {QStringLiteral("tokens_estimated"), m.tokensEstimated},
                        {QStringLiteral("chunks"), r.chunks},
                        {QStringLiteral("slo_met"), good}};
        auto put = [&row](const char* name, std::optional<Nanos> v) {
            if (v) {
                row.insert(QLatin1String(name), ms(*v));
            }
        };
        put("ttfb_ms", m.ttfb);
        put("ttft_ms", m.ttft);
        put("ttst_ms", m.ttst);
        put("e2e_ms", m.e2e);
        put("tpot_decode_ms", m.tpotDecode);
        put("tpot_overall_ms", m.tpotOverall);
        put("service_ms", m.serviceTime);
        put("corrected_ms", m.correctedLatency);
        if (!m.itl.empty()) {
            Nanos sum{0};
            for (const Nanos gap : m.itl) {
                sum += gap;
            }
            row.insert(QStringLiteral("itl_mean_ms"), ms(sum) / static_cast<double>(m.itl.size()));
            row.insert(QStringLiteral("itl_max_ms"),
                       ms(*std::max_element(m.itl.begin(), m.itl.end())));
        }
        if (!r.reason.isEmpty()) {
            row.insert(QStringLiteral("reason"), r.reason);
        }
        if (r.failure.kind != FailureKind::None) {
            row.insert(QStringLiteral("failure"), r.failure.key());
        }
        m_sink(row);
    }

    if (pending.worker) {
        --m_running;
        while (m_state == State::Running && !m_stressIdle && !m_paused && m_running < m_workers) {
            ++m_running;
            submitOne(m_clock.now());
        }
    }
    if (m_stressIdle) {
        stressEvaluatePending();
    }
    if (m_state == State::Draining) {
        armDrainLimit();
    }
    checkEnd();
}

void BenchRunner::tick() {
    if (m_state == State::Idle || m_state == State::Finished) {
        return;
    }
    closeSecond();
}

void BenchRunner::closeSecond() {
    const Nanos now = m_clock.now();
    const EngineSnapshot snap = m_engine->snapshot();
    m_peakInFlight = std::max(m_peakInFlight, snap.inFlight);
    double t = std::floor(toSeconds(now - m_start) + 1e-6);
    if (m_series.size() > 0 && t <= m_series.time(m_series.size() - 1)) {
        t = m_series.time(m_series.size() - 1) + 1; // the last, partial second
    }
    const bool open = m_scenario.profile.openLoop();
    const double nan = SeriesRing::missing();
    std::vector<double> row{
        static_cast<double>(snap.attempts - m_lastAttempts),
        static_cast<double>(m_second.ok),
        static_cast<double>(m_second.errors),
        static_cast<double>(snap.rateLimited - m_lastRateLimited),
        static_cast<double>(snap.inFlight),
        snap.limit >= 100000 ? nan : static_cast<double>(snap.limit),
        static_cast<double>(snap.queued),
        open && !m_stressIdle ? m_load : nan,
        !open && !m_stressIdle ? static_cast<double>(m_workers) : nan,
        percentileOf(m_second.ttft, 50),
        percentileOf(m_second.ttft, 99),
        percentileOf(m_second.e2e, 50),
        percentileOf(m_second.e2e, 95),
        percentileOf(m_second.e2e, 99),
        percentileOf(m_second.corrected, 99),
        percentileOf(m_second.itl, 50),
        static_cast<double>(m_second.outputTokens),
        static_cast<double>(m_second.late),
    };
    for (const char* group :
         {"network", "timeout", "http_4xx", "http_5xx", "provider", "malformed", "local"}) {
        const auto it = m_second.failureGroups.find(QLatin1String(group));
        row.push_back(it == m_second.failureGroups.end() ? 0.0 : static_cast<double>(it->second));
    }
    m_series.append(t, std::move(row));
    evaluateAlerts(snap, now);
    m_lastAttempts = snap.attempts;
    m_lastRateLimited = snap.rateLimited;
    m_second = Second{};

    while (!m_recentE2e.empty() && m_recentE2e.front().first < now - std::chrono::seconds(10)) {
        m_recentE2e.pop_front();
    }
    while (!m_recentTtft.empty() && m_recentTtft.front().first < now - std::chrono::seconds(10)) {
        m_recentTtft.pop_front();
    }
    if (!m_warmupDone && now >= m_measureStart) {
        m_warmupDone = true;
        addEvent(QStringLiteral("warmup"), QStringLiteral("warm-up over: measuring"));
    }
    if (m_state == State::Running) {
        applyProfileLoad();
    }
    if (m_stressIdle) {
        stressEvaluatePending();
    }

    BenchProgress p;
    p.elapsed = toSeconds(now - m_start);
    const BenchScenario& s = m_scenario;
    if (s.duration.count() > 0 && !s.profile.stress) {
        p.fraction = std::min(1.0, p.elapsed / toSeconds(s.duration));
    } else if (s.requests > 0) {
        p.fraction = static_cast<double>(m_endedCount) / static_cast<double>(s.requests);
    }
    p.phase = m_state == State::Draining ? QStringLiteral("draining")
              : s.profile.stress         ? QStringLiteral("stress %1").arg(m_load)
              : !m_warmupDone            ? QStringLiteral("warm-up")
                                         : QStringLiteral("running");
    p.targetLoad = m_load;
    p.openLoop = open;
    p.sentPerSecond = m_series.value(m_series.size() - 1, 0);
    p.okPerSecond = m_series.value(m_series.size() - 1, 1);
    p.outputTokensPerSecond =
        m_series.value(m_series.size() - 1, m_series.column(QStringLiteral("output_tokens_per_s")));
    p.inFlight = snap.inFlight;
    p.queued = snap.queued;
    p.limit = snap.limit;
    p.submitted = m_submitted;
    p.ok = m_done;
    p.errors = m_failed + m_rejected + m_timedOut;
    p.rateLimited = snap.rateLimited;
    if (!m_failures.isEmpty()) {
        for (const FailureTally::Entry& e : m_failures.sorted()) {
            if (e.reason.isFailure()) {
                p.topFailure = e.reason.label();
                break;
            }
        }
    }
    p.lateStarts = m_lateStarts;
    std::vector<double> e2e, ttft;
    for (const auto& [at, v] : m_recentE2e) {
        e2e.push_back(v);
    }
    for (const auto& [at, v] : m_recentTtft) {
        ttft.push_back(v);
    }
    p.e2eP50 = percentileOf(e2e, 50);
    p.e2eP95 = percentileOf(e2e, 95);
    p.e2eP99 = percentileOf(e2e, 99);
    p.ttftP50 = percentileOf(ttft, 50);
    p.ttftP99 = percentileOf(ttft, 99);
    Q_EMIT progress(p);
    checkEnd();
}

void BenchRunner::evaluateAlerts(const EngineSnapshot& snap, Nanos now) {
    const double submittedNow = static_cast<double>(m_second.submitted);
    std::map<QString, double> alertValues{{QStringLiteral("queued"), snap.queued}};
    if (snap.limit > 0 && snap.limit < 100000) {
        alertValues.emplace(QStringLiteral("concurrency_ratio"),
                            static_cast<double>(snap.inFlight) / snap.limit);
    }
    if (submittedNow > 0) {
        alertValues.emplace(QStringLiteral("reject_ratio"),
                            static_cast<double>(m_second.rejected) / submittedNow);
    }
    const double ended = static_cast<double>(m_second.ok + m_second.errors);
    if (ended > 0) {
        alertValues.emplace(QStringLiteral("error_ratio"),
                            static_cast<double>(m_second.errors) / ended);
    }
    const double attempts = static_cast<double>(snap.attempts - m_lastAttempts);
    if (attempts > 0) {
        alertValues.emplace(QStringLiteral("rate_limited_ratio"),
                            static_cast<double>(snap.rateLimited - m_lastRateLimited) / attempts);
    }
    alertValues.emplace(QStringLiteral("breaker_open"),
                        snap.breaker == CircuitBreaker::State::Open ? 1.0 : 0.0);
    if (snap.breaker != m_breaker) {
        addEvent(QStringLiteral("breaker"),
                 QStringLiteral("circuit %1 -> %2")
                     .arg(QString::fromLatin1(breakerStateName(m_breaker)),
                          QString::fromLatin1(breakerStateName(snap.breaker))));
        m_breaker = snap.breaker;
    }
    for (const AlertEvent& e : m_alerts.evaluate(now - m_start, alertValues)) {
        m_alertLog.append(
            QJsonObject{{QStringLiteral("t"), toSeconds(e.at)},
                        {QStringLiteral("rule"), e.rule},
                        {QStringLiteral("severity"), QString::fromLatin1(severityName(e.severity))},
                        {QStringLiteral("state"),
                         e.raised ? QStringLiteral("raised") : QStringLiteral("cleared")},
                        {QStringLiteral("value"), e.value},
                        {QStringLiteral("text"), e.text}});
        addEvent(QStringLiteral("alert"),
                 QStringLiteral("%1 %2: %3")
                     .arg(e.rule, e.raised ? QStringLiteral("raised") : QStringLiteral("cleared"),
                          e.text));
        Q_EMIT alertChanged(e);
    }
}

void BenchRunner::applyProfileLoad() {
    const LoadProfile& profile = m_scenario.profile;
    if (m_loadOverridden || profile.stress) {
        return;
    }
    const Nanos t = sinceStart();
    const bool spike =
        profile.spikeLoad && t >= profile.spikeAt && t < profile.spikeAt + profile.spikeFor;
    if (spike != m_spikeOn) {
        m_spikeOn = spike;
        addEvent(QStringLiteral("spike"),
                 spike ? QStringLiteral("spike to %1").arg(*profile.spikeLoad)
                       : QStringLiteral("spike over"));
    }
    const double load = profile.loadAt(t);
    if (profile.openLoop()) {
        if (load != m_load) {
            // The schedule picks the new rate at its next arrival; a parked or slow schedule
            // (a spike from a low rate) is re-placed at once.
            const bool stepChange = std::abs(load - m_load) > 0.25 * std::max(load, m_load);
            m_load = load;
            if (stepChange) {
                m_schedule.changeRate(load, m_clock.now());
                armArrival();
            }
        }
    } else if (static_cast<int>(std::lround(load)) != m_workers) {
        applyLoad(load, false, {});
    }
}

void BenchRunner::checkEnd() {
    if (m_state == State::Running && !m_scenario.profile.stress) {
        const Nanos t = sinceStart();
        if (m_scenario.duration.count() > 0 && t >= m_scenario.duration) {
            beginDrain(QStringLiteral("duration reached"));
        }
    }
    if (m_state == State::Running && m_scenario.profile.stress && m_scenario.duration.count() > 0 &&
        sinceStart() >= m_scenario.duration) {
        beginDrain(QStringLiteral("duration reached during stress"));
    }
    if (m_state == State::Draining && m_engine->active() == 0) {
        QMetaObject::invokeMethod(this, &BenchRunner::finish, Qt::QueuedConnection);
    }
}

void BenchRunner::beginDrain(const QString& why) {
    if (m_state != State::Running) {
        return;
    }
    m_state = State::Draining;
    m_endReason = why;
    m_offerEnd = m_clock.now();
    m_arrivalTimer.stop();
    m_workers = 0;
    addEvent(QStringLiteral("end"), why);
    armDrainLimit();
    checkEnd();
}

void BenchRunner::armDrainLimit() {
    // What was sent goes on to its end (a batch handed over at once drains for minutes), as long
    // as something still ends: only a run with no progress for this long is cut short.
    // Longer than an attempt may stay silent, so a target that never answers ends its requests
    // as timeouts ("timeout before headers"), not as cancelled by the drain.
    const Nanos limit =
        (m_scenario.timeout.count() > 0 ? m_scenario.timeout : m_engine->config().transferTimeout) +
        std::chrono::seconds(5);
    m_drainTimer.start(std::max(1, realMs(limit)));
}

void BenchRunner::finish() {
    if (m_state != State::Draining || m_engine->active() != 0) {
        return;
    }
    m_end = m_clock.now();
    m_drainTimer.stop();
    m_tickTimer.stop();
    m_arrivalTimer.stop();
    closeSecond(); // the last partial second
    m_state = State::Finished;
    Q_EMIT finished();
}

// ---- Stress ----

void BenchRunner::startStressStep(double load) {
    StressStep step;
    step.load = load;
    step.start = m_clock.now();
    step.end = step.start + m_scenario.profile.stressStepFor;
    m_steps.push_back(std::move(step));
    m_stressIdle = false;
    applyLoad(load, true, QStringLiteral("stress"));
    QTimer::singleShot(realMs(m_scenario.profile.stressStepFor), Qt::PreciseTimer, this,
                       &BenchRunner::onStressStepEnd);
}

void BenchRunner::onStressStepEnd() {
    if (m_state != State::Running) {
        return;
    }
    // Stop offering load and let this step's requests finish, so the next step starts clean.
    m_stressIdle = true;
    m_arrivalTimer.stop();
    m_workers = 0;
    stressEvaluatePending();
}

void BenchRunner::stressEvaluatePending() {
    if (!m_stressIdle || m_steps.empty() || m_state != State::Running) {
        return;
    }
    StressStep& step = m_steps.back();
    if (step.evaluated) {
        return;
    }
    // Wait for the step's requests, but no longer than one more step: what is still out then
    // counts at its age, a lower bound that already tells an overloaded target.
    const bool force = m_clock.now() - step.end >= m_scenario.profile.stressStepFor;
    if (!evaluateStressStep(step, force)) {
        return;
    }
    if (force) {
        m_engine->cancelAll();
    }
    stressAdvance();
}

bool BenchRunner::evaluateStressStep(StressStep& step, bool force) {
    if (!step.outstanding.empty() && !force) {
        return false;
    }
    const Nanos now = m_clock.now();
    if (m_steps.size() == 1 && m_scenario.slos.empty()) {
        m_baselineP50 = percentileOf(step.values[QStringLiteral("corrected")], 50);
    }
    step.evaluated = true;
    step.met = true;
    QStringList detail;
    const double finished = static_cast<double>(step.ok + step.errors);
    const double outstanding = static_cast<double>(step.outstanding.size());
    for (const SloSpec& slo : effectiveSlos()) {
        double observed = 0;
        if (slo.isErrorRate()) {
            const double total = finished + outstanding;
            observed = total > 0 ? (static_cast<double>(step.errors) + outstanding) / total : 0;
            detail.append(QStringLiteral("errors %1%").arg(observed * 100, 0, 'f', 1));
        } else {
            std::vector<double> values = step.values[slo.metric];
            for (const Nanos intended : step.outstanding) {
                values.push_back(ms(now - intended)); // still out: at least this old
            }
            observed = percentileOf(values, slo.percentile);
            detail.append(QStringLiteral("%1 p%2 %3 ms")
                              .arg(slo.metric)
                              .arg(slo.percentile)
                              .arg(observed, 0, 'f', 1));
        }
        if (std::isnan(observed) || observed >= slo.threshold) {
            step.met = false;
        }
    }
    if (finished + outstanding == 0) {
        step.met = false;
        detail.append(QStringLiteral("no requests"));
    }
    step.detail = detail.join(QStringLiteral("; "));
    addEvent(QStringLiteral("stress"),
             QStringLiteral("%1 at %2: %3")
                 .arg(step.met ? QStringLiteral("met") : QStringLiteral("broke"))
                 .arg(step.load)
                 .arg(step.detail));
    return true;
}

void BenchRunner::stressAdvance() {
    const LoadProfile& profile = m_scenario.profile;
    const StressStep& last = m_steps.back();
    if (last.met) {
        m_pass = std::max(m_pass.value_or(0), last.load);
    } else {
        m_fail = std::min(m_fail.value_or(last.load), last.load);
    }
    std::optional<double> next;
    if (!m_fail) {
        const double up = last.load + profile.stressStep;
        if (up <= profile.stressMax + 1e-9) {
            next = up;
        }
    } else if (m_pass && *m_fail - *m_pass > profile.stressStep / 4 + 1e-9) {
        next = (*m_pass + *m_fail) / 2; // bisect between the last pass and the first failure
        if (!profile.openLoop()) {
            next = std::round(*next);
            if (*next <= *m_pass || *next >= *m_fail) {
                next.reset();
            }
        }
    }
    if (next) {
        startStressStep(*next);
        return;
    }
    m_knee = m_pass;
    m_stressIdle = false;
    addEvent(
        QStringLiteral("stress"),
        m_knee ? QStringLiteral("knee: %1 %2%3")
                     .arg(*m_knee)
                     .arg(profile.openLoop() ? QStringLiteral("rps") : QStringLiteral("concurrent"))
                     .arg(m_fail ? QString() : QStringLiteral(" (the maximum tried; not reached)"))
               : QStringLiteral("no load met the SLOs"));
    beginDrain(QStringLiteral("stress done"));
}

// ---- Results ----

const LatencyHistogram* BenchRunner::histogram(const QString& metric) const {
    const auto it = m_hist.find(metric);
    return it == m_hist.end() ? nullptr : &it->second;
}

bool BenchRunner::passed() const {
    const QJsonObject s = summary();
    return s.value(QStringLiteral("verdict")).toObject().value(QStringLiteral("passed")).toBool();
}

QJsonObject BenchRunner::summary() const {
    const Nanos end = m_end.count() ? m_end : m_clock.now();
    const double measuredSeconds =
        std::max(1e-9, toSeconds(end - std::min(end, std::max(m_start, m_measureStart))));
    QJsonObject latency;
    for (const auto& [metric, h] : m_hist) {
        latency.insert(metric, histogramJson(h));
    }
    const std::int64_t errors = m_failed + m_rejected + m_timedOut;
    QJsonArray slo;
    QStringList failed;
    for (const SloSpec& spec : effectiveSlos()) {
        double observed = 0;
        if (spec.isErrorRate()) {
            observed = m_measured > 0 ? static_cast<double>(errors) / m_measured : 0;
        } else {
            const LatencyHistogram& h = m_hist.at(
                spec.metric == QLatin1String("tpot") ? QStringLiteral("tpot_decode") : spec.metric);
            observed = h.count() ? static_cast<double>(h.percentile(spec.percentile)) / 1e6
                                 : std::numeric_limits<double>::quiet_NaN();
        }
        const bool met = !std::isnan(observed) && observed < spec.threshold;
        // A stress run breaks its SLOs on purpose past the knee: they judge each step, and the
        // verdict is whether a knee was found.
        if (!met && !m_scenario.profile.stress) {
            failed.append(spec.text);
        }
        QJsonObject o{{QStringLiteral("spec"), spec.text},
                      {QStringLiteral("default"), spec.isDefault},
                      {QStringLiteral("metric"), spec.metric},
                      {QStringLiteral("threshold"),
                       spec.isErrorRate() ? spec.threshold * 100 : spec.threshold},
                      {QStringLiteral("unit"),
                       spec.isErrorRate() ? QStringLiteral("%") : QStringLiteral("ms")},
                      {QStringLiteral("met"), met}};
        if (!spec.isErrorRate()) {
            o.insert(QStringLiteral("percentile"), spec.percentile);
        }
        if (m_scenario.profile.stress) {
            o.insert(QStringLiteral("scope"), QStringLiteral("whole run, all steps together; each "
                                                             "stress step is judged on its own"));
        }
        o.insert(QStringLiteral("observed"),
                 std::isnan(observed) ? QJsonValue()
                                      : QJsonValue(spec.isErrorRate() ? observed * 100 : observed));
        slo.append(o);
    }
    if (m_done == 0 && m_submitted > 0) {
        failed.append(QStringLiteral("no request succeeded"));
    }
    if (m_interrupted) {
        failed.prepend(QStringLiteral("interrupted"));
    }
    QJsonArray byReason;
    QJsonObject byGroup;
    std::int64_t failureTotal = 0;
    for (const FailureTally::Entry& e : m_failures.sorted()) {
        QJsonObject row{{QStringLiteral("reason"), e.reason.key()},
                        {QStringLiteral("label"), e.reason.label()},
                        {QStringLiteral("group"), e.reason.group()},
                        {QStringLiteral("count"), static_cast<double>(e.count)},
                        {QStringLiteral("example"), e.example}};
        if (e.reason.status > 0) {
            row.insert(QStringLiteral("status"), e.reason.status);
        }
        if (!e.reason.type.isEmpty()) {
            row.insert(QStringLiteral("type"), e.reason.type);
        }
        byReason.append(row);
        byGroup.insert(e.reason.group(),
                       byGroup.value(e.reason.group()).toDouble() + static_cast<double>(e.count));
        failureTotal += e.reason.isFailure() ? e.count : 0;
    }
    QJsonObject summary{
        {QStringLiteral("sluice_report"), 1},
        {QStringLiteral("title"),
         m_scenario.title.isEmpty() ? m_scenario.profile.describe() : m_scenario.title},
        {QStringLiteral("started_at"),
         QDateTime::currentDateTimeUtc()
             .addMSecs(-static_cast<qint64>(toMillis(m_clock.now() - m_start)))
             .toString(Qt::ISODate)},
        {QStringLiteral("duration_s"), toSeconds(end - m_start)},
        {QStringLiteral("offered_s"), toSeconds((m_offerEnd.count() ? m_offerEnd : end) - m_start)},
        {QStringLiteral("end_reason"), m_endReason},
        {QStringLiteral("config"), m_scenario.toJson()},
        {QStringLiteral("counts"),
         QJsonObject{{QStringLiteral("submitted"), static_cast<double>(m_submitted)},
                     {QStringLiteral("done"), static_cast<double>(m_done)},
                     {QStringLiteral("failed"), static_cast<double>(m_failed)},
                     {QStringLiteral("rejected"), static_cast<double>(m_rejected)},
                     {QStringLiteral("timed_out"), static_cast<double>(m_timedOut)},
                     {QStringLiteral("cancelled"), static_cast<double>(m_cancelled)},
                     {QStringLiteral("retries"), static_cast<double>(m_retries)},
                     {QStringLiteral("rate_limited"),
                      static_cast<double>(m_engine->snapshot().rateLimited)},
                     {QStringLiteral("late_starts"), static_cast<double>(m_lateStarts)},
                     {QStringLiteral("held_by_limits"), static_cast<double>(m_heldByLimits)},
                     {QStringLiteral("dropped"), static_cast<double>(m_dropped)},
                     {QStringLiteral("measured"), static_cast<double>(m_measured)},
                     {QStringLiteral("warmup"), static_cast<double>(m_warmupCount)}}},
        {QStringLiteral("throughput"),
         QJsonObject{
             {QStringLiteral("requests_per_s"), m_measured / measuredSeconds},
             {QStringLiteral("ok_per_s"),
              static_cast<double>(m_done - std::min(m_done, m_warmupCount)) / measuredSeconds},
             {QStringLiteral("goodput_per_s"), m_good / measuredSeconds},
             {QStringLiteral("output_tokens_per_s"), m_outputTokens / measuredSeconds},
             {QStringLiteral("output_tokens"), static_cast<double>(m_outputTokens)},
             {QStringLiteral("prompt_tokens"), static_cast<double>(m_promptTokens)},
             {QStringLiteral("tokens_estimated"), static_cast<double>(m_tokensEstimated)},
             {QStringLiteral("peak_concurrency"), m_peakInFlight}}},
        {QStringLiteral("latency_ms"), latency},
        {QStringLiteral("definitions"), definitions()},
        {QStringLiteral("slo"), slo},
        {QStringLiteral("failures"),
         QJsonObject{{QStringLiteral("total"), static_cast<double>(failureTotal)},
                     {QStringLiteral("by_reason"), byReason},
                     {QStringLiteral("by_group"), byGroup}}},
        {QStringLiteral("alerts"), m_alertLog},
    };
    QJsonArray events;
    for (const BenchEvent& e : m_events) {
        events.append(QJsonObject{{QStringLiteral("t"), e.t},
                                  {QStringLiteral("kind"), e.kind},
                                  {QStringLiteral("text"), e.text}});
    }
    summary.insert(QStringLiteral("events"), events);
    if (m_scenario.profile.stress) {
        QJsonArray steps;
        for (const StressStep& step : m_steps) {
            const double seconds = toSeconds(step.end - step.start);
            steps.append(
                QJsonObject{{QStringLiteral("load"), step.load},
                            {QStringLiteral("achieved_rps"), seconds > 0 ? step.sent / seconds : 0},
                            {QStringLiteral("met"), step.met},
                            {QStringLiteral("detail"), step.detail}});
        }
        summary.insert(
            QStringLiteral("stress"),
            QJsonObject{{QStringLiteral("unit"), m_scenario.profile.openLoop()
                                                     ? QStringLiteral("rps")
                                                     : QStringLiteral("concurrent")},
                        {QStringLiteral("knee"), m_knee ? QJsonValue(*m_knee) : QJsonValue()},
                        {QStringLiteral("steps"), steps}});
        if (!m_knee) {
            failed.append(QStringLiteral("no stress step met the SLOs"));
        }
    }
    // One word for the whole run: passed, failed (an SLO, or nothing succeeded), interrupted,
    // or for stress: knee (found) / no_knee.
    QString outcome = failed.isEmpty() ? QStringLiteral("passed") : QStringLiteral("failed");
    if (m_interrupted) {
        outcome = QStringLiteral("interrupted");
    } else if (m_scenario.profile.stress && failed.isEmpty()) {
        outcome = QStringLiteral("knee");
    } else if (m_scenario.profile.stress && !m_knee) {
        outcome = QStringLiteral("no_knee");
    }
    summary.insert(QStringLiteral("verdict"),
                   QJsonObject{{QStringLiteral("passed"), failed.isEmpty()},
                               {QStringLiteral("outcome"), outcome},
                               {QStringLiteral("interrupted"), m_interrupted},
                               {QStringLiteral("failed"), QJsonArray::fromStringList(failed)}});
    return summary;
}

} // namespace sluice
