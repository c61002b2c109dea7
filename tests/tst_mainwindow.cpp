#include "core/server/mock/mockserver.h"
#include "tests/support/httptestclient.h"
#include "ui/mainwindow.h"

#include <QGroupBox>
#include <QLabel>
#include <QNetworkAccessManager>
#include <QPushButton>
#include <QSpinBox>
#include <QTest>

using namespace sluice;
using namespace sluice::test;

class TestMainWindow final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void showsWhatTheMockSaw();
    void appliesLimitsLive();
    void worksWithoutMock();
};

void TestMainWindow::showsWhatTheMockSaw() {
    MockConfig config;
    config.rpm = 2;
    config.ttftMs = 1;
    config.tpotMs = 1;
    config.tokensMin = config.tokensMax = 3;
    MockServer mock(config);
    QVERIFY(mock.listen());
    MainWindow window(&mock);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QNetworkAccessManager nam;
    const QUrl chat(mock.baseUrl().toString() + QStringLiteral("/v1/chat/completions"));
    for (int i = 0; i < 3; ++i) {
        post(nam, chat, chatBody());
    }
    window.refresh();
    QCOMPARE(window.findChild<QLabel*>(QStringLiteral("requestsValue"))->text(),
             QStringLiteral("3"));
    QCOMPARE(window.findChild<QLabel*>(QStringLiteral("rateLimitedValue"))->text(),
             QStringLiteral("1"));
    QVERIFY(window.findChild<QLabel*>(QStringLiteral("inServiceValue"))
                ->text()
                .endsWith(QStringLiteral("/ 32")));
    const QPixmap shot = window.grab();
    QVERIFY(!shot.isNull());
    QVERIFY(shot.width() >= 600);
    if (qEnvironmentVariableIsSet("SLUICE_SCREENSHOT_DIR")) {
        shot.save(qEnvironmentVariable("SLUICE_SCREENSHOT_DIR") +
                  QStringLiteral("/mainwindow.png"));
    }
}

void TestMainWindow::appliesLimitsLive() {
    MockServer mock;
    QVERIFY(mock.listen());
    MainWindow window(&mock);
    window.findChild<QSpinBox*>(QStringLiteral("capacitySpin"))->setValue(3);
    window.findChild<QSpinBox*>(QStringLiteral("rpmSpin"))->setValue(90);
    QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("applyLimits")),
                      Qt::LeftButton);
    QCOMPARE(mock.config().capacity, 3);
    QCOMPARE(mock.config().rpm, 90);
    // A change made elsewhere (e.g. POST /mock/config) shows in the controls.
    MockConfig other = mock.config();
    other.capacity = 11;
    QVERIFY(!mock.setConfig(other));
    QCOMPARE(window.findChild<QSpinBox*>(QStringLiteral("capacitySpin"))->value(), 11);
}

void TestMainWindow::worksWithoutMock() {
    MainWindow window(nullptr);
    window.show();
    window.refresh();
    QVERIFY(!window.findChild<QGroupBox*>(QStringLiteral("limitsGroup"))->isEnabled());
    QVERIFY(!window.grab().isNull());
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
