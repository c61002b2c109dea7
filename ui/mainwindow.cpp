#include "ui/mainwindow.h"

#include "ui/attachfeed.h"
#include "ui/demos.h"
#include "ui/followfeed.h"
#include "ui/gateway/gatewaycockpit.h"
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
#include "ui/usersettings.h"

#include <QAction>
#include <QCloseEvent>
#include <QDockWidget>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QToolBar>
#include <QVBoxLayout>

namespace sluice {

namespace {

QScrollArea* scrolled(QWidget* panel, QWidget* parent) {
    auto* area = new QScrollArea(parent);
    area->setWidget(panel);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    area->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    return area;
}

// Kinds of run events that are changes worth a marker on the charts.
bool isMarker(const QString& kind) {
    return kind != QLatin1String("alert") && kind != QLatin1String("end");
}

} // namespace

MainWindow::MainWindow(Session* session, QWidget* parent)
    : QMainWindow(parent)
    , m_session(session) {
    setWindowTitle(tr("Sluice — LLM traffic console"));
    setObjectName(QStringLiteral("mainWindow"));
    m_demos = new DemoPlayer(session, this);

    // Actions (shortcuts live here; the benchmark panel's buttons trigger them).
    m_start = new QAction(tr("Start"), this);
    m_start->setObjectName(QStringLiteral("startAction"));
    m_start->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_start->setToolTip(tr("Start a run with the benchmark panel's target and load (Ctrl+R)."));
    m_start->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    m_pause = new QAction(tr("Pause"), this);
    m_pause->setObjectName(QStringLiteral("pauseAction"));
    m_pause->setCheckable(true);
    m_pause->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    m_pause->setToolTip(tr("Stop offering new requests for now; what is in flight finishes "
                           "(Ctrl+P)."));
    m_pause->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
    m_stop = new QAction(tr("Stop"), this);
    m_stop->setObjectName(QStringLiteral("stopAction"));
    m_stop->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    m_stop->setToolTip(tr("End the run: no new requests, in-flight ones finish, then the results "
                          "(Ctrl+.). Twice: cancel what is still out."));
    m_stop->setIcon(style()->standardIcon(QStyle::SP_MediaStop));
    connect(m_start, &QAction::triggered, this, [this] {
        if (auto started = startRun(); !started) {
            QMessageBox::warning(this, tr("Cannot start"), started.error().text());
        }
    });
    connect(m_pause, &QAction::toggled, m_session, &Session::setPaused);
    connect(m_stop, &QAction::triggered, this, &MainWindow::stopRun);

    // Centre: stats strip, demo caption, charts over the bottom tabs.
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 0);
    layout->setSpacing(4);
    m_stats = new StatsStrip(central);
    layout->addWidget(m_stats);
    m_caption = new QLabel(central);
    m_caption->setObjectName(QStringLiteral("demoCaption"));
    m_caption->setWordWrap(true);
    m_caption->setStyleSheet(QStringLiteral(
        "QLabel { background: #eef4fb; border: 1px solid #b9d0ea; border-radius: 3px; "
        "padding: 4px 8px; color: #1b3a5c; }"));
    m_caption->hide();
    layout->addWidget(m_caption);
    auto* split = new QSplitter(Qt::Vertical, central);
    split->setObjectName(QStringLiteral("centralSplitter"));
    m_charts = new ChartsPanel(split);
    m_bottomTabs = new QTabWidget(split);
    m_bottomTabs->setObjectName(QStringLiteral("bottomTabs"));
    m_requests = new RequestsPanel(m_bottomTabs);
    m_alerts = new AlertsLog(m_bottomTabs);
    m_errors = new ErrorsView(m_bottomTabs);
    m_results = new ResultsView(m_bottomTabs);
    m_bottomTabs->addTab(m_requests, tr("Requests"));
    m_bottomTabs->addTab(m_alerts, tr("Alerts && events"));
    m_bottomTabs->addTab(m_errors, tr("Errors"));
    m_bottomTabs->addTab(m_results, tr("Results"));
    split->addWidget(m_charts);
    split->addWidget(m_bottomTabs);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setSizes({600, 140});
    layout->addWidget(split, 1);
    setCentralWidget(central);

    // Side dock: benchmark, limits, mock.
    auto* dock = new QDockWidget(tr("Controls"), this);
    dock->setObjectName(QStringLiteral("controlsDock"));
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    m_sideTabs = new QTabWidget(dock);
    m_sideTabs->setObjectName(QStringLiteral("sideTabs"));
    m_bench = new BenchPanel;
    m_limits = new LimitsPanel;
    m_mock = new MockPanel;
    m_sideTabs->addTab(scrolled(m_bench, m_sideTabs), tr("Benchmark"));
    m_sideTabs->addTab(scrolled(m_limits, m_sideTabs), tr("Limits"));
    m_sideTabs->addTab(scrolled(m_mock, m_sideTabs), tr("Mock server"));
    dock->setWidget(m_sideTabs);
    dock->setMinimumWidth(330);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    m_bench->setActions(m_start, m_pause, m_stop);

    auto* toolbar = addToolBar(tr("Run"));
    toolbar->setObjectName(QStringLiteral("runToolbar"));
    toolbar->setMovable(false);
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addAction(m_start);
    toolbar->addAction(m_pause);
    toolbar->addAction(m_stop);

    m_statusTarget = new QLabel(this);
    statusBar()->addPermanentWidget(m_statusTarget);
    // The gateway's traffic on the same panels, and its own views (ui/gateway): the in-process
    // gateway's, or the attached one's (the attach feed hands the cockpit its feed).
    m_cockpit = new GatewayCockpit(
        m_session, {m_charts, m_stats, m_requests, m_errors, m_alerts, m_limits, m_bottomTabs},
        this);
    m_attach = new AttachFeed(this, m_session, m_cockpit);
    m_follow = new FollowFeed(this, m_session);

    buildMenus();

    // Wiring.
    connect(m_session, &Session::snapshot, this, &MainWindow::onSnapshot);
    connect(m_session, &Session::requestsUpdated, m_requests, &RequestsPanel::apply);
    connect(m_session, &Session::requestsUpdated, m_charts, &ChartsPanel::addRequestUpdates);
    connect(m_session, &Session::progress, m_bench, &BenchPanel::setProgress);
    connect(m_session, &Session::eventRecorded, this, &MainWindow::onEvent);
    const auto onAlert = [this](const AlertEvent& a) {
        m_charts->applyAlert(a);
        m_stats->applyAlert(a.rule, a.raised, a.severity == AlertRule::Severity::Critical);
        m_alerts->addAlert(a);
        setAlertTabText();
    };
    connect(m_session, &Session::alertChanged, this, onAlert);
    connect(m_cockpit, &GatewayCockpit::alertChanged, this, onAlert);
    connect(m_cockpit, &GatewayCockpit::statusChanged, m_statusTarget, &QLabel::setText);
    connect(m_cockpit, &GatewayCockpit::message, this,
            [this](const QString& text) { statusBar()->showMessage(text, 8000); });
    connect(m_cockpit, &GatewayCockpit::captionChanged, this,
            [this](const QString& title, const QString& caption) {
                m_caption->setText(QStringLiteral("<b>%1</b> — %2")
                                       .arg(title.toHtmlEscaped(), caption.toHtmlEscaped()));
                m_caption->setVisible(!caption.isEmpty());
            });
    connect(m_errors, &ErrorsView::failureCountChanged, this, [this](qint64 count) {
        m_bottomTabs->setTabText(m_bottomTabs->indexOf(m_errors),
                                 count > 0 ? tr("Errors (%1)").arg(QLocale().toString(count))
                                           : tr("Errors"));
    });
    connect(m_session, &Session::limitChanged, m_limits, &LimitsPanel::setCurrentLimit);
    connect(m_session, &Session::runStarted, this, &MainWindow::onRunStarted);
    connect(m_session, &Session::runFinished, this, &MainWindow::onRunFinished);
    connect(m_session, &Session::pausedChanged, this, [this](bool paused) {
        m_bench->setPaused(paused);
        updateActions();
    });
    connect(m_session, &Session::mockStats, m_mock, &MockPanel::setStats);
    connect(m_session, &Session::mockStarted, this, &MainWindow::showMockState);
    connect(m_session, &Session::mockFailed, this, &MainWindow::showMockState);
    connect(m_session, &Session::mockConfigChanged, this, [this](const MockConfig& config) {
        if (!(m_mock->config() == config)) {
            m_mock->setConfig(config);
        }
    });
    connect(m_limits, &LimitsPanel::limitsChanged, this, [this](const TrafficLimits& limits) {
        if (auto valid = limits.validate(); !valid) {
            statusBar()->showMessage(valid.error().text(), 8000);
            return;
        }
        m_session->applyLimits(limits);
        if (!m_session->running() && !m_cockpit->live()) {
            statusBar()->showMessage(tr("Limits saved for the next run."), 4000);
        }
    });
    connect(m_mock, &MockPanel::configChanged, this,
            [this](const MockConfig& config, const QString& label) {
                if (auto applied = m_session->setMockConfig(config, label); !applied) {
                    statusBar()->showMessage(tr("Mock: %1").arg(applied.error().text()), 8000);
                }
            });
    connect(m_bench, &BenchPanel::loadChanged, m_session, &Session::setLoad);
    connect(m_bench, &BenchPanel::targetChanged, this,
            [this](bool mock) { m_sideTabs->setTabEnabled(2, mock && m_session->mockRunning()); });
    connect(m_results, &ResultsView::exportReportRequested, this, &MainWindow::exportReportDialog);
    connect(m_results, &ResultsView::exportChartsRequested, this, &MainWindow::exportChartsDialog);
    connect(m_demos, &DemoPlayer::captionChanged, this, &MainWindow::showCaption);
    connect(m_demos, &DemoPlayer::limitsApplied, m_limits, &LimitsPanel::setLimits);
    connect(m_demos, &DemoPlayer::mockApplied, m_mock, &MockPanel::setConfig);
    connect(m_demos, &DemoPlayer::loadApplied, m_bench, &BenchPanel::setLiveLoad);
    connect(m_demos, &DemoPlayer::finished, this, &MainWindow::onDemoFinished);

    m_limits->setLimits(m_session->limits());
    m_mock->setConfig(m_session->mockConfig());
    showMockState();
    m_userSettings = new UserSettings(m_session, m_bench, m_limits, m_mock, this);
    restoreSettings();
    if (m_session->running()) {
        onRunStarted();
    }
    updateActions();

    // Connected after restoring, so restoring does not write back what was just read.
    m_userSettings->watchPanels();
}

QSize MainWindow::defaultSize(const QRect& available) {
    // Room for the window manager's frame and title bar, which resize() does not count.
    const QSize room = available.size() - QSize(16, 48);
    return QSize(std::min(1440, room.width()), std::min(900, room.height()));
}

MainWindow::~MainWindow() = default;

bool MainWindow::showingDemo() const {
    return m_userSettings->demoShown();
}

void MainWindow::showMockState() {
    const bool running = m_session->mockRunning();
    m_sideTabs->setTabEnabled(2, m_bench->targetIsMock() && running);
    if (running) {
        m_statusTarget->setText(tr("Built-in mock at %1").arg(m_session->mockBaseUrl().toString()));
    } else {
        m_statusTarget->setText(m_session->mockStarting() ? tr("Built-in mock starting")
                                                          : tr("Built-in mock not running"));
    }
}

Result<void> MainWindow::startRun() {
    auto fromPanel = m_bench->scenario();
    if (!fromPanel) {
        return fromPanel.error();
    }
    BenchScenario scenario = std::move(fromPanel).value();
    scenario.limits = m_limits->limits();
    if (auto valid = scenario.limits->validate(); !valid) {
        return valid;
    }
    if (m_demos->playing()) {
        m_demos->stop();
    }
    if (m_userSettings->demoShown()) {
        onDemoFinished();
    }
    m_caption->hide();
    return m_session->startRun(scenario);
}

void MainWindow::stopRun() {
    m_session->stopRun();
}

Result<void> MainWindow::playDemo(const QString& id) {
    for (const Demo& demo : loadDemos()) {
        if (demo.id == id) {
            if (m_session->running()) {
                return Error{
                    Error::Kind::Unavailable, {}, tr("a run is already going: stop it first")};
            }
            onDemoStarted();
            m_bench->showScenario(demo.scenario);
            if (auto played = m_demos->play(demo); !played) {
                onDemoFinished();
                return played;
            }
            m_sideTabs->setCurrentIndex(1);
            return {};
        }
    }
    return Error{Error::Kind::NotFound, {}, tr("no demo called %1").arg(id)};
}

void MainWindow::onDemoStarted() {
    m_userSettings->beginDemo();
}

void MainWindow::onDemoFinished() {
    if (m_userSettings->demoShown()) {
        m_userSettings->endDemo();
        statusBar()->showMessage(tr("Demo over: your limits, mock and load are back."), 6000);
    }
}

void MainWindow::setAlertTabText() {
    const int index = m_bottomTabs->indexOf(m_alerts);
    m_bottomTabs->setTabText(index, m_alerts->alertCount() > 0
                                        ? tr("Alerts && events (%1)").arg(m_alerts->alertCount())
                                        : tr("Alerts && events"));
}

void MainWindow::onRunStarted() {
    m_requests->clear();
    m_results->clear();
    m_errors->clear();
    m_stats->clear();
    m_charts->clearAlerts();
    m_bench->setRunning(true);
    m_charts->addMarker(tr("run started"));
    const BenchScenario& s = m_session->scenario();
    const QString load = QLocale().toString(s.profile.load);
    const QString profile =
        s.profile.kind == LoadProfile::Kind::Closed     ? tr("closed loop, %1 in flight").arg(load)
        : s.profile.kind == LoadProfile::Kind::Constant ? tr("constant %1/s").arg(load)
                                                        : tr("Poisson %1/s").arg(load);
    m_statusTarget->setText(
        tr("Running: %1 → %2")
            .arg(profile, s.useMock
                              ? tr("built-in mock at %1").arg(m_session->mockBaseUrl().toString())
                              : m_bench->targetDescription()));
    updateActions();
}

void MainWindow::onRunFinished(const QJsonObject& summary) {
    m_bench->setRunning(false);
    // A demo's run is over (also one this window did not start: a rebuilt window's).
    onDemoFinished();
    // Nothing is flowing any more: the strip must not go on showing the last second's rates.
    m_stats->setIdle();
    m_results->setSummary(summary);
    m_bottomTabs->setCurrentWidget(m_results);
    m_charts->addMarker(tr("run ended"));
    m_statusTarget->setText(tr("Run finished"));
    updateActions();
}

void MainWindow::onSnapshot(const EngineSnapshot& snapshot) {
    if (!m_session->running()) {
        return; // a late one from a run already over: the strip stays idle
    }
    m_stats->setSnapshot(snapshot);
    m_errors->setSnapshot(snapshot);
    m_charts->addSnapshot(snapshot);
    m_limits->setCurrentLimit(snapshot.limit);
}

void MainWindow::onEvent(const BenchEvent& event) {
    m_alerts->addEvent(event);
    if (event.kind == QLatin1String("start") || !isMarker(event.kind)) {
        return;
    }
    QString label = AlertsLog::eventText(event.kind, event.text);
    if (label.size() > 40) {
        label = label.left(38) + QStringLiteral("…");
    }
    m_charts->addMarker(label);
}

void MainWindow::updateActions() {
    const bool running = m_session->running();
    m_start->setEnabled(!running);
    m_pause->setEnabled(running);
    m_stop->setEnabled(running);
    const QSignalBlocker block(m_pause);
    m_pause->setChecked(running && m_session->paused());
}

void MainWindow::showCaption(const QString& caption) {
    m_caption->setText(QStringLiteral("<b>%1</b> — %2")
                           .arg(m_demos->demo().title.toHtmlEscaped(), caption.toHtmlEscaped()));
    m_caption->setVisible(!caption.isEmpty());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveSettings();
    QMainWindow::closeEvent(event);
}

void MainWindow::saveSettings() {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/chartWindow"), m_charts->window());
    settings.setValue(QStringLiteral("lastDir"), m_lastDir);
    m_userSettings->save();
}

void MainWindow::restoreSettings() {
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    const double window = settings.value(QStringLiteral("window/chartWindow"), 300).toDouble();
    if (window != m_charts->window()) {
        m_charts->setWindow(window);
    }
    m_lastDir = settings.value(QStringLiteral("lastDir")).toString();
    m_userSettings->restore();
}

} // namespace sluice
