#include "core/host/runhost.h"

#include "core/bench/benchrunner.h"
#include "core/bench/report/reportfiles.h"

namespace sluice {

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
        // Across threads: queued, each value copied.
        connect(engine, &RequestEngine::snapshotReady, this, &RunHost::snapshot);
        connect(engine, &RequestEngine::requestsUpdated, this, &RunHost::requestsUpdated);
        connect(engine, &RequestEngine::limitChanged, this, &RunHost::limitChanged);
        connect(runner, &BenchRunner::progress, this, &RunHost::progress);
        connect(runner, &BenchRunner::eventRecorded, this, &RunHost::eventRecorded);
        connect(runner, &BenchRunner::alertChanged, this, &RunHost::alertChanged);
        // The summary and rows are made here, in the worker thread, then handed over by value.
        connect(runner, &BenchRunner::finished, runner, [this, runner] {
            const QJsonObject summary = runner->summary();
            const SeriesData series = seriesData(runner->series());
            m_runner = nullptr;
            runner->deleteLater(); // after this handler returns
            QMetaObject::invokeMethod(this,
                                      [this, summary, series] { onFinished(summary, series); });
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
