// The console driven offscreen as an operator would: a run against the in-process mock, live
// limit changes, stop and results, scenario files, settings, languages and screenshots (its
// demos: tst_consoledemos).

#include "tests/support/consolefixture.h"
#include "ui/charts/livechart.h"
#include "ui/demos.h"
#include "ui/mainwindow.h"
#include "ui/models/failuretext.h"
#include "ui/models/requestfiltermodel.h"
#include "ui/models/requesttablemodel.h"
#include "ui/panels/alertslog.h"
#include "ui/panels/benchpanel.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/errorsview.h"
#include "ui/panels/limitspanel.h"
#include "ui/panels/mockpanel.h"
#include "ui/panels/requestspanel.h"
#include "ui/panels/resultsview.h"
#include "ui/panels/statsstrip.h"
#include "ui/session.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTranslator>
#include <QTreeWidget>

#include <memory>

using namespace sluice;
using sluice::test::fastMock;
using sluice::test::startMock;

// A console running a closed loop of 20 workers against the mock, every limit off, so all 20 are
// in flight: the shared setup of the run's focused tests below. Watches the engine's limit and
// in-flight count through the session's snapshots.
struct RunningConsole {
    Session session;
    std::unique_ptr<MainWindow> window;
    QAction* start = nullptr;
    int lastLimit = 0;
    int lastInFlight = 0;
};

class TestMainWindow final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void runFillsEveryChartAndTheTable();
    void maxConcurrencyChangeReachesEngineAndServer();
    void requestFilterKeepsOneStateWhileUpdatesFlow();
    void stoppedRunShowsItsSummaryAndExports();
    void overloadRaisesAlertsAndColours();
    void idleWindowOffersStartOnly();
    void providerPresetsFillTheTarget();
    void priorityLanesShowOnTheChart();
    void badScenarioFileNamesTheField();
    void settingsAreRemembered();
    void settingsAreWrittenWhenChanged();
    void failureAlertsColourTheirSeries();
    void breakerEventsAreMarked();
    void firstRunDoesNotOverload();
    void windowFitsSmallScreens();
    void chineseTranslationIsCompiledIn();

private:
    /// Starts the closed-loop run the run's tests share (RunningConsole, above).
    void startClosedLoop(RunningConsole& console);
    static void configureRun(MainWindow& window, int profile, double load);
    static void screenshot(QWidget& window, const QString& name);
};

void TestMainWindow::initTestCase() {
    QStandardPaths::setTestModeEnabled(true); // settings go to a test location
    QCoreApplication::setOrganizationName(QStringLiteral("SluiceTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
}

void TestMainWindow::init() {
    QSettings().clear();
}

// Profile index: 0 Poisson, 1 constant, 2 closed loop.
void TestMainWindow::configureRun(MainWindow& window, int profile, double load) {
    auto* bench = window.benchPanel();
    bench->findChild<QComboBox*>(QStringLiteral("presetCombo"))->setCurrentIndex(0); // the mock
    QVERIFY(bench->targetIsMock());
    bench->findChild<QComboBox*>(QStringLiteral("profileCombo"))->setCurrentIndex(profile);
    bench->findChild<QDoubleSpinBox*>(QStringLiteral("loadSpin"))->setValue(load);
    bench->findChild<QSpinBox*>(QStringLiteral("durationSpin"))->setValue(0); // until stopped
    bench->findChild<QSpinBox*>(QStringLiteral("maxTokensSpin"))->setValue(10);
}

void TestMainWindow::screenshot(QWidget& window, const QString& name) {
    if (auto* main = qobject_cast<MainWindow*>(&window)) {
        main->charts()->refreshAll();
    }
    const QPixmap shot = window.grab();
    QVERIFY(!shot.isNull());

    QCOMPARE(shot.size(), QSize(1280, 800));
    if (qEnvironmentVariableIsSet("SLUICE_SCREENSHOT_DIR")) {
        QVERIFY(shot.save(qEnvironmentVariable("SLUICE_SCREENSHOT_DIR") + QLatin1Char('/') + name));
    }
}

void TestMainWindow::startClosedLoop(RunningConsole& c) {
    MockConfig mock = fastMock();
    mock.ttftMs = 150; // ~0.3 s per request: 20 workers offer ~60 requests/s
    mock.tpotMs = 20;
    QVERIFY(startMock(c.session, mock));
    c.window = std::make_unique<MainWindow>(&c.session);
    MainWindow& window = *c.window;
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    // Limits: fixed, no cap, so the closed loop's 20 workers are all in flight.
    TrafficLimits limits = c.session.limits();
    limits.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    limits.maxConcurrency = 0;
    window.limitsPanel()->setLimits(limits);
    c.session.applyLimits(limits);
    configureRun(window, 2, 20);
    connect(&c.session, &Session::snapshot, this, [&c](const EngineSnapshot& s) {
        c.lastLimit = s.limit;
        c.lastInFlight = s.inFlight;
    });
    QSignalSpy started(&c.session, &Session::runStarted);
    c.start = window.findChild<QAction*>(QStringLiteral("startAction"));
    QVERIFY(c.start && c.start->isEnabled());
    c.start->trigger();
    QCOMPARE(started.size(), 1);
    QVERIFY(!c.start->isEnabled());
}

void TestMainWindow::runFillsEveryChartAndTheTable() {
    RunningConsole c;
    startClosedLoop(c);
    if (QTest::currentTestFailed()) {
        return;
    }
    MainWindow& window = *c.window;
    // The testers check the whole model on every change: on while the first requests flow (none
    // has arrived yet: rows come through the event loop, which has not run since the start).
    auto modelTester = std::make_unique<QAbstractItemModelTester>(
        window.requestsPanel()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto filterTester = std::make_unique<QAbstractItemModelTester>(
        window.requestsPanel()->filterModel(),
        QAbstractItemModelTester::FailureReportingMode::QtTest);
    ChartsPanel* charts = window.charts();
    for (int i = 0; i < ChartsPanel::ChartCount; ++i) {
        LiveChart* chart = charts->chart(static_cast<ChartsPanel::Chart>(i));
        QTRY_VERIFY_WITH_TIMEOUT(chart->sampleCount(0) >= 10, 10000);
    }
    QTRY_VERIFY_WITH_TIMEOUT(c.lastInFlight >= 15, 10000);
    // Latency percentiles arrive once requests have finished.
    QTRY_VERIFY_WITH_TIMEOUT(window.requestsPanel()->model()->rowCount() > 50, 10000);
    charts->refreshAll();
    for (int i = 0; i < ChartsPanel::ChartCount; ++i) {
        LiveChart* chart = charts->chart(static_cast<ChartsPanel::Chart>(i));
        // Every request here is of normal priority: that is the series with points.
        const int series = i == ChartsPanel::PriorityLatency ? ChartsPanel::Normal : 0;
        QVERIFY2(chart->pointCount(series) > 0, qPrintable(chart->objectName()));
        QVERIFY(chart->lineSeries(series)->count() <= 2 * 1280);
    }
    QCOMPARE(charts->chart(ChartsPanel::PriorityLatency)->pointCount(ChartsPanel::High), 0);
    QTRY_VERIFY_WITH_TIMEOUT(charts->chart(ChartsPanel::Latency)->pointCount(0) > 0 ||
                                 (charts->refreshAll(), false),
                             5000);
    modelTester.reset();
    filterTester.reset();
    screenshot(window, QStringLiteral("console-running.png"));
}

void TestMainWindow::maxConcurrencyChangeReachesEngineAndServer() {
    RunningConsole c;
    startClosedLoop(c);
    if (QTest::currentTestFailed()) {
        return;
    }
    MainWindow& window = *c.window;
    ChartsPanel* charts = window.charts();
    QTRY_VERIFY_WITH_TIMEOUT(c.lastInFlight >= 15, 10000);
    // Change max concurrency in the limits panel: the engine's limit, a marker, and the
    // server's own count of concurrent requests follow.
    const int markersBefore = charts->chart(ChartsPanel::Concurrency)->markerCount();
    auto* maxSpin =
        window.limitsPanel()->findChild<QSpinBox*>(QStringLiteral("maxConcurrencySpin"));
    QVERIFY(maxSpin);
    maxSpin->setValue(5);
    QTRY_COMPARE_WITH_TIMEOUT(c.lastLimit, 5, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(charts->chart(ChartsPanel::Concurrency)->markerCount() > markersBefore,
                             5000);
    QTRY_VERIFY_WITH_TIMEOUT(c.lastInFlight <= 5, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(window.limitsPanel()
                                 ->findChild<QLabel*>(QStringLiteral("currentLimitLabel"))
                                 ->text()
                                 .contains(QLatin1Char('5')),
                             5000);
    // The mock counts what it serves: from now on never more than 5 at once.
    QSignalSpy stats(&c.session, &Session::mockStats);
    int serverMax = 0;
    for (int i = 0; i < 4; ++i) {
        QVERIFY(stats.wait(2000));
        serverMax =
            std::max(serverMax,
                     stats.last().at(0).toJsonObject().value(QStringLiteral("concurrent")).toInt());
    }
    QVERIFY2(serverMax <= 5, qPrintable(QString::number(serverMax)));
    QVERIFY(serverMax >= 1);
}

void TestMainWindow::requestFilterKeepsOneStateWhileUpdatesFlow() {
    RunningConsole c;
    startClosedLoop(c);
    if (QTest::currentTestFailed()) {
        return;
    }
    RequestsPanel* requests = c.window->requestsPanel();
    auto* filter = requests->findChild<QComboBox*>(QStringLiteral("requestFilterCombo"));
    filter->setCurrentIndex(filter->findData(int(RequestFilterModel::Filter::Done)));
    QTRY_VERIFY_WITH_TIMEOUT(requests->filterModel()->rowCount() > 0, 10000);
    for (int r = 0; r < requests->filterModel()->rowCount(); ++r) {
        QCOMPARE(requests->filterModel()
                     ->index(r, RequestTableModel::State)
                     .data(RequestTableModel::StateRole)
                     .toInt(),
                 int(RequestState::Done));
    }
}

void TestMainWindow::stoppedRunShowsItsSummaryAndExports() {
    RunningConsole c;
    startClosedLoop(c);
    if (QTest::currentTestFailed()) {
        return;
    }
    MainWindow& window = *c.window;
    QTRY_VERIFY_WITH_TIMEOUT(window.requestsPanel()->model()->rowCount() > 50, 10000);
    // Stop: the summary shows in the results view.
    QSignalSpy finished(&c.session, &Session::runFinished);
    window.findChild<QAction*>(QStringLiteral("stopAction"))->trigger();
    QVERIFY(finished.wait(20000));
    QVERIFY(c.start->isEnabled());
    // Nothing flows any more: the strip shows no rates, only the run's totals.
    QVERIFY(window.statsStrip()->idle());
    QCOMPARE(window.statsStrip()->valueText(StatsStrip::Rps), QStringLiteral("–"));
    QCOMPARE(window.statsStrip()->valueText(StatsStrip::InFlight), QStringLiteral("–"));
    QVERIFY(window.statsStrip()->valueText(StatsStrip::Processed) != QStringLiteral("–"));
    ResultsView* results = window.resultsView();
    QCOMPARE(window.bottomTabs()->currentWidget(), results);
    const QJsonObject counts = results->summary().value(QStringLiteral("counts")).toObject();
    QVERIFY(counts.value(QStringLiteral("done")).toInt() > 50);
    QCOMPARE(counts.value(QStringLiteral("failed")).toInt(), 0);
    QVERIFY(results->percentileTable()->rowCount() >= 3);
    QVERIFY(results->findChild<QLabel*>(QStringLiteral("resultsHeadline"))
                ->text()
                .contains(QString::number(counts.value(QStringLiteral("done")).toInt())));
    // Export: the bench issue's files.
    QTemporaryDir dir;
    QVERIFY(window.exportReport(dir.path()));
    for (const char* name : {"summary.json", "timeseries.csv", "report.html"}) {
        QVERIFY2(QFileInfo::exists(dir.filePath(QLatin1String(name))), name);
    }
    QVERIFY(!window.charts()->renderImage().isNull());
}

void TestMainWindow::overloadRaisesAlertsAndColours() {
    Session session;
    MockConfig mock = fastMock();
    mock.capacity = 4;
    mock.ttftMs = 100;
    mock.tpotMs = 10;
    QVERIFY(startMock(session, mock));
    MainWindow window(&session);
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    TrafficLimits limits = session.limits();
    limits.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    limits.maxConcurrency = 4; // the server's capacity: everything else queues with us
    limits.queueCapacity = 300;
    limits.requestTimeout = std::chrono::seconds(4);
    window.limitsPanel()->setLimits(limits);
    session.applyLimits(limits);
    configureRun(window, 1, 60); // ~3x what 4 slots of ~150 ms serve
    QSignalSpy alerts(&session, &Session::alertChanged);
    window.findChild<QAction*>(QStringLiteral("startAction"))->trigger();
    QVERIFY(session.running());
    // Queue > 50 for 5 s and in flight > 95% of the limit: critical alerts, red series.
    QTRY_VERIFY_WITH_TIMEOUT(
        window.charts()->chart(ChartsPanel::Queue)->level(0) == LiveChart::Level::Critical, 15000);
    QTRY_VERIFY_WITH_TIMEOUT(window.charts()->chart(ChartsPanel::Concurrency)->level(0) ==
                                 LiveChart::Level::Critical,
                             15000);
    QVERIFY(window.alertsLog()->alertCount() >= 2);
    QVERIFY(window.alertsLog()->tree()->topLevelItemCount() >= 2);
    QVERIFY(window.bottomTabs()->tabText(1).contains(QLatin1Char('(')));
    window.charts()->setWindow(60);
    window.bottomTabs()->setCurrentWidget(window.alertsLog());
    screenshot(window, QStringLiteral("console-overloaded.png"));
    window.stopRun();
    window.stopRun(); // twice: cancel what is still queued
    QTRY_VERIFY_WITH_TIMEOUT(!session.running(), 20000);
}

void TestMainWindow::idleWindowOffersStartOnly() {
    Session session;
    QVERIFY(startMock(session, fastMock()));
    MainWindow window(&session);
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.findChild<QAction*>(QStringLiteral("startAction"))->isEnabled());
    QVERIFY(!window.findChild<QAction*>(QStringLiteral("stopAction"))->isEnabled());
    screenshot(window, QStringLiteral("console-idle.png"));
}

void TestMainWindow::providerPresetsFillTheTarget() {
    Session session;
    MainWindow window(&session);
    auto* presets = window.benchPanel()->findChild<QComboBox*>(QStringLiteral("presetCombo"));
    QVERIFY(presets->count() >= 11);
    QStringList names;
    for (int i = 0; i < presets->count(); ++i) {
        names << presets->itemText(i);
    }
    for (const char* n : {"OpenAI", "Anthropic", "Azure OpenAI", "DeepSeek", "Moonshot (Kimi)",
                          "Zhipu (GLM)", "vLLM (local)", "Ollama (local)"}) {
        QVERIFY2(names.contains(QLatin1String(n)), n);
    }
}

void TestMainWindow::priorityLanesShowOnTheChart() {
    // About 2x overload with a fifth of the requests urgent: the chart shows high priority
    // served near the service time while normal waits in the queue.
    Session session;
    MockConfig mock = fastMock();
    mock.capacity = 4;
    mock.ttftMs = 100;
    mock.tpotMs = 5;
    mock.tokensMin = mock.tokensMax = 5;
    QVERIFY(startMock(session, mock));
    MainWindow window(&session);
    window.resize(1280, 800);
    window.show();
    BenchScenario s;
    s.useMock = true;
    s.profile.kind = LoadProfile::Kind::Constant;
    s.profile.load = 60;
    s.duration = std::chrono::seconds(60);
    s.maxTokens = 5;
    s.priorityMix = {0.2, 0.8};
    TrafficLimits limits;
    limits.maxConcurrency = 4;
    limits.queueCapacity = 2000;
    limits.requestTimeout = std::chrono::seconds(20);
    s.limits = limits;
    const Result<void> started = session.startRun(s);
    QVERIFY2(started, started ? "" : qPrintable(started.error().text()));
    LiveChart* chart = window.charts()->chart(ChartsPanel::PriorityLatency);
    auto last = [&](int series) {
        QLineSeries* line = chart->lineSeries(series);
        return line->count() > 0 ? line->at(line->count() - 1).y() : 0.0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(
        (window.charts()->refreshAll(),
         last(ChartsPanel::High) > 0 && last(ChartsPanel::Normal) > 3 * last(ChartsPanel::High)),
        20000);
    QCOMPARE(chart->pointCount(ChartsPanel::Low), 0);
    window.stopRun();
    window.stopRun();
    QTRY_VERIFY_WITH_TIMEOUT(!session.running(), 20000);
}

void TestMainWindow::badScenarioFileNamesTheField() {
    Session session;
    MainWindow window(&session);
    BenchPanel* bench = window.benchPanel();
    const auto e = bench->loadScenarioJson(
        QJsonObject{{QStringLiteral("mock"), true},
                    {QStringLiteral("profile"),
                     QJsonObject{{QStringLiteral("kind"), QStringLiteral("zigzag")}}}});
    QVERIFY(!e);
    QCOMPARE(e.error().field, QStringLiteral("profile.kind"));
    // A good file round-trips through the panel.
    const QJsonObject good{
        {QStringLiteral("mock"), true},
        {QStringLiteral("model"), QStringLiteral("m-7")},
        {QStringLiteral("max_tokens"), 77},
        {QStringLiteral("profile"), QJsonObject{{QStringLiteral("kind"), QStringLiteral("closed")},
                                                {QStringLiteral("concurrency"), 9}}},
        {QStringLiteral("duration"), QStringLiteral("42s")}};
    QVERIFY(bench->loadScenarioJson(good));
    const QJsonObject back = bench->scenarioJson();
    QCOMPARE(back.value(QStringLiteral("model")).toString(), QStringLiteral("m-7"));
    QCOMPARE(back.value(QStringLiteral("max_tokens")).toInt(), 77);
    QCOMPARE(back.value(QStringLiteral("profile"))
                 .toObject()
                 .value(QStringLiteral("concurrency"))
                 .toDouble(),
             9.0);
    QCOMPARE(back.value(QStringLiteral("duration")).toString(), QStringLiteral("42s"));
    const auto s = bench->scenario();
    QVERIFY2(s, qPrintable(s.ok() ? QString() : s.error().text()));
    QCOMPARE(s->profile.kind, LoadProfile::Kind::Closed);
    QCOMPARE(s->duration, Nanos{std::chrono::seconds(42)});
}

void TestMainWindow::settingsAreRemembered() {
    Session session;
    QVERIFY(startMock(session, fastMock()));
    {
        MainWindow window(&session);
        window.resize(1234, 777);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        TrafficLimits limits = window.limitsPanel()->limits();
        limits.rpm = 1234;
        window.limitsPanel()->setLimits(limits);
        window.charts()->setWindow(900);
        auto* model = window.benchPanel()->findChild<QLineEdit*>(QStringLiteral("modelEdit"));
        model->setText(QStringLiteral("remembered-model"));
        window.close();
    }
    MainWindow again(&session);
    QCOMPARE(again.limitsPanel()->limits().rpm, 1234);
    QCOMPARE(session.limits().rpm, 1234);
    QCOMPARE(again.charts()->window(), 900.0);
    QCOMPARE(again.benchPanel()->findChild<QLineEdit*>(QStringLiteral("modelEdit"))->text(),
             QStringLiteral("remembered-model"));
    QCOMPARE(again.size(), QSize(1234, 777));
}

void TestMainWindow::settingsAreWrittenWhenChanged() {
    // Not only on a clean close: a crash must not lose what the user set.
    Session session;
    QVERIFY(startMock(session, fastMock()));
    MainWindow window(&session);
    window.findChild<QSpinBox*>(QStringLiteral("rpmSpin"))->setValue(4321);
    QTRY_COMPARE(
        QSettings().value(QStringLiteral("limits")).toMap().value(QStringLiteral("rpm")).toInt(),
        4321);
    auto* model = window.benchPanel()->findChild<QLineEdit*>(QStringLiteral("modelEdit"));
    model->setText(QStringLiteral("typed-model"));
    Q_EMIT model->editingFinished();
    QTRY_COMPARE(QSettings()
                     .value(QStringLiteral("bench/scenario"))
                     .toMap()
                     .value(QStringLiteral("model"))
                     .toString(),
                 QStringLiteral("typed-model"));
}

void TestMainWindow::failureAlertsColourTheirSeries() {
    Session session;
    MainWindow window(&session);
    ChartsPanel* charts = window.charts();
    LiveChart* rps = charts->chart(ChartsPanel::Rps);
    AlertEvent errors{std::chrono::seconds(12),
                      QStringLiteral("errors-critical"),
                      AlertRule::Severity::Critical,
                      true,
                      0.4,
                      QStringLiteral("english text")};
    Q_EMIT session.alertChanged(errors);
    QCOMPARE(rps->level(ChartsPanel::Errors), LiveChart::Level::Critical);
    QCOMPARE(rps->level(ChartsPanel::RateLimited), LiveChart::Level::Normal);
    QCOMPARE(window.statsStrip()->level(StatsStrip::Errors), StatsStrip::Level::Critical);
    QTreeWidget* log = window.alertsLog()->tree();
    QCOMPARE(log->topLevelItemCount(), 1);
    QVERIFY(
        log->topLevelItem(0)->text(4).contains(QLatin1String("more than 5% of requests failed")));
    QCOMPARE(log->topLevelItem(0)->text(5), QStringLiteral("40.0%"));

    AlertEvent limited{std::chrono::seconds(13),
                       QStringLiteral("rate-limited-warning"),
                       AlertRule::Severity::Warning,
                       true,
                       0.2,
                       {}};
    Q_EMIT session.alertChanged(limited);
    QCOMPARE(rps->level(ChartsPanel::RateLimited), LiveChart::Level::Warning);
    QCOMPARE(window.statsStrip()->level(StatsStrip::RateLimited), StatsStrip::Level::Warning);

    // A rejection alert on the same series clearing does not hide the error alert still raised.
    AlertEvent reject{std::chrono::seconds(14),
                      QStringLiteral("reject-critical"),
                      AlertRule::Severity::Critical,
                      true,
                      0.1,
                      {}};
    Q_EMIT session.alertChanged(reject);
    reject.raised = false;
    Q_EMIT session.alertChanged(reject);
    QCOMPARE(rps->level(ChartsPanel::Errors), LiveChart::Level::Critical);
    errors.raised = false;
    Q_EMIT session.alertChanged(errors);
    QCOMPARE(rps->level(ChartsPanel::Errors), LiveChart::Level::Normal);
    QCOMPARE(rps->level(ChartsPanel::RateLimited), LiveChart::Level::Warning);

    AlertEvent breaker{std::chrono::seconds(15),
                       QStringLiteral("breaker-open"),
                       AlertRule::Severity::Critical,
                       true,
                       1,
                       {}};
    Q_EMIT session.alertChanged(breaker);
    QCOMPARE(window.statsStrip()->level(StatsStrip::Breaker), StatsStrip::Level::Critical);
    QVERIFY(window.bottomTabs()->tabText(1).contains(QLatin1Char('(')));
}

void TestMainWindow::breakerEventsAreMarked() {
    Session session;
    MainWindow window(&session);
    LiveChart* rps = window.charts()->chart(ChartsPanel::Rps);
    const int before = rps->markerCount();
    Q_EMIT session.eventRecorded(
        BenchEvent{21.5, QStringLiteral("breaker"), QStringLiteral("circuit closed -> open")});
    QCOMPARE(rps->markerCount(), before + 1);
    QTreeWidgetItem* line = window.alertsLog()->tree()->topLevelItem(0);
    QCOMPARE(line->text(2), QStringLiteral("breaker"));
    QCOMPARE(line->text(4), QStringLiteral("circuit closed → open"));
    Q_EMIT session.eventRecorded(
        BenchEvent{26.5, QStringLiteral("breaker"), QStringLiteral("circuit open -> half_open")});
    QCOMPARE(window.alertsLog()->tree()->topLevelItem(0)->text(4),
             QStringLiteral("circuit open → half-open"));
    QCOMPARE(rps->markerCount(), before + 2);
}

void TestMainWindow::firstRunDoesNotOverload() {
    // The console's defaults against the mock's: traffic, but no queue and no alert.
    Session session;
    QVERIFY(startMock(session, MockConfig{}));
    MainWindow window(&session);
    window.benchPanel()->findChild<QComboBox*>(QStringLiteral("presetCombo"))->setCurrentIndex(0);
    QSignalSpy alerts(&session, &Session::alertChanged);
    int snapshots = 0;
    int maxQueued = 0;
    std::int64_t done = 0;
    connect(&session, &Session::snapshot, this, [&](const EngineSnapshot& s) {
        ++snapshots;
        maxQueued = std::max(maxQueued, s.queued - s.waitingBudget);
        done = s.done;
    });
    const Result<void> started = window.startRun();
    QVERIFY2(started.ok(), qPrintable(started.ok() ? QString() : started.error().text()));
    QTRY_VERIFY_WITH_TIMEOUT(snapshots >= 120, 30000); // 12 s of traffic
    QVERIFY2(done >= 30, qPrintable(QString::number(done)));
    QVERIFY2(maxQueued < 10, qPrintable(QString::number(maxQueued)));
    for (const QList<QVariant>& a : alerts) {
        // The adaptive limit follows latency, which a busy test machine inflates: only the
        // alerts that mean overload of the mock count here.
        const QString rule = a.at(0).value<AlertEvent>().rule;
        QVERIFY2(rule.startsWith(QLatin1String("concurrency")), qPrintable(rule));
    }
    window.stopRun();
    window.stopRun();
    QTRY_VERIFY_WITH_TIMEOUT(!session.running(), 20000);
}

void TestMainWindow::windowFitsSmallScreens() {
    const QRect laptop(0, 0, 1366, 768);
    const QSize size = MainWindow::defaultSize(laptop);
    QVERIFY(size.width() <= 1366 - 16 && size.height() <= 768 - 48);
    QCOMPARE(MainWindow::defaultSize(QRect(0, 0, 2560, 1440)), QSize(1440, 900));
    Session session;
    QVERIFY(startMock(session, fastMock()));
    MainWindow window(&session);
    // Nothing holds the window larger than a 1000 x 640 one.
    QVERIFY2(window.minimumSizeHint().width() <= 1000 && window.minimumSizeHint().height() <= 640,
             qPrintable(QStringLiteral("%1x%2")
                            .arg(window.minimumSizeHint().width())
                            .arg(window.minimumSizeHint().height())));
    for (const QSize& s : {size, QSize(1000, 640)}) {
        window.resize(s);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_COMPARE(window.size(), s);
        // The charts reflow rather than squeeze: three columns on a laptop, two at 1000 px.
        QTRY_COMPARE(window.charts()->columns(), s.width() >= 1300 ? 3 : 2);
        for (int c = 0; c < ChartsPanel::ChartCount; ++c) {
            LiveChart* chart = window.charts()->chart(static_cast<ChartsPanel::Chart>(c));
            QVERIFY(chart->width() >= chart->minimumWidth());
            QVERIFY(chart->height() >= chart->minimumHeight());
        }
    }
}

void TestMainWindow::chineseTranslationIsCompiledIn() {
    QTranslator translator;
    QVERIFY(translator.load(QLocale(QStringLiteral("zh_CN")), QStringLiteral("sluice"),
                            QStringLiteral("_"), QStringLiteral(":/i18n")));
    QVERIFY(!translator.isEmpty());
    QCoreApplication::installTranslator(&translator);
    Session session;
    MainWindow window(&session);
    const QString start = window.findChild<QAction*>(QStringLiteral("startAction"))->text();
    // The core's failure labels, alert texts, event kinds and the shipped demos' texts too.
    const QString refused = failureText({FailureKind::ConnectionRefused, 0, {}});
    const QString http = failureText({FailureKind::Http, 503, {}});
    const QString alert = AlertsLog::alertText(QStringLiteral("errors-critical"), {});
    const QString kind = AlertsLog::eventKindText(QStringLiteral("breaker"));
    const QString breaker =
        AlertsLog::eventText(QStringLiteral("breaker"), QStringLiteral("circuit closed -> open"));
    QStringList demoTexts;
    for (const Demo& d : loadDemos()) {
        demoTexts << d.title << d.caption;
        for (const Demo::Step& step : d.steps) {
            demoTexts << step.caption << demoText(step.label);
        }
    }
    QCoreApplication::removeTranslator(&translator);
    QCOMPARE(refused, QStringLiteral("连接被拒绝"));
    QCOMPARE(http, QStringLiteral("HTTP 503"));
    QCOMPARE(alert, QStringLiteral("超过 5% 的请求失败"));
    QCOMPARE(kind, QStringLiteral("熔断器"));
    QCOMPARE(breaker, QStringLiteral("熔断器 关闭 → 打开"));
    int english = 0;
    for (const Demo& d : loadDemos()) {
        english += demoTexts.contains(d.title) + demoTexts.contains(d.caption);
    }
    QCOMPARE(english, 0); // every demo title and caption has its translation
    QVERIFY2(start != QLatin1String("Start") && !start.isEmpty(), qPrintable(start));
    QCOMPARE(start, QStringLiteral("开始"));
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
