// The real window attached to a real `sluice gateway` process (the built binary, on a free
// loopback port, in front of a mock in this process): traffic sent through it from the test
// shows on the charts and in the requests table; a limit changed in the limits panel reaches
// the gateway and is a marker; killing the process says "disconnected" within 2 s, and the
// gateway back on the same port is followed again.
#include "core/host/attachclient.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/httptestclient.h"
#include "tests/support/mockfixture.h"
#include "ui/attachfeed.h"
#include "ui/charts/livechart.h"
#include "ui/mainwindow.h"
#include "ui/models/requesttablemodel.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/limitspanel.h"
#include "ui/panels/requestspanel.h"
#include "ui/session.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QLabel>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTest>

using namespace sluice;

class TestAttachGui final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void attachedWindowFollowsTheGatewayProcess();

private:
    static quint16 freePort() {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost);
        return probe.serverPort();
    }
    /// Starts `sluice gateway` on `port` in front of the mock; true once it says it listens.
    bool startGateway(quint16 port) {
        m_gateway.start(QStringLiteral(SLUICE_BINARY),
                        {QStringLiteral("gateway"), QStringLiteral("--listen"),
                         QStringLiteral("127.0.0.1:%1").arg(port), QStringLiteral("--upstream"),
                         m_mock->baseUrl().toString() + QStringLiteral("/v1"),
                         QStringLiteral("--max-concurrent"), QStringLiteral("8")});
        QString banner;
        return test::runUntil(
            [&] {
                banner += QString::fromLocal8Bit(m_gateway.readAllStandardOutput());
                return banner.contains(QLatin1String("Sluice gateway on"));
            },
            10000);
    }
    /// `count` chat requests through the gateway, without waiting for their answers.
    void sendThrough(quint16 port, int count) {
        const QUrl chat(QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(port));
        for (int i = 0; i < count; ++i) {
            QNetworkReply* reply =
                m_nam.post(test::jsonRequest(chat, i % 4), test::chatBody(QStringLiteral("hi")));
            connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
        }
    }

    std::unique_ptr<MockServer> m_mock;
    QProcess m_gateway;
    QNetworkAccessManager m_nam;
};

void TestAttachGui::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("SluiceTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_attachgui"));
    QSettings().clear();
}

void TestAttachGui::cleanup() {
    if (m_gateway.state() != QProcess::NotRunning) {
        m_gateway.kill();
        m_gateway.waitForFinished(5000);
    }
}

void TestAttachGui::attachedWindowFollowsTheGatewayProcess() {
    // Each answer takes ~250 ms, so requests overlap and the concurrency chart has something.
    m_mock = std::make_unique<MockServer>(test::unlimitedMock(100, 10, 15));
    QVERIFY(m_mock->listen());
    const quint16 port = freePort();
    QVERIFY(startGateway(port));

    Session session;
    MainWindow window(&session);
    window.resize(1280, 800);
    window.show();
    AttachFeed* feed = window.attachFeed();
    AttachClient* client = feed->client();
    QVERIFY(!feed->attach(QStringLiteral("no such address::"), {}).ok());
    QVERIFY(feed->attach(QStringLiteral("127.0.0.1:%1").arg(port), {}).ok());
    QVERIFY(test::runUntil([&] { return client->state() == AttachClient::State::Attached; }, 5000));
    QVERIFY(feed->statusLabel()->isVisible());
    QVERIFY2(feed->statusLabel()->text().contains(QLatin1String("Attached")),
             qPrintable(feed->statusLabel()->text()));
    // The gateway's limits are in the panel.
    QCOMPARE(window.limitsPanel()->limits().maxConcurrency, 8);

    // Traffic from outside the console: points on the charts, rows in the table.
    sendThrough(port, 40);
    ChartsPanel* charts = window.charts();
    QVERIFY(test::runUntil(
        [&] {
            charts->refreshAll();
            return charts->chart(ChartsPanel::Rps)->pointCount(ChartsPanel::Sent) > 2 &&
                   charts->chart(ChartsPanel::Latency)->pointCount(ChartsPanel::E2eP50) > 0 &&
                   charts->chart(ChartsPanel::Tokens)->pointCount(ChartsPanel::TokensOut) > 0 &&
                   window.requestsPanel()->model()->rowCount() >= 40;
        },
        15000));
    QVERIFY(charts->chart(ChartsPanel::Concurrency)->pointCount(ChartsPanel::InFlight) > 2);
    // They went through the gateway to the mock.
    QVERIFY(test::runUntil(
        [&] { return m_mock->statsJson().value(QStringLiteral("requests")).toDouble() >= 40; },
        15000));

    // A limit changed in the panel goes to the gateway and is drawn as a marker.
    const int markers = charts->chart(ChartsPanel::Concurrency)->markerCount();
    QSignalSpy configs(client, &AttachClient::configChanged);
    auto* spin = window.limitsPanel()->findChild<QSpinBox*>(QStringLiteral("maxConcurrencySpin"));
    QVERIFY(spin);
    spin->setValue(3);
    QVERIFY(test::runUntil([&] { return client->config() && client->config()->maxConcurrent == 3; },
                           5000));
    QVERIFY(charts->chart(ChartsPanel::Concurrency)->markerCount() > markers);

    // The process dies: "disconnected" within 2 s.
    QElapsedTimer lost;
    lost.start();
    m_gateway.kill();
    QVERIFY(test::runUntil(
        [&] { return feed->statusLabel()->text().contains(QLatin1String("disconnected")); }, 2000));
    QVERIFY2(lost.elapsed() < 2000, qPrintable(QString::number(lost.elapsed())));
    // Its end may have been seen already while the window was watched.
    QVERIFY(m_gateway.state() == QProcess::NotRunning || m_gateway.waitForFinished(5000));

    // Back on the same port: attached again by itself.
    QVERIFY(startGateway(port));
    QVERIFY(test::runUntil([&] { return client->state() == AttachClient::State::Attached; }, 5000));
    QVERIFY(feed->statusLabel()->text().contains(QLatin1String("Attached")));
    sendThrough(port, 5);
    const int before = charts->chart(ChartsPanel::Rps)->pointCount(ChartsPanel::Sent);
    QVERIFY(test::runUntil(
        [&] {
            charts->refreshAll();
            return charts->chart(ChartsPanel::Rps)->pointCount(ChartsPanel::Sent) > before;
        },
        5000));
    if (qEnvironmentVariableIsSet("SLUICE_SCREENSHOT_DIR")) {
        charts->refreshAll();
        QVERIFY(window.grab().save(qEnvironmentVariable("SLUICE_SCREENSHOT_DIR") +
                                   QStringLiteral("/attach-test.png")));
    }
}

QTEST_MAIN(TestAttachGui)
#include "tst_attachgui.moc"
