#include "ui/usersettings.h"

#include "ui/panels/benchpanel.h"
#include "ui/panels/limitspanel.h"
#include "ui/panels/mockpanel.h"
#include "ui/session.h"

#include <QAbstractSpinBox>
#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QSettings>
#include <QTimer>

namespace sluice {

UserSettings::UserSettings(Session* session, BenchPanel* bench, LimitsPanel* limits,
                           MockPanel* mock, QObject* parent)
    : QObject(parent)
    , m_session(session)
    , m_bench(bench)
    , m_limits(limits)
    , m_mock(mock) {
    // Coalesced, so a spin box held down writes once.
    m_saveTimer = new QTimer(this);
    m_saveTimer->setSingleShot(true);
    m_saveTimer->setInterval(500);
    connect(m_saveTimer, &QTimer::timeout, this, &UserSettings::save);
}

void UserSettings::restore() {
    const QSettings settings;
    const QJsonObject limits =
        QJsonObject::fromVariantMap(settings.value(QStringLiteral("limits")).toMap());
    TrafficLimits l = m_session->limits();
    const bool limitsOk = !limits.isEmpty() && !l.apply(limits);
    const QJsonObject mock =
        QJsonObject::fromVariantMap(settings.value(QStringLiteral("mock")).toMap());
    MockConfig m = m_session->mockConfig();
    const bool mockOk = !mock.isEmpty() && !m.apply(mock) && !m.validate();
    if (m_session->running() && m_session->demoValues()) {
        // A window rebuilt mid-demo: the panels show the demo as it runs; the user's own
        // (saved when the demo began) come back when it ends.
        m_userLimits = limitsOk ? l : m_session->limits();
        m_userMock = mockOk ? m : m_session->mockConfig();
        m_bench->restoreSettings(settings);
        m_userScenario = m_bench->scenarioJson();
        m_bench->showScenario(m_session->scenario());
        m_demoShown = true;
        return;
    }
    m_bench->restoreSettings(settings);
    if (m_session->running()) {
        return; // a rebuilt window (language switch) shows the run as it is
    }
    if (limitsOk) {
        m_session->applyLimits(l);
        m_limits->setLimits(l);
    }
    if (mockOk && m_session->setMockConfig(m)) {
        m_mock->setConfig(m);
    }
}

void UserSettings::watchPanels() {
    connect(m_limits, &LimitsPanel::limitsChanged, this, &UserSettings::scheduleSave);
    connect(m_mock, &MockPanel::configChanged, this, &UserSettings::scheduleSave);
    // The benchmark panel is many plain widgets: any edit of one is a change.
    for (QLineEdit* edit : m_bench->findChildren<QLineEdit*>()) {
        connect(edit, &QLineEdit::editingFinished, this, &UserSettings::scheduleSave);
    }
    for (QAbstractSpinBox* spin : m_bench->findChildren<QAbstractSpinBox*>()) {
        connect(spin, &QAbstractSpinBox::editingFinished, this, &UserSettings::scheduleSave);
    }
    for (QComboBox* combo : m_bench->findChildren<QComboBox*>()) {
        connect(combo, &QComboBox::activated, this, &UserSettings::scheduleSave);
    }
    for (QCheckBox* check : m_bench->findChildren<QCheckBox*>()) {
        connect(check, &QCheckBox::clicked, this, &UserSettings::scheduleSave);
    }
}

void UserSettings::scheduleSave() {
    m_saveTimer->start();
}

void UserSettings::save() {
    m_saveTimer->stop();
    if (m_demoShown) {
        return; // a demo's limits, mock and load are never the user's
    }
    QSettings settings;
    settings.setValue(QStringLiteral("limits"), m_limits->limits().toJson().toVariantMap());
    settings.setValue(QStringLiteral("mock"), m_session->mockConfig().toJson().toVariantMap());
    m_bench->saveSettings(settings);
}

void UserSettings::beginDemo() {
    if (m_demoShown) {
        return;
    }
    // What the user had, written now: whatever happens during the demo (a quit, a crash), the
    // next launch starts from these.
    save();
    m_userLimits = m_limits->limits();
    m_userMock = m_session->mockConfig();
    m_userScenario = m_bench->scenarioJson(); // the key variable stays: a demo does not touch it
    m_demoShown = true;
    m_session->setDemoValues(true);
}

void UserSettings::endDemo() {
    if (!m_demoShown) {
        return;
    }
    m_demoShown = false;
    m_session->setDemoValues(false);
    m_limits->setLimits(m_userLimits);
    if (!m_session->running()) {
        m_session->applyLimits(m_userLimits);
    }
    if (m_session->setMockConfig(m_userMock)) {
        m_mock->setConfig(m_userMock);
    }
    m_bench->loadScenarioJson(m_userScenario);
}

} // namespace sluice
