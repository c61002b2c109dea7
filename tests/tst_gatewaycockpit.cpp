// The console as a gateway's cockpit, driven offscreen: the real window starts its in-process
// gateway in front of the built-in mock, traffic comes from outside the console (a test HTTP
// client on 127.0.0.1), and every chart, the Clients, Keys, Overhead and Request detail views
// show it; a limit lowered in the limits panel caps what the upstream mock itself counts.

#include "core/host/gatewayfeed.h"
#include "tests/support/httptestclient.h"
#include "ui/charts/livechart.h"
#include "ui/gateway/clientsview.h"
#include "ui/gateway/demotraffic.h"
#include "ui/gateway/gatewaycockpit.h"
#include "ui/gateway/keysview.h"
#include "ui/gateway/overheadview.h"
#include "ui/gateway/requestdetailview.h"
#include "ui/gateway/sharedkeydemo.h"
#include "ui/mainwindow.h"
#include "ui/models/requesttablemodel.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/limitspanel.h"
#include "ui/panels/requestspanel.h"
#include "ui/session.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace sluice;

class TestGatewayCockpit final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init() { QSettings().clear(); }
    void parsersReadTheAdminShapes();
    void outsideTrafficFillsEveryView();
    void limitsPanelCapsTheUpstream();
    void sharedKeyDemoPlays();

private:
    static bool startMock(Session& session, MockConfig config);
    static bool startGateway(MainWindow& window, Session& session, GatewayStartOptions options);
    static int mockConcurrent(QNetworkAccessManager& nam, const Session& session);
};

void TestGatewayCockpit::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("SluiceTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_gatewaycockpit"));
}

bool TestGatewayCockpit::startMock(Session& session, MockConfig m) {
    m.rpm = 0;
    m.tpm = 0;
    QSignalSpy started(&session, &Session::mockStarted);
    return session.startMock(m) && (session.mockRunning() || started.wait(5000));
}

bool TestGatewayCockpit::startGateway(MainWindow& window, Session& session,
                                      GatewayStartOptions options) {
    QSignalSpy started(&session.gateway(), &InProcessGatewayFeed::started);
    options.listen = QStringLiteral("127.0.0.1:0");
    options.mock = true;
    if (auto ok = window.cockpit()->startGateway(options); !ok) {
        qWarning() << ok.error().text();
        return false;
    }
    return started.wait(5000) && session.gateway().live();
}

int TestGatewayCockpit::mockConcurrent(QNetworkAccessManager& nam, const Session& session) {
    QUrl url = session.mockBaseUrl();
    url.setPath(QStringLiteral("/mock/stats"));
    return test::get(nam, url).json().value(QStringLiteral("concurrent")).toInt(-1);
}

void TestGatewayCockpit::parsersReadTheAdminShapes() {
    const QJsonObject stats{
        {QStringLiteral("in_flight"), 3},
        {QStringLiteral("limit"), 8},
        {QStringLiteral("config_version"), 4},
        {QStringLiteral("latency"),
         QJsonObject{{QStringLiteral("overhead"), QJsonObject{{QStringLiteral("count"), 10},
                                                              {QStringLiteral("p50_ms"), 0.2},
                                                              {QStringLiteral("p99_ms"), 1.5}}}}},
        {QStringLiteral("clients"),
         QJsonObject{{QStringLiteral("alpha"),
                      QJsonObject{{QStringLiteral("rps"), 2.5}, {QStringLiteral("share"), 0.4}}}}},
        {QStringLiteral("keys"),
         QJsonArray{QJsonObject{{QStringLiteral("key"), QStringLiteral("sk-...abcd")},
                                {QStringLiteral("remaining_requests"), 90},
                                {QStringLiteral("limit_requests"), 100},
                                {QStringLiteral("cooling_ms"), 1200}}}},
    };
    const auto parsed = parseGatewayStats(stats);
    QVERIFY(parsed);
    QCOMPARE(parsed->limit, 8);
    QCOMPARE(parsed->configVersion, 4);
    QCOMPARE(parsed->overheadP99Ms, 1.5);
    QCOMPARE(parsed->clients.size(), 1);
    QCOMPARE(parsed->clients[0].name, QStringLiteral("alpha"));
    QCOMPARE(parsed->clients[0].share, 0.4);
    QCOMPARE(parsed->keys.size(), 1);
    QCOMPARE(*parsed->keys[0].remainingRequests, std::int64_t(90));
    QCOMPARE(parsed->keys[0].coolingMs, 1200.0);
    // A wrong type names its field.
    QJsonObject bad = stats;
    bad.insert(QStringLiteral("limit"), QStringLiteral("eight"));
    const auto refused = parseGatewayStats(bad);
    QVERIFY(!refused);
    QCOMPARE(refused.error().field, QStringLiteral("limit"));
    QVERIFY(!parseGatewayRequest(QJsonObject{{QStringLiteral("state"), QStringLiteral("done")}}));
    const auto update =
        requestUpdateFromJson(QJsonObject{{QStringLiteral("id"), 7},
                                          {QStringLiteral("state"), QStringLiteral("failed")},
                                          {QStringLiteral("failure"), QStringLiteral("http_503")}});
    QCOMPARE(update.id, std::uint64_t(7));
    QCOMPARE(update.state, RequestState::Failed);
    QCOMPARE(update.failure.kind, FailureKind::Http);
    QCOMPARE(update.failure.status, 503);
}

void TestGatewayCockpit::outsideTrafficFillsEveryView() {
    Session session;
    MockConfig mock;
    mock.capacity = 64;
    mock.ttftMs = 30;
    mock.tpotMs = 5;
    mock.tokensMin = 5;
    mock.tokensMax = 10;
    QVERIFY(startMock(session, mock));
    MainWindow window(&session);
    window.resize(1366, 768);
    window.show();

    QTemporaryDir dir;
    QFile clients(dir.filePath(QStringLiteral("clients.json")));
    QVERIFY(clients.open(QIODevice::WriteOnly));
    clients.write(R"([{"name":"alpha","token":"tok-alpha"},{"name":"beta","token":"tok-beta"}])");
    clients.close();
    qputenv("SLUICE_TEST_POOL_KEY", "sk-test-pool-secret-9876");
    GatewayStartOptions options;
    options.keys = GatewayStartOptions::Keys::Environment;
    options.keyEnv = QStringLiteral("SLUICE_TEST_POOL_KEY");
    options.clientsFile = clients.fileName();
    QVERIFY(startGateway(window, session, options));
    const QUrl endpoint(session.gateway().baseUrl() + QStringLiteral("/v1/chat/completions"));
    QVERIFY(endpoint.port() > 0);

    // From outside the console: a plain HTTP client on loopback, two client tokens.
    QNetworkAccessManager nam;
    for (int i = 0; i < 24; ++i) {
        QNetworkRequest request = test::jsonRequest(endpoint, i % 4);
        request.setRawHeader("authorization", i % 2 ? "Bearer tok-alpha" : "Bearer tok-beta");
        const test::Response r = test::waitFor(nam.post(request, test::chatBody()));
        QCOMPARE(r.status, 200);
    }

    ChartsPanel* charts = window.charts();
    for (int c = 0; c < ChartsPanel::ChartCount; ++c) {
        const auto hasPoints = [&] {
            charts->refreshAll();
            LiveChart* chart = charts->chart(static_cast<ChartsPanel::Chart>(c));
            for (int s = 0; s < chart->seriesCount(); ++s) {
                if (chart->pointCount(s) > 0) {
                    return true;
                }
            }
            return false;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(hasPoints(), qPrintable(QString::number(c)), 5000);
    }
    GatewayCockpit* cockpit = window.cockpit();
    QTRY_COMPARE_WITH_TIMEOUT(cockpit->clientsView()->rowCount(), 2, 5000);
    QTableWidget* clientRows = cockpit->clientsView()->table();
    QStringList names{clientRows->item(0, 0)->text(), clientRows->item(1, 0)->text()};
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("alpha"), QStringLiteral("beta")}));
    QTRY_COMPARE_WITH_TIMEOUT(cockpit->keysView()->rowCount(), 1, 5000);
    const QString key = cockpit->keysView()->table()->item(0, KeysView::Key)->text();
    QVERIFY2(key.startsWith(QLatin1String("sk-...")) && key.endsWith(QLatin1String("9876")),
             qPrintable(key));
    QTRY_COMPARE_WITH_TIMEOUT(cockpit->keysView()->table()->item(0, KeysView::Sent)->text(),
                              QStringLiteral("24"), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(
        cockpit->overheadView()->summary().contains(QLatin1String("ms at p99")), 5000);

    // The requests table has the gateway's requests; a selected one tells its story.
    RequestsPanel* requests = window.requestsPanel();
    QTRY_COMPARE_WITH_TIMEOUT(requests->model()->rowCount(), 24, 5000);
    requests->view()->setCurrentIndex(requests->view()->model()->index(0, 0));
    RequestDetailView* detail = cockpit->detailView();
    QVERIFY(detail->shownId() != 0);
    QTRY_VERIFY2_WITH_TIMEOUT(detail->text().contains(QLatin1String("Attempt 1")),
                              qPrintable(detail->text()), 5000);
    QVERIFY2(detail->text().contains(QLatin1String("Ended done")), qPrintable(detail->text()));
    QVERIFY(!detail->timeline()->empty());

    QSignalSpy stopped(&session.gateway(), &InProcessGatewayFeed::stopped);
    cockpit->stopGateway();
    QVERIFY(stopped.wait(5000));
}

void TestGatewayCockpit::limitsPanelCapsTheUpstream() {
    Session session;
    MockConfig mock;
    mock.capacity = 64;
    mock.ttftMs = 120;
    mock.tpotMs = 10;
    mock.tokensMin = 10;
    mock.tokensMax = 10;
    QVERIFY(startMock(session, mock));
    MainWindow window(&session);
    window.show();
    GatewayStartOptions options;
    options.maxConcurrent = 32;
    QVERIFY(startGateway(window, session, options));
    // The panel shows the gateway's limits once it has said them.
    auto* maxSpin =
        window.limitsPanel()->findChild<QSpinBox*>(QStringLiteral("maxConcurrencySpin"));
    QVERIFY(maxSpin);
    QTRY_COMPARE_WITH_TIMEOUT(maxSpin->value(), 32, 5000);

    // 20 callers from outside the console, each its own key passed through.
    DemoTraffic traffic;
    traffic.start(QUrl(session.gateway().baseUrl()),
                  {{QStringLiteral("load"), "sk-caller-own-key-0001", 1, 20}});
    QNetworkAccessManager nam;
    QTRY_VERIFY_WITH_TIMEOUT(mockConcurrent(nam, session) > 8, 10000);

    QSignalSpy config(&session.gateway(), &GatewayFeed::configChanged);
    const int markers = window.charts()->chart(ChartsPanel::Concurrency)->markerCount();
    maxSpin->setValue(4);
    QVERIFY(config.wait(5000));
    QCOMPARE(config.last().at(0).toJsonObject().value(QStringLiteral("max_concurrent")).toInt(), 4);
    QTRY_VERIFY(window.charts()->chart(ChartsPanel::Concurrency)->markerCount() > markers);

    // From 1 s after the change, the mock's own count of open requests never passes 4.
    QElapsedTimer clock;
    clock.start();
    int samples = 0;
    int most = 0;
    while (clock.elapsed() < 3000) {
        const int now = mockConcurrent(nam, session);
        if (clock.elapsed() >= 1000) {
            QVERIFY(now >= 0);
            most = std::max(most, now);
            ++samples;
        }
    }
    traffic.stop();
    QVERIFY2(samples >= 10, qPrintable(QString::number(samples)));
    QVERIFY2(most <= 4, qPrintable(QStringLiteral("mock saw %1 at once").arg(most)));
    QVERIFY(most >= 1); // traffic still flowed
}

void TestGatewayCockpit::sharedKeyDemoPlays() {
    Session session;
    QVERIFY(startMock(session, MockConfig{}));
    MainWindow window(&session);
    window.show();
    QSignalSpy started(&session.gateway(), &InProcessGatewayFeed::started);
    QVERIFY(window.cockpit()->playSharedKeyDemo());
    QVERIFY(started.wait(5000));
    QCOMPARE(session.mockConfig().capacity, 16);
    QTRY_COMPARE_WITH_TIMEOUT(window.cockpit()->clientsView()->rowCount(), 3, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(window.cockpit()->sharedKeyDemo()->traffic()->sent() > 30, 10000);
    QVERIFY(window.findChild<QLabel*>(QStringLiteral("demoCaption"))->isVisibleTo(&window));
    window.cockpit()->sharedKeyDemo()->stop();
    QVERIFY(!window.cockpit()->sharedKeyDemo()->playing());
}

QTEST_MAIN(TestGatewayCockpit)
#include "tst_gatewaycockpit.moc"
