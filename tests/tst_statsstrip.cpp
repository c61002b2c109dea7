// The stats strip: the live figures as tiles, levels and the banner, idle after a run, and
// numbers that never get cut.
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
using namespace std::chrono_literals;
using sluice::test::child;
using sluice::test::sampleSnapshot;

class TestStatsStrip final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void stripValues();
    void stripUnlimitedAndBreaker();
    void stripRejectedLevels();
    void stripSaturatedBanner();
    void stripClear();
    void stripErrorsAndRateLimited();
    void stripIdleAfterRun();
    void stripAlertHoldsTile();
    void stripNeverCutsNumbers_data();
    void stripNeverCutsNumbers();
};

void TestStatsStrip::stripValues() {
    StatsStrip strip;
    strip.setSnapshot(sampleSnapshot());
    const auto text = [&](const char* name) { return child<QLabel>(&strip, name)->text(); };
    QCOMPARE(text("inFlightTileValue"), QStringLiteral("12 / 32"));
    QCOMPARE(strip.valueText(StatsStrip::InFlight), QStringLiteral("12 / 32"));
    QCOMPARE(text("queuedTileValue"), QStringLiteral("5"));
    QVERIFY(text("queuedTileDetail").isEmpty());
    QCOMPARE(text("processedTileValue"), QStringLiteral("860"));
    QCOMPARE(text("rejectedTileValue"), QStringLiteral("37 (4.1%)"));
    QCOMPARE(text("rpsTileValue"), QStringLiteral("42"));
    QCOMPARE(text("p95TileValue"), QStringLiteral("1500 ms"));
    QCOMPARE(text("p95TileDetail"), QStringLiteral("total 2100 ms"));
    QCOMPARE(text("errorsTileValue"), QStringLiteral("20 (2.3%)"));
    QCOMPARE(text("rateLimitedTileValue"), QStringLiteral("45 (4.5%)"));
    QCOMPARE(text("breakerTileValue"), QStringLiteral("closed"));
    QCOMPARE(text("nextAllowedTileValue"), QStringLiteral("now"));
    QCOMPARE(text("clientTileValue"), QStringLiteral("45% / 120 MB"));

    EngineSnapshot s = sampleSnapshot();
    s.waitingBudget = 5;
    s.e2eP95 = 12s;
    s.nextAllowedIn = 2500ms;
    strip.setSnapshot(s);
    QVERIFY(text("queuedTileDetail").contains(QStringLiteral("5")));
    QCOMPARE(text("p95TileValue"), QStringLiteral("12.0 s"));
    QCOMPARE(text("nextAllowedTileValue"), QStringLiteral("2.5 s"));
    QCOMPARE(strip.level(StatsStrip::NextAllowed), StatsStrip::Level::Warning);

    for (const char* name : {"inFlightTile", "queuedTile", "processedTile", "rejectedTile",
                             "errorsTile", "rateLimitedTile", "rpsTile", "p95Tile", "breakerTile",
                             "nextAllowedTile", "clientTile", "saturatedLabel"}) {
        QVERIFY2(strip.findChild<QWidget*>(QLatin1String(name)), name);
    }
    // At most two rows of tiles across a 1280-px window.
    strip.resize(1280 - 340, strip.sizeHint().height());
    QVERIFY2(strip.tilesPerRow() >= 6, qPrintable(QString::number(strip.tilesPerRow())));
}

void TestStatsStrip::stripUnlimitedAndBreaker() {
    StatsStrip strip;
    EngineSnapshot s = sampleSnapshot();
    s.limit = 100000;
    s.breaker = CircuitBreaker::State::Open;
    strip.setSnapshot(s);
    QCOMPARE(strip.valueText(StatsStrip::InFlight), QStringLiteral("12 / ") + QChar(0x221E));
    QCOMPARE(strip.valueText(StatsStrip::Breaker), QStringLiteral("OPEN"));
    QCOMPARE(strip.level(StatsStrip::Breaker), StatsStrip::Level::Critical);
    auto* value = child<QLabel>(&strip, "breakerTileValue");
    QCOMPARE(value->property("level").toString(), QStringLiteral("critical"));
    QVERIFY(value->palette().color(QPalette::WindowText) !=
            strip.palette().color(QPalette::WindowText));

    s.breaker = CircuitBreaker::State::HalfOpen;
    strip.setSnapshot(s);
    QCOMPARE(strip.valueText(StatsStrip::Breaker), QStringLiteral("half-open"));
    QCOMPARE(strip.level(StatsStrip::Breaker), StatsStrip::Level::Warning);
    s.breaker = CircuitBreaker::State::Closed;
    strip.setSnapshot(s);
    QCOMPARE(strip.level(StatsStrip::Breaker), StatsStrip::Level::Normal);
    QCOMPARE(value->palette().color(QPalette::WindowText),
             strip.palette().color(QPalette::WindowText));
}

void TestStatsStrip::stripRejectedLevels() {
    StatsStrip strip;
    EngineSnapshot s = sampleSnapshot(); // 37 of 900: 4.1%
    strip.setSnapshot(s);
    QCOMPARE(strip.level(StatsStrip::Rejected), StatsStrip::Level::Warning);
    s.rejected = 100; // 107 of 900: 11.9%
    strip.setSnapshot(s);
    QCOMPARE(strip.valueText(StatsStrip::Rejected), QStringLiteral("107 (11.9%)"));
    QCOMPARE(strip.level(StatsStrip::Rejected), StatsStrip::Level::Critical);
    s.rejected = 0;
    s.timedOut = 0;
    strip.setSnapshot(s);
    QCOMPARE(strip.valueText(StatsStrip::Rejected), QStringLiteral("0"));
    QCOMPARE(strip.level(StatsStrip::Rejected), StatsStrip::Level::Normal);
}

void TestStatsStrip::stripSaturatedBanner() {
    StatsStrip strip;
    auto* banner = child<QLabel>(&strip, "saturatedLabel");
    EngineSnapshot s = sampleSnapshot();
    strip.setSnapshot(s);
    QVERIFY(!banner->isVisibleTo(&strip));
    s.clientSaturated = true;
    strip.setSnapshot(s);
    QVERIFY(banner->isVisibleTo(&strip));
    QCOMPARE(strip.level(StatsStrip::Client), StatsStrip::Level::Warning);
    s.clientSaturated = false;
    strip.setSnapshot(s);
    QVERIFY(!banner->isVisibleTo(&strip));
}

void TestStatsStrip::stripClear() {
    StatsStrip strip;
    EngineSnapshot s = sampleSnapshot();
    s.clientSaturated = true;
    s.breaker = CircuitBreaker::State::Open;
    strip.setSnapshot(s);
    strip.clear();
    for (int i = 0; i < StatsStrip::TileCount; ++i) {
        QCOMPARE(strip.valueText(static_cast<StatsStrip::Tile>(i)), QStringLiteral("–"));
        QCOMPARE(strip.level(static_cast<StatsStrip::Tile>(i)), StatsStrip::Level::Normal);
    }
    QVERIFY(!child<QLabel>(&strip, "saturatedLabel")->isVisibleTo(&strip));
}

void TestStatsStrip::stripErrorsAndRateLimited() {
    StatsStrip strip;
    EngineSnapshot s = sampleSnapshot(); // 20 failed of 857 ended: 2.3%; 45 of 1000 429: 4.5%
    strip.setSnapshot(s);
    QCOMPARE(strip.level(StatsStrip::Errors), StatsStrip::Level::Warning);
    QCOMPARE(strip.level(StatsStrip::RateLimited), StatsStrip::Level::Normal);
    s.failed = 200; // 200 of 1037: 19.3%
    s.rateLimited = 300;
    strip.setSnapshot(s);
    QCOMPARE(strip.valueText(StatsStrip::Errors), QStringLiteral("200 (19.3%)"));
    QCOMPARE(strip.level(StatsStrip::Errors), StatsStrip::Level::Critical);
    QCOMPARE(strip.valueText(StatsStrip::RateLimited), QStringLiteral("300 (30.0%)"));
    QCOMPARE(strip.level(StatsStrip::RateLimited), StatsStrip::Level::Warning);
    s.failed = 0;
    s.rateLimited = 0;
    strip.setSnapshot(s);
    QCOMPARE(strip.valueText(StatsStrip::Errors), QStringLiteral("0"));
    QCOMPARE(strip.level(StatsStrip::Errors), StatsStrip::Level::Normal);
    QCOMPARE(strip.valueText(StatsStrip::RateLimited), QStringLiteral("0"));
}

void TestStatsStrip::stripIdleAfterRun() {
    StatsStrip strip;
    EngineSnapshot s = sampleSnapshot();
    s.breaker = CircuitBreaker::State::Open;
    s.nextAllowedIn = 2s;
    s.clientSaturated = true;
    strip.setSnapshot(s);
    strip.setIdle();
    QVERIFY(strip.idle());
    // What only means something while traffic flows is gone ...
    for (StatsStrip::Tile t :
         {StatsStrip::InFlight, StatsStrip::Queued, StatsStrip::Rps, StatsStrip::P95,
          StatsStrip::Breaker, StatsStrip::NextAllowed, StatsStrip::Client}) {
        QCOMPARE(strip.valueText(t), QStringLiteral("–"));
        QCOMPARE(strip.level(t), StatsStrip::Level::Normal);
    }
    QVERIFY(strip.detailText(StatsStrip::Rps).isEmpty());
    QVERIFY(!child<QLabel>(&strip, "saturatedLabel")->isVisibleTo(&strip));
    // ... the run's totals stay, greyed.
    QCOMPARE(strip.valueText(StatsStrip::Processed), QStringLiteral("860"));
    QCOMPARE(strip.valueText(StatsStrip::Errors), QStringLiteral("20 (2.3%)"));
    auto* errors = child<QLabel>(&strip, "errorsTileValue");
    QCOMPARE(errors->palette().color(QPalette::WindowText),
             strip.palette().color(QPalette::PlaceholderText));
    // The next run's first snapshot brings the colours back.
    strip.setSnapshot(sampleSnapshot());
    QVERIFY(!strip.idle());
    QCOMPARE(strip.valueText(StatsStrip::InFlight), QStringLiteral("12 / 32"));
    QVERIFY(errors->palette().color(QPalette::WindowText) !=
            strip.palette().color(QPalette::PlaceholderText));
}

void TestStatsStrip::stripAlertHoldsTile() {
    StatsStrip strip;
    EngineSnapshot s = sampleSnapshot();
    s.failed = 0;
    strip.setSnapshot(s);
    QCOMPARE(strip.level(StatsStrip::Errors), StatsStrip::Level::Normal);
    // The alert is over a 5-s window: it holds the tile red while the last second looks fine.
    strip.applyAlert(QStringLiteral("errors-critical"), true, true);
    QCOMPARE(strip.level(StatsStrip::Errors), StatsStrip::Level::Critical);
    strip.setSnapshot(s);
    QCOMPARE(strip.level(StatsStrip::Errors), StatsStrip::Level::Critical);
    strip.applyAlert(QStringLiteral("rate-limited-warning"), true, false);
    QCOMPARE(strip.level(StatsStrip::RateLimited), StatsStrip::Level::Warning);
    strip.applyAlert(QStringLiteral("breaker-open"), true, true);
    QCOMPARE(strip.level(StatsStrip::Breaker), StatsStrip::Level::Critical);
    strip.applyAlert(QStringLiteral("errors-critical"), false, true);
    strip.setSnapshot(s);
    QCOMPARE(strip.level(StatsStrip::Errors), StatsStrip::Level::Normal);
    QCOMPARE(strip.level(StatsStrip::Breaker), StatsStrip::Level::Critical);
    strip.applyAlert(QStringLiteral("no-such-rule"), true, true); // ignored
}

void TestStatsStrip::stripNeverCutsNumbers_data() {
    QTest::addColumn<int>("width");
    // The strip's width beside the side dock in a 1366-, 1280- and 1000-px window, and less.
    QTest::newRow("1366") << 1020;
    QTest::newRow("1280") << 940;
    QTest::newRow("1000") << 660;
    QTest::newRow("narrow") << 300;
}

void TestStatsStrip::stripNeverCutsNumbers() {
    QFETCH(int, width);
    // In a layout, as in the window: the strip's rows decide its height.
    QWidget window;
    auto* layout = new QVBoxLayout(&window);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* stripPtr = new StatsStrip(&window);
    StatsStrip& strip = *stripPtr;
    layout->addWidget(stripPtr);
    layout->addStretch(1);
    EngineSnapshot s = sampleSnapshot();
    s.inFlight = 888;
    s.limit = 999;
    s.queued = 1999;
    s.waitingBudget = 199;
    s.submitted = 99999;
    s.done = 40000;
    s.rejected = 50000;
    s.failed = 9999;
    s.attempts = 99999;
    s.rateLimited = 60000;
    s.e2eP95 = 9999ms;
    s.totalP95 = 99s;
    s.nextAllowedIn = 59s;
    s.resources.processCpu = 1.99;
    s.resources.processRssBytes = 4096LL * 1024 * 1024;
    strip.setSnapshot(s);
    window.resize(width, 600);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTRY_COMPARE(strip.height(), strip.sizeHint().height());
    QCOMPARE(strip.width(), width);
    for (QLabel* label : strip.findChildren<QLabel*>()) {
        if (!label->isVisible() || label->objectName() == QLatin1String("saturatedLabel")) {
            continue;
        }
        const int needed = label->fontMetrics().horizontalAdvance(label->text());
        QVERIFY2(label->width() >= needed, qPrintable(QStringLiteral("%1 '%2': %3 < %4")
                                                          .arg(label->objectName(), label->text())
                                                          .arg(label->width())
                                                          .arg(needed)));
        // Inside the strip, not pushed out of it.
        const QRect inStrip(label->mapTo(&strip, QPoint(0, 0)), label->size());
        QVERIFY2(strip.rect().contains(inStrip), qPrintable(label->objectName()));
    }
    QVERIFY(strip.minimumSizeHint().width() <= 300);
}

QTEST_MAIN(TestStatsStrip)
#include "tst_statsstrip.moc"
