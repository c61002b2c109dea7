#include "ui/session.h"

namespace sluice {

Session::Session(QObject* parent)
    : QObject(parent) {
    connect(&m_mock, &MockHost::started, this, &Session::mockStarted);
    connect(&m_mock, &MockHost::failed, this, &Session::mockFailed);
    connect(&m_mock, &MockHost::stats, this, &Session::mockStats);
    connect(&m_run, &RunHost::snapshot, this, &Session::snapshot);
    connect(&m_run, &RunHost::requestsUpdated, this, &Session::requestsUpdated);
    connect(&m_run, &RunHost::limitChanged, this, &Session::limitChanged);
    connect(&m_run, &RunHost::progress, this, &Session::progress);
    connect(&m_run, &RunHost::eventRecorded, this, &Session::eventRecorded);
    connect(&m_run, &RunHost::alertChanged, this, &Session::alertChanged);
    connect(&m_run, &RunHost::finished, this, &Session::onRunFinished);
    // The console's defaults: traffic control as a careful client runs it.
    m_limits.algorithm = ConcurrencyConfig::Algorithm::Combined;
    m_limits.maxConcurrency = 64;
    m_limits.adaptiveMin = 1;
    // Room for the default load's ~8 requests in flight against the default mock (1.2-1.5 s
    // each at 5/s): starting at 8, the first run sat at the limit and raised an alert.
    m_limits.adaptiveInitial = 16;
    m_limits.queueCapacity = 1000;
    m_limits.requestTimeout = std::chrono::seconds(30);
    m_limits.retries = 2;
    m_limits.breakerEnabled = true;
    m_limits.followServerLimits = true;
}

Session::~Session() = default; // the run's host ends it, then the mock's host closes it

Result<void> Session::startMock(const MockConfig& config, quint16 port) {
    if (m_mock.state() == MockHost::State::Running || m_mock.state() == MockHost::State::Starting) {
        return {};
    }
    return m_mock.start(config, port);
}

Result<void> Session::setMockConfig(const MockConfig& config, const QString& label) {
    const MockConfig before = m_mock.config();
    if (auto applied = m_mock.setConfig(config); !applied) {
        return applied;
    }
    if (!m_mock.running()) {
        return {};
    }
    QStringList changes;
    auto change = [&](const char* name, const QString& from, const QString& to) {
        if (from != to) {
            changes << QStringLiteral("%1 %2 -> %3").arg(QLatin1String(name), from, to);
        }
    };
    change("capacity", QString::number(before.capacity), QString::number(config.capacity));
    change("rpm", QString::number(before.rpm), QString::number(config.rpm));
    change("tpm", QString::number(before.tpm), QString::number(config.tpm));
    change("ttft", QString::number(before.ttftMs), QString::number(config.ttftMs));
    change("tpot", QString::number(before.tpotMs), QString::number(config.tpotMs));
    const auto faults = [](const MockFaults& f) {
        return QString::number(f.total() * 100, 'g', 3) + QLatin1Char('%');
    };
    change("faults", faults(before.faults), faults(config.faults));
    if (m_running && (!changes.isEmpty() || !label.isEmpty())) {
        m_run.recordEvent(QStringLiteral("mock"),
                          label.isEmpty() ? changes.join(QStringLiteral(", ")) : label);
    }
    Q_EMIT mockConfigChanged(config);
    return {};
}

Result<void> Session::startRun(BenchScenario scenario) {
    if (m_running) {
        return Error{Error::Kind::Invalid, {}, tr("a run is already going")};
    }
    if (!scenario.limits) {
        scenario.limits = m_limits;
    }
    // Where there is no timerfd to wake the runner at each arrival, millisecond arrival timing:
    // a spinning engine thread would take a core from the window.
    scenario.preciseArrivals = false;
    QUrl target = scenario.target;
    if (scenario.useMock) {
        if (!m_mock.running()) {
            return Error{Error::Kind::Unavailable, {}, tr("the built-in mock is not running")};
        }
        target = mockBaseUrl();
    }
    if (auto started = m_run.start(scenario, target); !started) {
        return started;
    }
    m_scenario = scenario;
    m_limits = *scenario.limits;
    m_running = true;
    m_paused = false;
    Q_EMIT runStarted();
    return {};
}

void Session::onRunFinished(const QJsonObject& summary, const SeriesData& series) {
    m_running = false;
    m_paused = false;
    m_demoValues = false; // the next window restores the user's own
    m_summary = summary;
    m_series = series;
    Q_EMIT runFinished(summary);
}

void Session::stopRun() {
    if (m_running) {
        m_run.stop();
    }
}

void Session::setPaused(bool paused) {
    if (!m_running || paused == m_paused) {
        return;
    }
    m_paused = paused;
    m_run.setPaused(paused);
    Q_EMIT pausedChanged(paused);
}

void Session::setLoad(double load) {
    if (m_running && load > 0) {
        m_run.setLoad(load);
        m_scenario.profile.load = load;
    }
}

void Session::applyLimits(const TrafficLimits& limits) {
    m_limits = limits;
    m_scenario.limits = limits;
    if (m_running) {
        m_run.applyLimits(limits);
    }
}

} // namespace sluice
