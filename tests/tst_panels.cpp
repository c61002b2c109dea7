#include "tests/support/panelsupport.h"
#include "ui/models/requesttablemodel.h"
#include "ui/panels/errorsview.h"
#include "ui/panels/limitspanel.h"
#include "ui/panels/mockpanel.h"
#include "ui/panels/requestspanel.h"
#include "ui/panels/statsstrip.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QLabel>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTest>
#include <QVBoxLayout>

using namespace sluice;
using sluice::test::child;
using sluice::test::sampleSnapshot;
using namespace std::chrono_literals;
using Algorithm = ConcurrencyConfig::Algorithm;

namespace {

TrafficLimits sampleLimits() {
    TrafficLimits l;
    l.rpm = 600;
    l.tpm = 90'000;
    l.algorithm = Algorithm::Gradient;
    l.maxConcurrency = 64;
    l.adaptiveMin = 4;
    l.adaptiveInitial = 16;
    l.queueCapacity = 500;
    l.requestTimeout = 30s;
    l.retries = 3;
    l.retryBaseDelay = 250ms;
    l.breakerEnabled = true;
    l.breakerFailureRate = 0.25;
    l.breakerMinimumCalls = 20;
    l.breakerOpenDuration = 7500ms;
    l.followServerLimits = true;
    return l;
}

// Every control explains itself and can be found by name.
void checkNamesAndTips(QWidget* panel) {
    const auto controls = panel->findChildren<QWidget*>();
    int checked = 0;
    for (QWidget* w : controls) {
        if (!qobject_cast<QAbstractSpinBox*>(w) && !qobject_cast<QComboBox*>(w) &&
            !qobject_cast<QAbstractButton*>(w)) {
            continue;
        }
        if (qobject_cast<QAbstractSpinBox*>(w->parentWidget())) {
            continue; // a spin box's own line edit or buttons
        }
        QVERIFY2(!w->objectName().isEmpty(), w->metaObject()->className());
        QVERIFY2(!w->toolTip().isEmpty(), qPrintable(w->objectName()));
        ++checked;
    }
    QVERIFY(checked > 0);
}

} // namespace

class TestPanels final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void limitsRoundTrip();
    void limitsEditEmitsOnce();
    void adaptiveFieldsFollowAlgorithm();
    void adaptiveRangesFollowMaximum();
    void currentLimit();
    void limitsNamesAndTips();

    void mockRoundTrip();
    void halveAndRestoreCapacity();
    void inject503();
    void faultTotalNeverExceedsOne();
    void mockStats();
    void mockNamesAndTips();

    void errorsViewByReason();
    void requestsFollowUnlessScrolled();
    void fitTheirPlaces();
};

void TestPanels::limitsRoundTrip() {
    LimitsPanel panel;
    QSignalSpy spy(&panel, &LimitsPanel::limitsChanged);
    const TrafficLimits l = sampleLimits();
    panel.setLimits(l);
    QCOMPARE(spy.count(), 0);
    QVERIFY(panel.limits() == l);

    TrafficLimits fixed;
    fixed.maxConcurrency = 8;
    fixed.rpm = 0;
    panel.setLimits(fixed);
    QVERIFY(panel.limits() == fixed);
    QCOMPARE(child<QSpinBox>(&panel, "rpmSpin")->text(), QStringLiteral("off"));
    QCOMPARE(spy.count(), 0);
}

void TestPanels::limitsEditEmitsOnce() {
    LimitsPanel panel;
    panel.setLimits(sampleLimits());
    QSignalSpy spy(&panel, &LimitsPanel::limitsChanged);

    auto* max = child<QSpinBox>(&panel, "maxConcurrencySpin");
    QVERIFY(max);
    max->setValue(48);
    QCOMPARE(spy.count(), 1);
    const auto emitted = spy.takeFirst().at(0).value<TrafficLimits>();
    QCOMPARE(emitted.maxConcurrency, 48);
    QCOMPARE(emitted.rpm, std::int64_t{600});
    QVERIFY(panel.limits() == emitted);

    max->setValue(48); // no change, no signal
    QCOMPARE(spy.count(), 0);

    child<QCheckBox>(&panel, "breakerCheck")->setChecked(false);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.takeFirst().at(0).value<TrafficLimits>().breakerEnabled, false);

    child<QSpinBox>(&panel, "rpmSpin")->setValue(0);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.takeFirst().at(0).value<TrafficLimits>().rpm, std::int64_t{0});

    child<QDoubleSpinBox>(&panel, "timeoutSpin")->setValue(12.5);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.takeFirst().at(0).value<TrafficLimits>().requestTimeout, Nanos{12500ms});
}

void TestPanels::adaptiveFieldsFollowAlgorithm() {
    LimitsPanel panel;
    TrafficLimits l;
    l.algorithm = Algorithm::Fixed;
    panel.setLimits(l);
    auto* min = child<QSpinBox>(&panel, "adaptiveMinSpin");
    auto* initial = child<QSpinBox>(&panel, "adaptiveInitialSpin");
    QVERIFY(!min->isEnabled());
    QVERIFY(!initial->isEnabled());

    QSignalSpy spy(&panel, &LimitsPanel::limitsChanged);
    auto* combo = child<QComboBox>(&panel, "algorithmCombo");
    combo->setCurrentIndex(combo->findData(static_cast<int>(Algorithm::Aimd)));
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.takeFirst().at(0).value<TrafficLimits>().algorithm, Algorithm::Aimd);
    QVERIFY(min->isEnabled());
    QVERIFY(initial->isEnabled());

    l.algorithm = Algorithm::Combined;
    panel.setLimits(l);
    QVERIFY(min->isEnabled());
    l.algorithm = Algorithm::Fixed;
    panel.setLimits(l);
    QVERIFY(!min->isEnabled());
    QCOMPARE(spy.count(), 0);
}

void TestPanels::adaptiveRangesFollowMaximum() {
    LimitsPanel panel;
    TrafficLimits l = sampleLimits(); // adaptive, 4..64 starting at 16
    l.adaptiveMin = 10;
    panel.setLimits(l);
    QSignalSpy spy(&panel, &LimitsPanel::limitsChanged);
    child<QSpinBox>(&panel, "maxConcurrencySpin")->setValue(5);
    QCOMPARE(spy.count(), 1);
    const auto emitted = spy.takeFirst().at(0).value<TrafficLimits>();
    QCOMPARE(emitted.adaptiveMin, 5);
    QCOMPARE(emitted.adaptiveInitial, 5);
    QVERIFY(emitted.validate());

    // Fixed leaves the adaptive fields alone; switching to adaptive brings them into range.
    TrafficLimits fixed;
    fixed.maxConcurrency = 8;
    fixed.adaptiveMin = 2;
    fixed.adaptiveInitial = 20;
    panel.setLimits(fixed);
    QCOMPARE(panel.limits().adaptiveInitial, 20);
    auto* combo = child<QComboBox>(&panel, "algorithmCombo");
    combo->setCurrentIndex(combo->findData(static_cast<int>(Algorithm::Combined)));
    QCOMPARE(spy.count(), 1);
    const auto adaptive = spy.takeFirst().at(0).value<TrafficLimits>();
    QCOMPARE(adaptive.adaptiveMin, 2);
    QCOMPARE(adaptive.adaptiveInitial, 8);
    QVERIFY(adaptive.validate());
}

void TestPanels::currentLimit() {
    LimitsPanel panel;
    auto* label = child<QLabel>(&panel, "currentLimitLabel");
    QVERIFY(label);
    panel.setCurrentLimit(23);
    QVERIFY2(label->text().contains(QStringLiteral("23")), qPrintable(label->text()));
    panel.setCurrentLimit(100000);
    QVERIFY2(label->text().contains(QChar(0x221E)), qPrintable(label->text()));
}

void TestPanels::limitsNamesAndTips() {
    LimitsPanel panel;
    checkNamesAndTips(&panel);
    for (const char* name :
         {"rpmSpin", "tpmSpin", "algorithmCombo", "maxConcurrencySpin", "adaptiveMinSpin",
          "adaptiveInitialSpin", "queueSpin", "timeoutSpin", "retriesSpin", "retryDelaySpin",
          "breakerCheck", "breakerRateSpin", "breakerMinCallsSpin", "breakerOpenSpin",
          "followServerCheck", "currentLimitLabel"}) {
        QVERIFY2(panel.findChild<QWidget*>(QLatin1String(name)), name);
    }
}

void TestPanels::mockRoundTrip() {
    MockPanel panel;
    QSignalSpy spy(&panel, &MockPanel::configChanged);
    MockConfig c;
    c.capacity = 12;
    c.rpm = 0;
    c.tpm = 50'000;
    c.ttftMs = 350;
    c.tpotMs = 15;
    c.tokensMin = 20;
    c.tokensMax = 80;
    c.jitter = 0.2;
    c.seed = 7;
    c.stallMs = 1234;
    c.faults.error500 = 0.05;
    c.faults.reset = 0.01;
    c.faults.quota = 0.1;
    panel.setConfig(c);
    QCOMPARE(spy.count(), 0);
    QVERIFY(panel.config() == c);

    panel.findChild<QSpinBox*>(QStringLiteral("mockTtftSpin"))->setValue(500);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).value<MockConfig>().ttftMs, 500);
    QVERIFY(spy.at(0).at(1).toString().isEmpty());
    QCOMPARE(spy.at(0).at(0).value<MockConfig>().seed, std::uint64_t{7}); // kept
}

void TestPanels::halveAndRestoreCapacity() {
    MockPanel panel;
    MockConfig c;
    c.capacity = 32;
    panel.setConfig(c);
    QSignalSpy spy(&panel, &MockPanel::configChanged);
    auto* halve = child<QPushButton>(&panel, "halveCapacityButton");
    auto* restore = child<QPushButton>(&panel, "restoreCapacityButton");
    QVERIFY(!restore->isEnabled());

    halve->click();
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).value<MockConfig>().capacity, 16);
    QVERIFY(!spy.at(0).at(1).toString().isEmpty());
    QCOMPARE(child<QSpinBox>(&panel, "mockCapacitySpin")->value(), 16);
    QVERIFY(restore->isEnabled());

    halve->click();
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(1).at(0).value<MockConfig>().capacity, 8);

    restore->click(); // back to before the first halving
    QCOMPARE(spy.count(), 3);
    QCOMPARE(spy.at(2).at(0).value<MockConfig>().capacity, 32);
    QVERIFY(!spy.at(2).at(1).toString().isEmpty());
    QCOMPARE(panel.config().capacity, 32);
    QVERIFY(!restore->isEnabled());
}

void TestPanels::inject503() {
    MockPanel panel;
    QSignalSpy spy(&panel, &MockPanel::configChanged);
    child<QPushButton>(&panel, "inject503Button")->click();
    QCOMPARE(spy.count(), 1);
    const auto c = spy.at(0).at(0).value<MockConfig>();
    QCOMPARE(c.faults.error503, 0.3);
    QCOMPARE(c.faults.total(), 0.3);
    QVERIFY(spy.at(0).at(1).toString().contains(QStringLiteral("30")));
    QCOMPARE(child<QDoubleSpinBox>(&panel, "fault503Spin")->value(), 30.0);

    child<QPushButton>(&panel, "outageButton")->click();
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(1).at(0).value<MockConfig>().faults.error503, 1.0);

    child<QPushButton>(&panel, "clearFaultsButton")->click();
    QCOMPARE(spy.count(), 3);
    QCOMPARE(spy.at(2).at(0).value<MockConfig>().faults, MockFaults{});
    QVERIFY(!spy.at(2).at(1).toString().isEmpty());
}

void TestPanels::faultTotalNeverExceedsOne() {
    MockPanel panel;
    QSignalSpy spy(&panel, &MockPanel::configChanged);
    auto* note = child<QLabel>(&panel, "faultNoteLabel");
    child<QDoubleSpinBox>(&panel, "fault500Spin")->setValue(80);
    QCOMPARE(spy.count(), 1);
    QVERIFY(!note->isVisibleTo(&panel));

    auto* f503 = child<QDoubleSpinBox>(&panel, "fault503Spin");
    f503->setValue(50); // only 20% left
    QCOMPARE(spy.count(), 2);
    QCOMPARE(f503->value(), 20.0);
    QVERIFY(note->isVisibleTo(&panel));
    QVERIFY(panel.config().faults.total() <= 1 + 1e-9);
    QVERIFY(panel.config().validate());

    child<QDoubleSpinBox>(&panel, "faultResetSpin")->setValue(10); // nothing left: no change
    QCOMPARE(child<QDoubleSpinBox>(&panel, "faultResetSpin")->value(), 0.0);
    QCOMPARE(spy.count(), 2);

    child<QDoubleSpinBox>(&panel, "fault500Spin")->setValue(60);
    QCOMPARE(spy.count(), 3);
    QVERIFY(!note->isVisibleTo(&panel));
    child<QPushButton>(&panel, "inject503Button")->click(); // 30% asked, 40% left
    QCOMPARE(panel.config().faults.error503, 0.3);
    child<QDoubleSpinBox>(&panel, "fault500Spin")->setValue(90); // 70% left
    QCOMPARE(panel.config().faults.error500, 0.7);
    QVERIFY(panel.config().faults.total() <= 1 + 1e-9);

    // A config from outside that adds up to more is lowered too.
    MockConfig bad;
    bad.faults.error500 = 0.8;
    bad.faults.error503 = 0.7;
    panel.setConfig(bad);
    QVERIFY(panel.config().faults.total() <= 1 + 1e-9);
    QVERIFY(note->isVisibleTo(&panel));
    for (const QVariantList& args : std::as_const(spy)) {
        QVERIFY(args.at(0).value<MockConfig>().faults.total() <= 1 + 1e-9);
    }
}

void TestPanels::mockStats() {
    MockPanel panel;
    QJsonObject byStatus{{QStringLiteral("200"), 2}, {QStringLiteral("429"), 1}};
    QJsonObject window{{QStringLiteral("requests_now"), 2}, {QStringLiteral("rpm_limit"), 2}};
    const QJsonObject stats{
        {QStringLiteral("concurrent"), 4},  {QStringLiteral("peak_concurrent"), 9},
        {QStringLiteral("in_service"), 3},  {QStringLiteral("waiting"), 1},
        {QStringLiteral("requests"), 3},    {QStringLiteral("rate_limited"), 1},
        {QStringLiteral("capacity"), 32},   {QStringLiteral("by_status"), byStatus},
        {QStringLiteral("window"), window},
    };
    panel.setStats(stats);
    const auto text = [&](const char* name) { return child<QLabel>(&panel, name)->text(); };
    QVERIFY2(text("mockConcurrentValue").contains(QStringLiteral("4")) &&
                 text("mockConcurrentValue").contains(QStringLiteral("9")),
             qPrintable(text("mockConcurrentValue")));
    QVERIFY2(text("mockRequestsValue").startsWith(QStringLiteral("3")),
             qPrintable(text("mockRequestsValue")));
    QVERIFY2(text("mockRateLimitedValue").startsWith(QStringLiteral("1 (33.3%)")),
             qPrintable(text("mockRateLimitedValue")));
    QVERIFY2(text("mockWaitingValue").startsWith(QStringLiteral("1")) &&
                 text("mockWaitingValue").contains(QStringLiteral("32")),
             qPrintable(text("mockWaitingValue")));
    QVERIFY(text("mockStatusValue").contains(QStringLiteral("429")));
    panel.setStats({});
    QCOMPARE(text("mockRequestsValue"), QStringLiteral("–"));
}

void TestPanels::mockNamesAndTips() {
    MockPanel panel;
    checkNamesAndTips(&panel);
    for (const char* name : {"mockCapacitySpin",    "mockRpmSpin",           "mockTpmSpin",
                             "mockTtftSpin",        "mockTpotSpin",          "mockTokensMinSpin",
                             "mockTokensMaxSpin",   "mockJitterSpin",        "fault503Spin",
                             "fault500Spin",        "fault529Spin",          "faultQuotaSpin",
                             "faultResetSpin",      "faultStallSpin",        "faultMidstreamSpin",
                             "halveCapacityButton", "restoreCapacityButton", "inject503Button",
                             "outageButton",        "clearFaultsButton",     "mockConcurrentValue",
                             "mockRequestsValue",   "mockRateLimitedValue",  "mockWaitingValue"}) {
        QVERIFY2(panel.findChild<QWidget*>(QLatin1String(name)), name);
    }
}

void TestPanels::errorsViewByReason() {
    ErrorsView view;
    QSignalSpy count(&view, &ErrorsView::failureCountChanged);
    EngineSnapshot s;
    s.done = 150;
    s.failed = 50;
    FailureTally tally;
    for (int i = 0; i < 30; ++i) {
        tally.add({FailureKind::Http, 503, {}});
    }
    for (int i = 0; i < 20; ++i) {
        tally.add({FailureKind::CircuitOpen, 0, {}});
    }
    tally.add({FailureKind::Cancelled, 0, {}});
    s.failures = tally.sorted();
    view.setSnapshot(s);
    QTableWidget* table = view.table();
    QCOMPARE(table->rowCount(), 3);
    QCOMPARE(table->item(0, 0)->text(), QStringLiteral("HTTP 503"));
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("30"));
    QCOMPARE(table->item(0, 2)->text(), QStringLiteral("15.0%"));
    QCOMPARE(table->item(1, 0)->text(), QStringLiteral("circuit open"));
    QCOMPARE(table->item(1, 2)->text(), QStringLiteral("10.0%"));
    QCOMPARE(view.failureCount(), 50); // cancelled is not a failure of the target
    QCOMPARE(count.size(), 1);
    view.setSnapshot(s); // unchanged: nothing redone
    QCOMPARE(count.size(), 1);
    view.clear();
    QCOMPARE(table->rowCount(), 0);
    QCOMPARE(view.failureCount(), 0);
}

void TestPanels::requestsFollowUnlessScrolled() {
    RequestsPanel panel;
    panel.resize(600, 200);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QScrollBar* bar = panel.view()->verticalScrollBar();
    std::uint64_t next = 1;
    const auto addRows = [&](int n) {
        QList<RequestUpdate> batch;
        for (int i = 0; i < n; ++i) {
            RequestUpdate u;
            u.id = next++;
            u.state = RequestState::Done;
            u.status = 200;
            batch << u;
        }
        panel.apply(batch);
    };
    addRows(100);
    QTRY_VERIFY(bar->maximum() > 0);
    QTRY_COMPARE(bar->value(), bar->maximum());
    QVERIFY(panel.following());
    addRows(50);
    QTRY_COMPARE(bar->value(), bar->maximum()); // followed the new rows
    // The user scrolls up to read: new rows do not move the view.
    bar->setValue(10);
    QVERIFY(!panel.following());
    const int oldMaximum = bar->maximum();
    addRows(50);
    QTRY_VERIFY(bar->maximum() > oldMaximum);
    QCOMPARE(bar->value(), 10);
    // Back at the bottom: following again.
    bar->setValue(bar->maximum());
    QVERIFY(panel.following());
    addRows(50);
    QTRY_COMPARE(bar->value(), bar->maximum());
    QVERIFY(bar->value() > oldMaximum);
}

// The panels sit in a 340-px side dock, the strip across a 1280-px window.
void TestPanels::fitTheirPlaces() {
    LimitsPanel limits;
    limits.setLimits(sampleLimits());
    limits.setCurrentLimit(23);
    MockPanel mock;
    mock.setStats(QJsonObject{{QStringLiteral("concurrent"), 12},
                              {QStringLiteral("peak_concurrent"), 32},
                              {QStringLiteral("requests"), 1234},
                              {QStringLiteral("rate_limited"), 56},
                              {QStringLiteral("waiting"), 3},
                              {QStringLiteral("in_service"), 16},
                              {QStringLiteral("capacity"), 16},
                              {QStringLiteral("requests_now"), 580},
                              {QStringLiteral("rpm_limit"), 600}});
    StatsStrip strip;
    EngineSnapshot s = sampleSnapshot();
    s.clientSaturated = true;
    s.waitingBudget = 5;
    strip.setSnapshot(s);

    QVERIFY2(limits.minimumSizeHint().width() <= 340,
             qPrintable(QString::number(limits.minimumSizeHint().width())));
    QVERIFY2(mock.minimumSizeHint().width() <= 340,
             qPrintable(QString::number(mock.minimumSizeHint().width())));
    QVERIFY2(strip.minimumSizeHint().width() <= 1280,
             qPrintable(QString::number(strip.minimumSizeHint().width())));
    limits.resize(340, limits.sizeHint().height());
    mock.resize(340, mock.sizeHint().height());
    strip.resize(1280, strip.sizeHint().height());
    if (qEnvironmentVariableIsSet("SLUICE_SCREENSHOT_DIR")) {
        const QString dir = qEnvironmentVariable("SLUICE_SCREENSHOT_DIR");
        QVERIFY(limits.grab().save(dir + QStringLiteral("/limitspanel.png")));
        QVERIFY(mock.grab().save(dir + QStringLiteral("/mockpanel.png")));
        QVERIFY(strip.grab().save(dir + QStringLiteral("/statsstrip.png")));
    }
}

QTEST_MAIN(TestPanels)
#include "tst_panels.moc"
