// MainWindow, continued: the menu bar, and the scenario and export actions of its File menu.
#include "ui/mainwindow.h"

#include "core/bench/report/reportfiles.h"
#include "ui/attachdialog.h"
#include "ui/attachfeed.h"
#include "ui/demos.h"
#include "ui/followdialog.h"
#include "ui/followfeed.h"
#include "ui/gateway/gatewaycockpit.h"
#include "ui/panels/benchpanel.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/limitspanel.h"
#include "ui/panels/mockpanel.h"
#include "ui/session.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QFile>
#include <QFileDialog>
#include <QJsonDocument>
#include <QMenuBar>
#include <QMessageBox>
#include <QSaveFile>
#include <QSettings>
#include <QStatusBar>

namespace sluice {

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open scenario…"), this, &MainWindow::openScenario);
    open->setShortcut(QKeySequence::Open);
    QAction* save = file->addAction(tr("&Save scenario…"), this, &MainWindow::saveScenario);
    save->setShortcut(QKeySequence::Save);
    file->addSeparator();
    file->addAction(tr("Export &report…"), this, &MainWindow::exportReportDialog)
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    file->addAction(tr("Export &charts as PNG…"), this, &MainWindow::exportChartsDialog);
    file->addSeparator();
    file->addAction(tr("&Quit"), this, &QWidget::close)->setShortcut(QKeySequence::Quit);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    run->addAction(m_start);
    run->addAction(m_pause);
    run->addAction(m_stop);
    run->addSeparator();
    QAction* follow =
        run->addAction(tr("&Follow a distributed run…"), this, &MainWindow::followDialog);
    follow->setObjectName(QStringLiteral("followAction"));
    follow->setToolTip(tr("Draw a run of 'sluice bench --agent' processes, merged, as they "
                          "publish it to Redis."));
    QAction* unfollow = run->addAction(tr("Stop &following"), m_follow, &FollowFeed::stop);
    unfollow->setObjectName(QStringLiteral("unfollowAction"));
    connect(run, &QMenu::aboutToShow, unfollow,
            [this, unfollow] { unfollow->setEnabled(m_follow->following()); });

    // One Gateway menu: Start here…, Attach…, Stop gateway, Detach, … (the cockpit's, with the
    // attach actions put beside its own).
    QMenu* gateway = m_cockpit->menu();
    menuBar()->addMenu(gateway);
    auto* attach = new QAction(tr("&Attach…"), gateway);
    attach->setObjectName(QStringLiteral("attachAction"));
    attach->setToolTip(tr("Follow a 'sluice gateway' running elsewhere through its admin API."));
    connect(attach, &QAction::triggered, this, &MainWindow::attachDialog);
    auto* detach = new QAction(tr("&Detach"), gateway);
    detach->setObjectName(QStringLiteral("detachAction"));
    connect(detach, &QAction::triggered, m_attach, &AttachFeed::detach);
    m_cockpit->addAttachActions(attach, detach);
    connect(gateway, &QMenu::aboutToShow, detach, [this, detach] {
        detach->setEnabled(m_attach->client()->state() != AttachClient::State::Detached);
    });

    QMenu* demos = menuBar()->addMenu(tr("&Demos"));
    QStringList errors;
    for (const Demo& demo : loadDemos(&errors)) {
        QAction* a = demos->addAction(demo.title);
        a->setToolTip(demo.caption);
        a->setStatusTip(demo.caption);
        a->setObjectName(QStringLiteral("demo-") + demo.id);
        const QString id = demo.id;
        connect(a, &QAction::triggered, this, [this, id] {
            if (auto played = playDemo(id); !played) {
                QMessageBox::warning(this, tr("Cannot start the demo"), played.error().text());
            }
        });
    }
    for (const QString& e : errors) {
        qWarning("demo not loaded: %s", qPrintable(e));
    }

    QMenu* view = menuBar()->addMenu(tr("&View"));
    auto* windows = new QActionGroup(this);
    const std::pair<QString, int> choices[] = {{tr("Last minute"), 60},
                                               {tr("Last 5 minutes"), 300},
                                               {tr("Last 15 minutes"), 900},
                                               {tr("Last hour"), 3600}};
    int key = Qt::Key_1;
    for (const auto& [label, seconds] : choices) {
        QAction* a = view->addAction(label);
        a->setCheckable(true);
        a->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(key++)));
        a->setChecked(seconds == static_cast<int>(m_charts->window()));
        windows->addAction(a);
        const int s = seconds;
        connect(a, &QAction::triggered, this, [this, s] { m_charts->setWindow(s); });
    }
    view->addSeparator();
    QAction* freeze = view->addAction(tr("&Freeze charts"));
    freeze->setCheckable(true);
    freeze->setShortcut(QKeySequence(Qt::Key_F9));
    connect(freeze, &QAction::toggled, m_charts, &ChartsPanel::setPaused);

    QMenu* language = menuBar()->addMenu(tr("&Language"));
    auto* languages = new QActionGroup(this);
    const QString current = QSettings().value(QStringLiteral("language")).toString();
    const std::pair<QString, QString> langs[] = {
        {tr("System default"), QString()},
        {QStringLiteral("English"), QStringLiteral("en")},
        {QStringLiteral("简体中文"), QStringLiteral("zh_CN")}};
    for (const auto& [label, locale] : langs) {
        QAction* a = language->addAction(label);
        a->setCheckable(true);
        a->setChecked(locale == current);
        a->setObjectName(QStringLiteral("language-") +
                         (locale.isEmpty() ? QStringLiteral("system") : locale));
        languages->addAction(a);
        const QString l = locale;
        connect(a, &QAction::triggered, this, [this, l] { Q_EMIT languageChangeRequested(l); });
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Sluice"), this, [this] {
        QMessageBox::about(
            this, tr("About Sluice"),
            tr("<b>Sluice %1</b><br>A console for LLM API traffic: load-test a key, keep traffic "
               "inside its limits, and watch it live.")
                .arg(QCoreApplication::applicationVersion()));
    });
}

void MainWindow::saveScenario() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save scenario"), m_lastDir,
                                                      tr("Scenario files (*.json)"));
    if (path.isEmpty()) {
        return;
    }
    QJsonObject json = m_bench->scenarioJson();
    json.insert(QStringLiteral("traffic"), m_limits->limits().toJson());
    if (m_bench->targetIsMock()) {
        json.insert(QStringLiteral("mock"), m_session->mockConfig().toJson());
    }
    QSaveFile file(path);
    const QByteArray bytes = QJsonDocument(json).toJson(QJsonDocument::Indented);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        QMessageBox::warning(this, tr("Cannot save"), file.errorString());
        return;
    }
    m_lastDir = QFileInfo(path).absolutePath();
    statusBar()->showMessage(tr("Scenario saved to %1").arg(path), 5000);
}

void MainWindow::openScenario() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open scenario"), m_lastDir,
                                                      tr("Scenario files (*.json)"));
    if (path.isEmpty()) {
        return;
    }
    QFile file(path);
    QJsonParseError parseError;
    const QJsonDocument doc = file.open(QIODevice::ReadOnly)
                                  ? QJsonDocument::fromJson(file.readAll(), &parseError)
                                  : QJsonDocument();
    if (!doc.isObject()) {
        QMessageBox::warning(this, tr("Cannot open scenario"),
                             file.error() != QFile::NoError ? file.errorString()
                                                            : parseError.errorString());
        return;
    }
    QJsonObject json = doc.object();
    const QString baseDir = QFileInfo(path).absolutePath();
    if (json.value(QStringLiteral("traffic")).isObject()) {
        TrafficLimits limits = m_limits->limits();
        if (auto applied = limits.apply(json.value(QStringLiteral("traffic")).toObject());
            !applied) {
            QMessageBox::warning(this, tr("Cannot open scenario"), applied.error().text());
            return;
        }
        m_limits->setLimits(limits);
        m_session->applyLimits(limits);
    }
    json.remove(QStringLiteral("traffic"));
    if (json.value(QStringLiteral("mock")).isObject()) {
        MockConfig mock = m_session->mockConfig();
        if (auto applied = mock.apply(json.value(QStringLiteral("mock")).toObject()); !applied) {
            QMessageBox::warning(this, tr("Cannot open scenario"),
                                 tr("mock: %1").arg(applied.error().text()));
            return;
        }
        (void)m_session->setMockConfig(mock); // valid: apply() checked it
        m_mock->setConfig(mock);
        json.insert(QStringLiteral("mock"), true);
    }
    if (auto loaded = m_bench->loadScenarioJson(json, baseDir); !loaded) {
        QMessageBox::warning(this, tr("Cannot open scenario"), loaded.error().text());
        return;
    }
    m_lastDir = baseDir;
    statusBar()->showMessage(tr("Scenario loaded from %1").arg(path), 5000);
}

Result<void> MainWindow::exportReport(const QString& dir) {
    if (m_session->lastSummary().isEmpty()) {
        return Error{Error::Kind::NotFound, {}, tr("no run has finished yet")};
    }
    return writeReport(dir, m_session->lastSummary(), m_session->lastSeries());
}

void MainWindow::exportReportDialog() {
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("Export report into"), m_lastDir);
    if (dir.isEmpty()) {
        return;
    }
    if (auto exported = exportReport(dir); !exported) {
        QMessageBox::warning(this, tr("Cannot export"), exported.error().text());
        return;
    }
    m_lastDir = dir;
    statusBar()->showMessage(tr("Report written to %1").arg(dir), 5000);
}

void MainWindow::exportChartsDialog() {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Save charts"), m_lastDir, tr("PNG images (*.png)"));
    if (path.isEmpty()) {
        return;
    }
    if (!m_charts->renderImage().save(path, "PNG")) {
        QMessageBox::warning(this, tr("Cannot save"), tr("Could not write %1").arg(path));
        return;
    }
    m_lastDir = QFileInfo(path).absolutePath();
    statusBar()->showMessage(tr("Charts saved to %1").arg(path), 5000);
}

void MainWindow::followDialog() {
    FollowDialog dialog(this);
    if (!m_follow->runId().isEmpty()) {
        dialog.setUrl(m_follow->url());
        dialog.setRunId(m_follow->runId());
    }
    if (dialog.exec() != QDialog::Accepted) {
        return;
    }
    if (auto followed = m_follow->follow(dialog.url(), dialog.runId()); !followed) {
        QMessageBox::warning(this, tr("Cannot follow the run"), followed.error().text());
    }
}

void MainWindow::attachDialog() {
    AttachDialog dialog(this);
    if (m_attach->client()->state() != AttachClient::State::Detached) {
        dialog.setUrl(m_attach->client()->url().toString());
    }
    if (dialog.exec() != QDialog::Accepted) {
        return;
    }
    if (auto attached = m_attach->attach(dialog.url(), dialog.token()); !attached) {
        QMessageBox::warning(this, tr("Cannot attach"), attached.error().text());
    }
}

} // namespace sluice
