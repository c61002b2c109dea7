#include "core/server/mock/mockconfig.h"

#include <QJsonDocument>
#include <QTest>

using namespace sluice;

class TestMockConfig final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void applyChangesOnlyGivenFields();
    void applyRejectsBadInput_data();
    void applyRejectsBadInput();
    void toJsonRoundTrips();
};

void TestMockConfig::applyChangesOnlyGivenFields() {
    MockConfig config;
    const MockConfig before = config;
    QVERIFY(config.apply(
        QJsonDocument::fromJson(R"({"capacity": 4, "faults": {"reset": 0.5}})").object()));
    QCOMPARE(config.capacity, 4);
    QCOMPARE(config.faults.reset, 0.5);
    QCOMPARE(config.rpm, before.rpm);
    QCOMPARE(config.ttftMs, before.ttftMs);
}

void TestMockConfig::applyRejectsBadInput_data() {
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("field");
    QTest::newRow("unknown key") << QByteArray(R"({"capacty": 3})") << QStringLiteral("capacty");
    QTest::newRow("negative rpm") << QByteArray(R"({"rpm": -1})") << QStringLiteral("rpm");
    QTest::newRow("fractional capacity")
        << QByteArray(R"({"capacity": 2.5})") << QStringLiteral("capacity");
    QTest::newRow("zero capacity")
        << QByteArray(R"({"capacity": 0})") << QStringLiteral("capacity");
    QTest::newRow("string ttft") << QByteArray(R"({"ttft_ms": "200ms"})")
                                 << QStringLiteral("ttft_ms");
    QTest::newRow("tokens range inverted")
        << QByteArray(R"({"tokens_min": 10, "tokens_max": 5})") << QStringLiteral("tokens_max");
    QTest::newRow("jitter above 1") << QByteArray(R"({"jitter": 2})") << QStringLiteral("jitter");
    QTest::newRow("faults not object")
        << QByteArray(R"({"faults": 0.1})") << QStringLiteral("faults");
    QTest::newRow("unknown fault")
        << QByteArray(R"({"faults": {"404": 0.1}})") << QStringLiteral("faults.404");
    QTest::newRow("fault share above 1")
        << QByteArray(R"({"faults": {"500": 1.5}})") << QStringLiteral("faults.500");
    QTest::newRow("truncate share negative")
        << QByteArray(R"({"faults": {"truncate": -0.1}})") << QStringLiteral("faults.truncate");
    QTest::newRow("reset_midstream not a number")
        << QByteArray(R"({"faults": {"reset_midstream": "all"}})")
        << QStringLiteral("faults.reset_midstream");
    QTest::newRow("new faults sum above 1")
        << QByteArray(R"({"faults": {"truncate": 0.6, "reset_midstream": 0.6}})")
        << QStringLiteral("faults");
    QTest::newRow("faults sum above 1")
        << QByteArray(R"({"faults": {"500": 0.6, "503": 0.6}})") << QStringLiteral("faults");
}

void TestMockConfig::applyRejectsBadInput() {
    QFETCH(QByteArray, json);
    QFETCH(QString, field);
    MockConfig config;
    const MockConfig before = config;
    const auto applied = config.apply(QJsonDocument::fromJson(json).object());
    QVERIFY(!applied);
    QCOMPARE(applied.error().field, field);
    QVERIFY2(applied.error().text().startsWith(field + QLatin1Char(':')),
             qPrintable(applied.error().text()));
    QVERIFY(config == before); // nothing applied
}

void TestMockConfig::toJsonRoundTrips() {
    MockConfig config;
    config.rpm = 42;
    config.capacity = 7;
    config.jitter = 0.25;
    config.faults.midstream = 0.125;
    config.faults.resetMidstream = 0.25;
    config.faults.truncate = 0.0625;
    MockConfig copy;
    QVERIFY(copy.apply(config.toJson()));
    QVERIFY(copy == config);
}

QTEST_APPLESS_MAIN(TestMockConfig)
#include "tst_mockconfig.moc"
