#include "core/goduration.h"

#include <QTest>

using namespace sluice;

class TestGoDuration final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void format_data();
    void format();
    void parse_data();
    void parse();
    void roundTrip();
};

void TestGoDuration::format_data() {
    QTest::addColumn<qint64>("nanos");
    QTest::addColumn<QByteArray>("text");
    // Expected strings are what Go's time.Duration.String() prints.
    QTest::newRow("zero") << qint64(0) << QByteArray("0s");
    QTest::newRow("ns") << qint64(999) << QByteArray("999ns");
    QTest::newRow("us") << qint64(350'000) << QByteArray("350\xC2\xB5s");
    QTest::newRow("us fraction") << qint64(1'500) << QByteArray("1.5\xC2\xB5s");
    QTest::newRow("12ms") << qint64(12'000'000) << QByteArray("12ms");
    QTest::newRow("1.5ms") << qint64(1'500'000) << QByteArray("1.5ms");
    QTest::newRow("1s") << qint64(1'000'000'000) << QByteArray("1s");
    QTest::newRow("1.5s") << qint64(1'500'000'000) << QByteArray("1.5s");
    QTest::newRow("6m0s") << qint64(360'000'000'000) << QByteArray("6m0s");
    QTest::newRow("1m0.001s") << qint64(60'001'000'000) << QByteArray("1m0.001s");
    QTest::newRow("2m3.25s") << qint64(123'250'000'000) << QByteArray("2m3.25s");
    QTest::newRow("1h0m0s") << qint64(3'600'000'000'000) << QByteArray("1h0m0s");
    QTest::newRow("26h3m4s") << qint64(93'784'000'000'000) << QByteArray("26h3m4s");
    QTest::newRow("negative") << qint64(-1'500'000'000) << QByteArray("-1.5s");
}

void TestGoDuration::format() {
    QFETCH(qint64, nanos);
    QFETCH(QByteArray, text);
    QCOMPARE(formatGoDuration(Nanos{nanos}), text);
}

void TestGoDuration::parse_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<qint64>("nanos");
    QTest::newRow("6m0s") << QByteArray("6m0s") << true << qint64(360'000'000'000);
    QTest::newRow("12ms") << QByteArray("12ms") << true << qint64(12'000'000);
    QTest::newRow("1.5s") << QByteArray("1.5s") << true << qint64(1'500'000'000);
    QTest::newRow("20us") << QByteArray("20us") << true << qint64(20'000);
    QTest::newRow("20µs") << QByteArray("20\xC2\xB5s") << true << qint64(20'000);
    QTest::newRow("1h2m") << QByteArray("1h2m") << true << qint64(3'720'000'000'000);
    QTest::newRow("bare zero") << QByteArray("0") << true << qint64(0);
    QTest::newRow("spaces") << QByteArray(" 2s ") << true << qint64(2'000'000'000);
    QTest::newRow("no unit") << QByteArray("200") << false << qint64(0);
    QTest::newRow("bad unit") << QByteArray("5x") << false << qint64(0);
    QTest::newRow("empty") << QByteArray("") << false << qint64(0);
    QTest::newRow("two dots") << QByteArray("1.2.3s") << false << qint64(0);
    QTest::newRow("unit only") << QByteArray("ms") << false << qint64(0);
    QTest::newRow("huge") << QByteArray("99999999999h") << false << qint64(0);
}

void TestGoDuration::parse() {
    QFETCH(QByteArray, text);
    QFETCH(bool, valid);
    QFETCH(qint64, nanos);
    const auto parsed = parseGoDuration(text);
    QCOMPARE(parsed.has_value(), valid);
    if (valid) {
        QCOMPARE(parsed->count(), nanos);
    }
}

void TestGoDuration::roundTrip() {
    for (const qint64 ns : {qint64(1), qint64(1'234), qint64(59'999'000'000),
                            qint64(61'000'000'000), qint64(7'322'500'000'000)}) {
        const auto back = parseGoDuration(formatGoDuration(Nanos{ns}));
        QVERIFY(back.has_value());
        QCOMPARE(back->count(), ns);
    }
}

QTEST_APPLESS_MAIN(TestGoDuration)
#include "tst_goduration.moc"
