#include "ui/session.h"

#include "core/bench/report/reportfiles.h"
#include "core/server/mock/mockserver.h"

#include <QTimer>

namespace sluice {

namespace {

void registerTypes() {
    qRegisterMetaType<sluice::EngineSnapshot>();
    qRegisterMetaType<sluice::RequestUpdate>();
    qRegisterMetaType<QList<sluice::RequestUpdate>>();
    qRegisterMetaType<sluice::BenchProgress>();
    qRegisterMetaType<sluice::BenchEvent>();
    qRegisterMetaType<sluice::AlertEvent>();
    qRegisterMetaType<sluice::MockConfig>();
}

/// Runs `f` in `context`'s thread and waits for it.
template <typename F> void runIn(QObject* context, F&& f) {
    if (context->thread() == QThread::currentThread()) {
        f();
    } else {
        QMetaObject::invokeMethod(context, std::forward<F>(f), Qt::BlockingQueuedConnection);
    }
}

} // namespace

Session::Session(QObject* parent)
    : QObject(parent) {
    registerTypes();
    m_mockThread.setObjectName(QStringLiteral("sluice-mock"));
    m_engineThread.setObjectName(QStringLiteral("sluice-engine"));
    m_mockAnchor = new QObject;
    m_engineAnchor = new QObject;
    m_mockAnchor->moveToThread(&m_mockThread);
    m_engineAnchor->moveToThread(&m_engineThread);
    connect(&m_mockThread, &QThread::finished, m_mockAnchor, &QObject::deleteLater);
    connect(&m_engineThread, &QThread::finished, m_engineAnchor, &QObject::deleteLater);
    m_mockThread.start();
    m_engineThread.start();
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

Session::~Session() {
    if (BenchRunner* runner = std::exchange(m_runner, nullptr)) {
        runIn(m_engineAnchor, [runner] { delete runner; });
    }
    if (m_mock) {
        MockServer* mock = m_mock;
        QObject* poller = m_mockPoller;
        runIn(m_mockAnchor, [mock, poller] {
            delete poller;
            delete mock;
        });
    }
    m_engineThread.quit();
    m_mockThread.quit();
    m_engineThread.wait();
    m_mockThread.wait();
}

Result<void> Session::startMock(const MockConfig& config, quint16 port) {
    if (m_mock) {
        return {};
    }
    if (auto valid = config.validate(); !valid) {
        return valid;
    }
    bool ok = false;
    QString why;
    MockServer* mock = nullptr;
    QObject* poller = nullptr;
    runIn(m_mockAnchor, [&] {
        mock = new MockServer(config);
        ok = mock->listen(QHostAddress::LocalHost, port);
        if (!ok) {
            why = mock->errorString();
            delete mock;
            mock = nullptr;
            return;
        }
        poller = new QObject;
        auto* timer = new QTimer(poller);
        QObject::connect(timer, &QTimer::timeout, poller, [this, mock] {
            // Emitted from the GUI thread, like every other signal of the session.
            QMetaObject::invokeMethod(
                this, [this, stats = mock->statsJson()] { Q_EMIT mockStats(stats); });
        });
        timer->start(500);
    });
    if (!ok) {
        return Error{Error::Kind::Unavailable, {}, why};
    }
    m_mock = mock;
    m_mockPoller = poller;
    m_mockPort = 0;
    runIn(mock, [&] { m_mockPort = mock->port(); });
    m_mockConfig = config;
    return {};
}

QUrl Session::mockBaseUrl() const {
    return m_mockPort ? QUrl(QStringLiteral("http://127.0.0.1:%1/v1").arg(m_mockPort)) : QUrl();
}

Result<void> Session::setMockConfig(const MockConfig& config, const QString& label) {
    if (auto valid = config.validate(); !valid) {
        return valid;
    }
    if (!m_mock) {
        m_mockConfig = config;
        return {};
    }
    const MockConfig before = m_mockConfig;
    m_mockConfig = config;
    MockServer* mock = m_mock;
    // Validated above, so the mock takes it.
    QMetaObject::invokeMethod(mock, [mock, config] { (void)mock->setConfig(config); });
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
    if (m_runner && (!changes.isEmpty() || !label.isEmpty())) {
        BenchRunner* runner = m_runner;
        const QString text = label.isEmpty() ? changes.join(QStringLiteral(", ")) : label;
        QMetaObject::invokeMethod(
            runner, [runner, text] { runner->recordEvent(QStringLiteral("mock"), text); });
    }
    Q_EMIT mockConfigChanged(config);
    return {};
}

Result<void> Session::startRun(BenchScenario scenario) {
    if (m_running) {
        return Error{Error::Kind::Unavailable, {}, tr("a run is already going")};
    }
    if (!scenario.limits) {
        scenario.limits = m_limits;
    }
    // Millisecond arrival timing: a spinning engine thread would take a core from the window.
    scenario.preciseArrivals = false;
    QUrl target = scenario.target;
    if (scenario.useMock) {
        if (!m_mock) {
            return Error{Error::Kind::Unavailable, {}, tr("the built-in mock is not running")};
        }
        target = mockBaseUrl();
    }
    if (auto valid = scenario.validate(); !valid) {
        return valid;
    }
    m_scenario = scenario;
    m_limits = *scenario.limits;
    m_running = true;
    m_paused = false;
    BenchRunner* runner = nullptr;
    runIn(m_engineAnchor, [&] { runner = new BenchRunner(scenario, target); });
    m_runner = runner;
    RequestEngine* engine = &runner->engine();
    connect(engine, &RequestEngine::snapshotReady, this, &Session::snapshot);
    connect(engine, &RequestEngine::requestsUpdated, this, &Session::requestsUpdated);
    connect(engine, &RequestEngine::limitChanged, this, &Session::limitChanged);
    connect(runner, &BenchRunner::progress, this, &Session::progress);
    connect(runner, &BenchRunner::eventRecorded, this, &Session::eventRecorded);
    connect(runner, &BenchRunner::alertChanged, this, &Session::alertChanged);
    // Finished: the summary and rows are made on the engine thread, then handed over by value.
    connect(runner, &BenchRunner::finished, runner, [this, runner] {
        const QJsonObject summary = runner->summary();
        const SeriesData series = seriesData(runner->series());
        QMetaObject::invokeMethod(this,
                                  [this, summary, series] { onRunFinished(summary, series); });
    });
    QMetaObject::invokeMethod(runner, &BenchRunner::start);
    Q_EMIT runStarted();
    return {};
}

void Session::onRunFinished(const QJsonObject& summary, const SeriesData& series) {
    if (m_runner) {
        m_runner->deleteLater(); // on its own thread, after the finished() handler returned
        m_runner = nullptr;
    }
    m_running = false;
    m_paused = false;
    m_demoValues = false; // the next window restores the user's own
    m_summary = summary;
    m_series = series;
    Q_EMIT runFinished(summary);
}

void Session::stopRun() {
    if (BenchRunner* runner = m_runner) {
        QMetaObject::invokeMethod(runner, [runner] { runner->stop(QStringLiteral("stopped")); });
    }
}

void Session::setPaused(bool paused) {
    if (!m_running || paused == m_paused) {
        return;
    }
    m_paused = paused;
    if (BenchRunner* runner = m_runner) {
        QMetaObject::invokeMethod(runner, [runner, paused] { runner->setPaused(paused); });
    }
    Q_EMIT pausedChanged(paused);
}

void Session::setLoad(double load) {
    if (BenchRunner* runner = m_runner; runner && load > 0) {
        QMetaObject::invokeMethod(runner, [runner, load] { runner->setLoad(load); });
        m_scenario.profile.load = load;
    }
}

void Session::applyLimits(const TrafficLimits& limits) {
    m_limits = limits;
    m_scenario.limits = limits;
    if (BenchRunner* runner = m_runner) {
        QMetaObject::invokeMethod(runner, [runner, limits] { runner->applyLimits(limits); });
    }
}

void Session::syncEngine() {
    runIn(m_engineAnchor, [] {});
}

} // namespace sluice
