// The console's demos: the shipped files, playing one with its timed steps, and the user's own
// settings, which a demo shows over but never saves.
#include "tests/support/consolefixture.h"
#include "ui/demos.h"
#include "ui/mainwindow.h"
#include "ui/panels/benchpanel.h"
#include "ui/panels/limitspanel.h"
#include "ui/session.h"

#include <QAction>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QJsonDocument>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>

#include <optional>

using namespace sluice;
using sluice::test::fastMock;
using sluice::test::startMock;

class TestConsoleDemos final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void shippedDemosLoadAndShowInTheMenu();
    void badDemoNamesTheField_data();
    void badDemoNamesTheField();
    void demoPlaysItsSteps();
    void demoShowsItsValuesAndSavesNone();
    void windowRebuiltMidDemoSavesNone();
    void demoEndedGivesTheUsersValuesBack();

private:
    struct UserSettings {
        QVariantMap mock;
        QVariantMap scenario;
    };
    static void startWithUserSettings(Session& session, UserSettings* saved);
    static void verifyUserSettingsKept(const UserSettings& before);
    static void endRun(Session& session);
};

void TestConsoleDemos::initTestCase() {
    QStandardPaths::setTestModeEnabled(true); // settings go to a test location
    QCoreApplication::setOrganizationName(QStringLiteral("SluiceTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_consoledemos"));
}

void TestConsoleDemos::init() {
    QSettings().clear();
}

void TestConsoleDemos::shippedDemosLoadAndShowInTheMenu() {
    Session session;
    MainWindow window(&session);
    QStringList errors;
    const QList<Demo> demos = loadDemos(&errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
    QCOMPARE(demos.size(), 4);
    for (const Demo& d : demos) {
        QVERIFY(!d.caption.isEmpty());
        QVERIFY(!d.steps.empty());
        QVERIFY(d.scenario.useMock);
        QVERIFY(window.findChild<QAction*>(QStringLiteral("demo-") + d.id));
        for (const Demo::Step& s : d.steps) {
            QVERIFY2(!s.caption.isEmpty(), qPrintable(d.id));
            QVERIFY(s.at < d.scenario.duration);
        }
    }
}

void TestConsoleDemos::badDemoNamesTheField_data() {
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("field");
    QTest::newRow("no title") << QByteArray(R"({"steps": []})") << QStringLiteral("title");
    QTest::newRow("step time") << QByteArray(R"({"title": "t", "steps": [{"at": "soon"}]})")
                               << QStringLiteral("steps[0].at");
    QTest::newRow("step load") << QByteArray(
                                      R"({"title": "t", "steps": [{"at": "1s", "load": 0}]})")
                               << QStringLiteral("steps[0].load");
    QTest::newRow("mock setting") << QByteArray(R"({"title": "t", "mock": {"nonsense": 1}})")
                                  << QStringLiteral("mock.nonsense");
}

void TestConsoleDemos::badDemoNamesTheField() {
    QFETCH(QByteArray, json);
    QFETCH(QString, field);
    const Result<Demo> demo =
        Demo::fromJson(QJsonDocument::fromJson(json).object(), QStringLiteral("x"));
    QVERIFY(!demo.ok());
    QCOMPARE(demo.error().kind, Error::Kind::Invalid);
    QCOMPARE(demo.error().field, field);
}

void TestConsoleDemos::demoPlaysItsSteps() {
    // The breaker demo, with its steps brought forward: the outage opens the breaker.
    Session session;
    QVERIFY(startMock(session, fastMock()));
    MainWindow window(&session);
    QStringList errors;
    std::optional<Demo> breaker;
    for (const Demo& d : loadDemos(&errors)) {
        if (d.id.contains(QLatin1String("breaker"))) {
            breaker = d;
        }
    }
    QVERIFY(breaker);
    // 10 requests/s: the outage's 3 s are 30 calls, three times the breaker's minimum.
    breaker->steps[0].at = std::chrono::seconds(1);
    breaker->steps[1].at = std::chrono::seconds(4);
    DemoPlayer player(&session);
    QSignalSpy captions(&player, &DemoPlayer::captionChanged);
    std::optional<CircuitBreaker::State> seen;
    connect(&session, &Session::snapshot, this, [&](const EngineSnapshot& s) {
        if (s.breaker != CircuitBreaker::State::Closed) {
            seen = s.breaker;
        }
    });
    const Result<void> played = player.play(*breaker);
    QVERIFY2(played.ok(), qPrintable(played.ok() ? QString() : played.error().text()));
    QCOMPARE(captions.size(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(seen.has_value(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(captions.size(), 3, 10000);
    QCOMPARE(session.mockConfig().faults.error503, 0.0);
    session.stopRun();
    QTRY_VERIFY_WITH_TIMEOUT(!session.running(), 20000);
    QVERIFY(!player.playing());
}

namespace {

QVariant savedRpm() {
    return QSettings().value(QStringLiteral("limits")).toMap().value(QStringLiteral("rpm"));
}
QVariantMap savedMock() {
    return QSettings().value(QStringLiteral("mock")).toMap();
}
QVariantMap savedScenario() {
    return QSettings().value(QStringLiteral("bench/scenario")).toMap();
}

} // namespace

// The session's mock started, and the user's own settings saved before any demo: an rpm of 1234,
// the mock and the scenario.
void TestConsoleDemos::startWithUserSettings(Session& session, UserSettings* saved) {
    QVERIFY(startMock(session, fastMock()));
    MainWindow window(&session);
    window.findChild<QSpinBox*>(QStringLiteral("rpmSpin"))->setValue(1234);
    QTRY_COMPARE(savedRpm().toInt(), 1234);
    saved->mock = savedMock();
    saved->scenario = savedScenario();
    QVERIFY(!saved->mock.isEmpty());
}

void TestConsoleDemos::verifyUserSettingsKept(const UserSettings& before) {
    QCOMPARE(savedRpm().toInt(), 1234);
    QCOMPARE(savedMock(), before.mock);
    QCOMPARE(savedScenario(), before.scenario);
}

// Stop, then cancel what is still out, and wait for the run to end.
void TestConsoleDemos::endRun(Session& session) {
    session.stopRun();
    session.stopRun();
    QTRY_VERIFY_WITH_TIMEOUT(!session.running(), 20000);
}

void TestConsoleDemos::demoShowsItsValuesAndSavesNone() {
    Session session;
    UserSettings before;
    startWithUserSettings(session, &before);
    if (QTest::currentTestFailed()) {
        return;
    }
    {
        MainWindow window(&session);
        const Result<void> played = window.playDemo(QStringLiteral("2-adaptive-capacity"));
        QVERIFY2(played.ok(), qPrintable(played.ok() ? QString() : played.error().text()));
        QVERIFY(window.showingDemo());
        // The Load panel shows what runs: the demo's closed loop of 64, not the user's profile.
        auto* bench = window.benchPanel();
        QCOMPARE(bench->findChild<QComboBox*>(QStringLiteral("profileCombo"))->currentIndex(), 2);
        QCOMPARE(bench->findChild<QDoubleSpinBox*>(QStringLiteral("loadSpin"))->value(), 64.0);
        QCOMPARE(window.limitsPanel()->limits().adaptiveInitial, 4);
        // A change during the demo is the demo's: quitting right after it writes nothing of it.
        window.findChild<QSpinBox*>(QStringLiteral("maxConcurrencySpin"))->setValue(50);
        window.close();
    }
    verifyUserSettingsKept(before);
    endRun(session);
    QVERIFY(!session.demoValues());
}

void TestConsoleDemos::windowRebuiltMidDemoSavesNone() {
    Session session;
    UserSettings before;
    startWithUserSettings(session, &before);
    if (QTest::currentTestFailed()) {
        return;
    }
    {
        MainWindow window(&session);
        const Result<void> played = window.playDemo(QStringLiteral("2-adaptive-capacity"));
        QVERIFY2(played.ok(), qPrintable(played.ok() ? QString() : played.error().text()));
        window.close();
    }
    {
        // A window rebuilt mid-demo (a language switch) still shows the demo and saves none of
        // it.
        MainWindow rebuilt(&session);
        QVERIFY(rebuilt.showingDemo());
        auto* bench = rebuilt.benchPanel();
        QCOMPARE(bench->findChild<QComboBox*>(QStringLiteral("profileCombo"))->currentIndex(), 2);
        QCOMPARE(bench->findChild<QDoubleSpinBox*>(QStringLiteral("loadSpin"))->value(), 64.0);
        rebuilt.findChild<QSpinBox*>(QStringLiteral("maxConcurrencySpin"))->setValue(40);
        rebuilt.close();
    }
    verifyUserSettingsKept(before);
    endRun(session);
}

void TestConsoleDemos::demoEndedGivesTheUsersValuesBack() {
    Session session;
    UserSettings before;
    startWithUserSettings(session, &before);
    if (QTest::currentTestFailed()) {
        return;
    }
    MainWindow window(&session);
    QCOMPARE(window.limitsPanel()->limits().rpm, 1234);
    const Result<void> played = window.playDemo(QStringLiteral("4-breaker-outage"));
    QVERIFY2(played.ok(), qPrintable(played.ok() ? QString() : played.error().text()));
    QCOMPARE(window.limitsPanel()->limits().rpm, 0);
    QSignalSpy finished(&session, &Session::runFinished);
    window.stopRun();
    QVERIFY(finished.wait(20000));
    QTRY_VERIFY(!window.showingDemo());
    QCOMPARE(window.limitsPanel()->limits().rpm, 1234);
    QCOMPARE(session.limits().rpm, 1234);
    QCOMPARE(savedRpm().toInt(), 1234);
}

QTEST_MAIN(TestConsoleDemos)
#include "tst_consoledemos.moc"
