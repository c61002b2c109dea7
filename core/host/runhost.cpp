#include "core/host/runhost.h"

#include "core/bench/benchrunner.h"
#include "core/bench/report/reportfiles.h"

namespace sluice {

namespace {

/// Re-emits `signal` of `sender` (a worker-thread object) as the host's `mine`, in the host's
/// thread: the value is copied in the worker thread, then handed off (handOffTo).
template <typename Sender, typename Arg>
void reemit(RunHost* host, Sender* sender, void (Sender::*signal)(Arg),
            void (RunHost::*mine)(Arg)) {
    QObject::connect(sender, signal, sender, [host, mine](Arg value) {
        handOffTo(host, [host, mine, copy = std::decay_t<Arg>(value)] { (host->*mine)(copy); });
    });
}

} // namespace

RunHost::RunHost(QObject* parent)
    : QObject(parent)
    , m_worker(QStringLiteral("sluice-engine")) {
    qRegisterMetaType<sluice::EngineSnapshot>();
    qRegisterMetaType<sluice::RequestUpdate>();
    qRegisterMetaType<QList<sluice::RequestUpdate>>();
    qRegisterMetaType<sluice::BenchProgress>();
    qRegisterMetaType<sluice::BenchEvent>();
    qRegisterMetaType<sluice::AlertEvent>();
    qRegisterMetaType<sluice::SeriesData>();
}

RunHost::~RunHost() = default; // m_worker deletes the runner in its thread, then joins

template <typename F> void RunHost::withRunner(F&& f) {
    m_worker.post([this, f = std::forward<F>(f)] {
        if (m_runner) {
            f(*m_runner);
        }
    });
}

Result<void> RunHost::start(const BenchScenario& scenario, const QUrl& target) {
    if (m_running) {
        return Error{Error::Kind::Invalid, {}, QStringLiteral("a run is already going")};
    }
    if (auto valid = scenario.validate(); !valid) {
        return valid;
    }
    m_running = true;
    m_worker.post([this, scenario, target] {
        auto* runner = new BenchRunner(scenario, target, nullptr, m_worker.context());
        m_runner = runner;
        RequestEngine* engine = &runner->engine();
        // Across threads: each value copied here, then handed off to the owner's thread.
        reemit(this, engine, &RequestEngine::snapshotReady, &RunHost::snapshot);
        reemit(this, engine, &RequestEngine::requestsUpdated, &RunHost::requestsUpdated);
        reemit(this, engine, &RequestEngine::limitChanged, &RunHost::limitChanged);
        reemit(this, runner, &BenchRunner::progress, &RunHost::progress);
        reemit(this, runner, &BenchRunner::eventRecorded, &RunHost::eventRecorded);
        reemit(this, runner, &BenchRunner::alertChanged, &RunHost::alertChanged);
        // The summary and rows are made here, in the worker thread, then handed over by value.
        connect(runner, &BenchRunner::finished, runner, [this, runner] {
            const QJsonObject summary = runner->summary();
            const SeriesData series = seriesData(runner->series());
            m_runner = nullptr;
            runner->deleteLater(); // after this handler returns
            handOffTo(this, [this, summary, series] { onFinished(summary, series); });
        });
        runner->start();
    });
    Q_EMIT started();
    return {};
}

void RunHost::onFinished(const QJsonObject& summary, const SeriesData& series) {
    m_running = false;
    Q_EMIT finished(summary, series);
}

void RunHost::stop() {
    withRunner([](BenchRunner& runner) { runner.stop(QStringLiteral("stopped")); });
}

void RunHost::abort() {
    withRunner([](BenchRunner& runner) {
        runner.stop(QStringLiteral("stopped"));
        if (!runner.isFinished()) {
            runner.stop(QStringLiteral("stopped")); // the second stop cancels what is out
        }
    });
}

void RunHost::setPaused(bool paused) {
    withRunner([paused](BenchRunner& runner) { runner.setPaused(paused); });
}

void RunHost::setLoad(double load) {
    withRunner([load](BenchRunner& runner) { runner.setLoad(load); });
}

void RunHost::applyLimits(const TrafficLimits& limits) {
    withRunner([limits](BenchRunner& runner) { runner.applyLimits(limits); });
}

void RunHost::recordEvent(const QString& kind, const QString& text) {
    withRunner([kind, text](BenchRunner& runner) { runner.recordEvent(kind, text); });
}

} // namespace sluice
