#include "core/net/errorbody.h"

#include <QTest>

using namespace sluice;

class TestErrorBody final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void longMessageTruncated();
    void longMessageKeepsSurrogatePairs();
    void quota_data();
    void quota();
};

void TestErrorBody::parse_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("parsed");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("param");

    QTest::newRow("openai quota")
        << QByteArray(R"({
    "error": {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota",
        "param": null,
        "code": "insufficient_quota"
    }
}
)") << true
        << QStringLiteral("insufficient_quota") << QStringLiteral("insufficient_quota")
        << QStringLiteral(
               "You exceeded your current quota, please check your plan and billing details.")
        << QString();
    QTest::newRow("openai invalid param")
        << QByteArray(R"({"error":{"message":"Invalid value for 'temperature'.",)"
                      R"("type":"invalid_request_error","param":"temperature",)"
                      R"("code":"invalid_value"}})")
        << true << QStringLiteral("invalid_request_error") << QStringLiteral("invalid_value")
        << QStringLiteral("Invalid value for 'temperature'.") << QStringLiteral("temperature");
    QTest::newRow("anthropic overloaded")
        << QByteArray(R"({"type":"error","error":{"type":"overloaded_error",)"
                      R"("message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"})")
        << true << QStringLiteral("overloaded_error") << QString() << QStringLiteral("Overloaded")
        << QString();
    QTest::newRow("numeric code") << QByteArray(R"({"error":{"message":"m","code":429}})") << true
                                  << QString() << QStringLiteral("429") << QStringLiteral("m")
                                  << QString();
    QTest::newRow("non-ASCII message")
        << QByteArray(R"({"error":{"message":"Überlastet – 过载","type":"x"}})") << true
        << QStringLiteral("x") << QString() << QStringLiteral("Überlastet – 过载") << QString();
    QTest::newRow("bare error string")
        << QByteArray(R"({"error":"model not found"})") << true << QString() << QString()
        << QStringLiteral("model not found") << QString();
    QTest::newRow("empty error object") << QByteArray(R"({"error":{}})") << true << QString()
                                        << QString() << QString() << QString();
    QTest::newRow("wrong field types")
        << QByteArray(R"({"error":{"message":["a"],"type":{"x":1},"code":true}})") << true
        << QString() << QStringLiteral("true") << QString() << QString();

    QTest::newRow("empty") << QByteArray() << false << QString() << QString() << QString()
                           << QString();
    QTest::newRow("whitespace") << QByteArray(" \r\n ") << false << QString() << QString()
                                << QString() << QString();
    QTest::newRow("html")
        << QByteArray("<html><head><title>502 Bad Gateway</title></head><body><center>"
                      "<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>")
        << false << QString() << QString() << QString() << QString();
    QTest::newRow("plain text") << QByteArray("upstream connect error") << false << QString()
                                << QString() << QString() << QString();
    QTest::newRow("truncated json") << QByteArray(R"({"error":{"message":"cut)") << false
                                    << QString() << QString() << QString() << QString();
    QTest::newRow("array") << QByteArray(R"([{"error":{"message":"m"}}])") << false << QString()
                           << QString() << QString() << QString();
    QTest::newRow("other json") << QByteArray(R"({"id":"chatcmpl-1","choices":[]})") << false
                                << QString() << QString() << QString() << QString();
    QTest::newRow("error null") << QByteArray(R"({"error":null})") << false << QString()
                                << QString() << QString() << QString();
    QTest::newRow("binary") << QByteArray("{\x00\xFF\xFE}", 5) << false << QString() << QString()
                            << QString() << QString();
}

void TestErrorBody::parse() {
    QFETCH(QByteArray, body);
    QFETCH(bool, parsed);
    QFETCH(QString, type);
    QFETCH(QString, code);
    QFETCH(QString, message);
    QFETCH(QString, param);

    const ProviderError e = parseErrorBody(body);
    QCOMPARE(e.parsed, parsed);
    QCOMPARE(e.type, type);
    QCOMPARE(e.code, code);
    QCOMPARE(e.message, message);
    QCOMPARE(e.param, param);
}

void TestErrorBody::longMessageTruncated() {
    const QByteArray text(2000, 'a');
    const ProviderError e =
        parseErrorBody(R"({"error":{"type":"server_error","message":")" + text + R"("}})");
    QVERIFY(e.parsed);
    QCOMPARE(e.message.size(), qsizetype(500));
    QVERIFY(e.message.startsWith(QStringLiteral("aaaa")));
    QVERIFY(e.message.endsWith(QChar(0x2026)));
    QCOMPARE(e.type, QStringLiteral("server_error"));

    const ProviderError exact =
        parseErrorBody(R"({"error":{"message":")" + QByteArray(500, 'b') + R"("}})");
    QCOMPARE(exact.message, QString(500, QLatin1Char('b')));
}

void TestErrorBody::longMessageKeepsSurrogatePairs() {
    // 😀 is two UTF-16 units: a cut must not leave half of one behind.
    QByteArray text;
    for (int i = 0; i < 400; ++i) {
        text += "\xF0\x9F\x98\x80";
    }
    const ProviderError e = parseErrorBody(R"({"error":{"message":")" + text + R"("}})");
    QVERIFY(e.message.size() <= 500);
    QVERIFY(e.message.endsWith(QChar(0x2026)));
    const QString kept = e.message.chopped(1);
    QVERIFY(!kept.isEmpty());
    QVERIFY(kept.back().isLowSurrogate());
    QCOMPARE(kept.toUtf8(), text.left(kept.toUtf8().size()));
}

void TestErrorBody::quota_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("quota");

    QTest::newRow("openai insufficient_quota")
        << QByteArray(R"({"error":{"message":"You exceeded your current quota, please check your )"
                      R"(plan and billing details.","type":"insufficient_quota","param":null,)"
                      R"("code":"insufficient_quota"}})")
        << true;
    QTest::newRow("code only") << QByteArray(
                                      R"({"error":{"message":"x","code":"insufficient_quota"}})")
                               << true;
    QTest::newRow("type only, upper case")
        << QByteArray(R"({"error":{"message":"x","type":"INSUFFICIENT_QUOTA"}})") << true;
    QTest::newRow("billing not active")
        << QByteArray(R"({"error":{"message":"Your account is not active, please check your )"
                      R"(billing details on our website.","type":"billing_not_active",)"
                      R"("param":null,"code":"billing_not_active"}})")
        << true;
    QTest::newRow("anthropic credit balance")
        << QByteArray(R"({"type":"error","error":{"type":"invalid_request_error","message":)"
                      R"("Your credit balance is too low to access the Anthropic API. Please go )"
                      R"(to Plans & Billing to upgrade or purchase credits."}})")
        << true;
    QTest::newRow("quota in message only")
        << QByteArray(R"({"error":{"message":"Monthly quota exhausted"}})") << true;
    QTest::newRow("bare string about billing")
        << QByteArray(R"({"error":"billing hard limit has been reached"})") << true;

    QTest::newRow("openai rate limit")
        << QByteArray(R"({"error":{"message":"Rate limit reached for gpt-4o-mini in organization )"
                      R"(org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please )"
                      R"(try again in 20s.","type":"requests","param":null,)"
                      R"("code":"rate_limit_exceeded"}})")
        << false;
    // Older OpenAI rate-limit text links the billing page; waiting still helps.
    QTest::newRow("rate limit mentioning billing")
        << QByteArray(R"({"error":{"message":"Rate limit reached for default-gpt-3.5-turbo in )"
                      R"(organization org-abc on requests per min. Limit: 3 / min. Please add a )"
                      R"(payment method to your account to increase your rate limit. Visit )"
                      R"(https://platform.openai.com/account/billing to add a payment method.",)"
                      R"("type":"requests","param":null,"code":null}})")
        << false;
    QTest::newRow("anthropic rate limit")
        << QByteArray(R"({"type":"error","error":{"type":"rate_limit_error","message":"Number of )"
                      R"(request tokens has exceeded your per-minute rate limit"}})")
        << false;
    QTest::newRow("anthropic overloaded")
        << QByteArray(R"({"type":"error","error":{"type":"overloaded_error",)"
                      R"("message":"Overloaded"}})")
        << false;
    QTest::newRow("html") << QByteArray("<html><body>quota exceeded</body></html>") << false;
    QTest::newRow("empty") << QByteArray() << false;
}

void TestErrorBody::quota() {
    QFETCH(QByteArray, body);
    QFETCH(bool, quota);
    QCOMPARE(isQuotaError(parseErrorBody(body)), quota);
}

QTEST_GUILESS_MAIN(TestErrorBody)
#include "tst_errorbody.moc"
