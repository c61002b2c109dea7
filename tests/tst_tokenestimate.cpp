// estimateTokens and requestedMaxTokens: the character rule on every kind of text (runs of up to
// four letters or digits, other visible characters one each, white space none), and the output
// limit a request names, whichever field it uses.

#include "core/net/tokenestimate.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace sluice;

class TstTokenEstimate : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void knownTexts_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("tokens");
        QTest::newRow("empty") << QString() << 0;
        QTest::newRow("one short word") << QStringLiteral("hi") << 1;
        QTest::newRow("runs of four") << QStringLiteral("abcdefghi") << 3;
        QTest::newRow("words and punctuation") << QStringLiteral("Hello, world!") << 6;
        QTest::newRow("digits") << QStringLiteral("12345 678") << 3;
        QTest::newRow("white space only") << QStringLiteral(" \t\r\n") << 0;
        QTest::newRow("a control character") << QStringLiteral("a\x01") << 2;
        QTest::newRow("accented letters") << QString::fromUtf8("caf\xc3\xa9s") << 2;
        QTest::newRow("emoji (two halves)") << QString::fromUtf8("\xf0\x9f\x98\x80") << 2;
        QTest::newRow("no-break space") << QStringView(u"a\u00a0b").toString() << 2;
    }
    void knownTexts() {
        QFETCH(QString, text);
        QFETCH(int, tokens);
        QCOMPARE(estimateTokens(text), tokens);
    }

    void maxTokensFromTheFieldNamed_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<qint64>("expected");
        QTest::newRow("neither") << QByteArray(R"({"model":"m"})") << qint64(1024);
        QTest::newRow("max_tokens") << QByteArray(R"({"max_tokens":64})") << qint64(64);
        QTest::newRow("max_completion_tokens")
            << QByteArray(R"({"max_completion_tokens":300})") << qint64(300);
        QTest::newRow("both: the newer field")
            << QByteArray(R"({"max_tokens":64,"max_completion_tokens":300})") << qint64(300);
        QTest::newRow("newer field null")
            << QByteArray(R"({"max_tokens":64,"max_completion_tokens":null})") << qint64(64);
        QTest::newRow("not a number") << QByteArray(R"({"max_tokens":"64"})") << qint64(1024);
        QTest::newRow("negative") << QByteArray(R"({"max_tokens":-5})") << qint64(0);
    }
    void maxTokensFromTheFieldNamed() {
        QFETCH(QByteArray, body);
        QFETCH(qint64, expected);
        QCOMPARE(qint64(requestedMaxTokens(QJsonDocument::fromJson(body).object(), 1024)),
                 expected);
    }
};

QTEST_APPLESS_MAIN(TstTokenEstimate)
#include "tst_tokenestimate.moc"
