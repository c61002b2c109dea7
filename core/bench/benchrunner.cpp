#include "core/bench/benchrunner.h"

#include "core/bench/benchsummary.h"
#include "core/bench/requestrow.h"
#include "core/net/requestmeasure.h"

#include <algorithm>
#include <cmath>

namespace sluice {

QStringList BenchRunner::seriesColumns() {
    return RunStats::seriesColumns();
}

BenchRunner::BenchRunner(BenchScenario scenario, QUrl target, const Clock* clock, QObject* parent)
    : QObject(parent)
    , m_scenario(std::move(scenario))
    , m_target(std::move(target))
    , m_ownClock(clock ? nullptr : std::make_unique<SteadyClock>())
    , m_clock(clock ? *clock : *m_ownClock)
    , m_schedule(m_scenario.profile.kind == LoadProfile::Kind::Poisson, m_scenario.seed)
    , m_priorityRng(m_scenario.seed ^ 0x9e3779b97f4a7c15ULL) {
    if (m_scenario.limits) {
        m_scenario.timeout = m_scenario.limits->requestTimeout;
    }
    if (m_scenario.profile.stress) {
        m_stress.emplace(m_scenario);
    }
    m_engine = std::make_unique<RequestEngine>(engineConfigFor(m_scenario), &m_clock);
    m_arrivalTimer.setSingleShot(true);
    m_arrivalTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_arrivalTimer, &QTimer::timeout, this, &BenchRunner::onArrivalTimer);
    connect(&m_arrivalWake, &PreciseWake::timeout, this, &BenchRunner::onArrivalTimer);
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

double BenchRunner::elapsedSeconds() const {
    return toSeconds(sinceStart());
}

void BenchRunner::addEvent(const QString& kind, const QString& text) {
    const BenchEvent event{m_state == State::Idle ? 0.0 : elapsedSeconds(), kind, text};
    m_events.push_back(event);
    Q_EMIT eventRecorded(event);
}

std::vector<SloSpec> BenchRunner::effectiveSlos() const {
    return m_stress ? m_stress->slos() : sluice::effectiveSlos(m_scenario, 0);
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
    m_tickTimer.start(std::max(1, realMs(m_clock, std::chrono::seconds(1))));
    for (const ScheduledChange& change : m_scenario.changes) {
        QTimer::singleShot(realMs(m_clock, change.at), Qt::PreciseTimer, this, [this, change] {
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

void BenchRunner::submitOne(Nanos intendedAt) {
    const BenchScenario& s = m_scenario;
    const std::int64_t index = m_stats.counts().submitted;
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
    if (m_stress) {
        pending.step = m_stress->sent(intendedAt);
    }
    m_stats.submitted();
    m_engine->submit(std::move(request),
                     [this, pending](const RequestRecord& r) { onFinished(r, pending); });
    m_stats.notePeakInFlight(m_engine->inFlight());
    const std::int64_t submitted = m_stats.counts().submitted;
    if (s.requests > 0 && submitted >= s.requests && m_state == State::Running) {
        beginDrain(QStringLiteral("%1 requests sent").arg(submitted));
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

void BenchRunner::stopArrivals() {
    m_arrivalTimer.stop();
    m_arrivalWake.stop();
}

void BenchRunner::armArrival() {
    if (m_state != State::Running || m_stressIdle || m_paused || !m_scenario.profile.openLoop()) {
        return;
    }
    const Nanos next = m_schedule.next();
    if (next == Nanos::max()) {
        stopArrivals();
        return;
    }
    if (m_clock.isWallSteady() && m_arrivalWake.available()) {
        // A timerfd at the arrival's own time: on time to the kernel's wake-up latency, and
        // idle in between, so every run gets it (the spin below keeps a core busy at high
        // rates, which only preciseArrivals allows).
        m_arrivalWake.startAt(next);
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
    const RequestMetrics m = measureRequest(r);
    RecordContext context;
    context.warmup = pending.warmup;
    context.openLoop = m_scenario.profile.openLoop();
    context.lateThreshold = m_lateThreshold;
    context.now = m_clock.now();
    const RecordedRequest counted = m_stats.record(r, m, context, effectiveSlos());
    if (m_stress) {
        m_stress->ended(pending.step, pending.intendedAt, counted.ok, counted.error, m);
    }
    if (m_sink) {
        m_sink(requestRow(r, m, pending.warmup, toSeconds(pending.intendedAt - m_start),
                          counted.good));
    }
    if (pending.worker) {
        --m_running;
        refillWorkers();
    }
    if (m_stressIdle) {
        stressEvaluatePending();
    }
    if (m_state == State::Draining) {
        armDrainLimit();
    }
    checkEnd();
}

// Closed loop: every worker without a request out sends the next one.
void BenchRunner::refillWorkers() {
    while (m_state == State::Running && !m_stressIdle && !m_paused && m_running < m_workers) {
        ++m_running;
        submitOne(m_clock.now());
    }
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
    const bool open = m_scenario.profile.openLoop();
    const double nan = SeriesRing::missing();
    const SecondTotals second =
        m_stats.closeSecond(snap, toSeconds(now - m_start), open && !m_stressIdle ? m_load : nan,
                            !open && !m_stressIdle ? static_cast<double>(m_workers) : nan, now);
    evaluateAlerts(snap, second, now);
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
    emitProgress(snap, now);
    checkEnd();
}

void BenchRunner::emitProgress(const EngineSnapshot& snap, Nanos now) {
    const BenchScenario& s = m_scenario;
    BenchProgress p;
    p.elapsed = toSeconds(now - m_start);
    if (s.duration.count() > 0 && !s.profile.stress) {
        p.fraction = std::min(1.0, p.elapsed / toSeconds(s.duration));
    } else if (s.requests > 0) {
        p.fraction = static_cast<double>(m_stats.counts().ended) / static_cast<double>(s.requests);
    }
    p.phase = m_state == State::Draining ? QStringLiteral("draining")
              : s.profile.stress         ? QStringLiteral("stress %1").arg(m_load)
              : !m_warmupDone            ? QStringLiteral("warm-up")
                                         : QStringLiteral("running");
    p.targetLoad = m_load;
    p.openLoop = s.profile.openLoop();
    p.inFlight = snap.inFlight;
    p.queued = snap.queued;
    p.limit = snap.limit;
    p.rateLimited = snap.rateLimited;
    m_stats.fillProgress(p);
    Q_EMIT progress(p);
}

void BenchRunner::evaluateAlerts(const EngineSnapshot& snap, const SecondTotals& second,
                                 Nanos now) {
    if (snap.breaker != m_breaker) {
        addEvent(QStringLiteral("breaker"),
                 QStringLiteral("circuit %1 -> %2")
                     .arg(QString::fromLatin1(breakerStateName(m_breaker)),
                          QString::fromLatin1(breakerStateName(snap.breaker))));
        m_breaker = snap.breaker;
    }
    for (const AlertEvent& e : m_alerts.evaluate(now - m_start, alertValues(snap, second))) {
        m_alertLog.append(alertRow(e));
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
    stopArrivals();
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
    m_drainTimer.start(std::max(1, realMs(m_clock, limit)));
}

void BenchRunner::finish() {
    if (m_state != State::Draining || m_engine->active() != 0) {
        return;
    }
    m_end = m_clock.now();
    m_drainTimer.stop();
    m_tickTimer.stop();
    stopArrivals();
    closeSecond(); // the last partial second
    m_state = State::Finished;
    Q_EMIT finished();
}

// ---- Stress ----

void BenchRunner::startStressStep(double load) {
    m_stress->beginStep(load, m_clock.now());
    m_stressIdle = false;
    applyLoad(load, true, QStringLiteral("stress"));
    QTimer::singleShot(realMs(m_clock, m_scenario.profile.stressStepFor), Qt::PreciseTimer, this,
                       &BenchRunner::onStressStepEnd);
}

void BenchRunner::onStressStepEnd() {
    if (m_state != State::Running) {
        return;
    }
    // Stop offering load and let this step's requests finish, so the next step starts clean.
    m_stressIdle = true;
    stopArrivals();
    m_workers = 0;
    stressEvaluatePending();
}

void BenchRunner::stressEvaluatePending() {
    if (!m_stressIdle || !m_stress || m_stress->steps().empty() || m_state != State::Running) {
        return;
    }
    const StressStep& step = m_stress->steps().back();
    // Wait for the step's requests, but no longer than one more step: what is still out then
    // counts at its age, a lower bound that already tells an overloaded target.
    const Nanos now = m_clock.now();
    const bool force = now - step.end >= m_scenario.profile.stressStepFor;
    if (!m_stress->evaluate(now, force)) {
        return;
    }
    addEvent(QStringLiteral("stress"),
             QStringLiteral("%1 at %2: %3")
                 .arg(step.met ? QStringLiteral("met") : QStringLiteral("broke"))
                 .arg(step.load)
                 .arg(step.detail));
    if (force) {
        m_engine->cancelAll();
    }
    stressAdvance();
}

void BenchRunner::stressAdvance() {
    if (const std::optional<double> next = m_stress->advance()) {
        startStressStep(*next);
        return;
    }
    const std::optional<double> knee = m_stress->knee();
    m_stressIdle = false;
    addEvent(QStringLiteral("stress"),
             knee ? QStringLiteral("knee: %1 %2%3")
                        .arg(*knee)
                        .arg(m_scenario.profile.openLoop() ? QStringLiteral("rps")
                                                           : QStringLiteral("concurrent"))
                        .arg(m_stress->kneeReached()
                                 ? QString()
                                 : QStringLiteral(" (the maximum tried; not reached)"))
                  : QStringLiteral("no load met the SLOs"));
    beginDrain(QStringLiteral("stress done"));
}

// ---- Results ----

const LatencyHistogram* BenchRunner::histogram(const QString& metric) const {
    return m_stats.histogram(metric);
}

bool BenchRunner::passed() const {
    const QJsonObject s = summary();
    return s.value(QStringLiteral("verdict")).toObject().value(QStringLiteral("passed")).toBool();
}

QJsonObject BenchRunner::summary() const {
    const Nanos now = m_clock.now();
    return benchSummary(SummaryInput{.scenario = m_scenario,
                                     .stats = m_stats,
                                     .stress = m_stress ? &*m_stress : nullptr,
                                     .slos = effectiveSlos(),
                                     .start = m_start,
                                     .measureStart = m_measureStart,
                                     .end = m_end.count() ? m_end : now,
                                     .offerEnd = m_offerEnd,
                                     .now = now,
                                     .endReason = m_endReason,
                                     .interrupted = m_interrupted,
                                     .rateLimited = m_engine->snapshot().rateLimited,
                                     .alerts = m_alertLog,
                                     .events = m_events});
}

} // namespace sluice
