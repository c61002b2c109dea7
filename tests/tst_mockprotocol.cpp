#include "core/server/mock/mockerrors.h"
#include "core/server/mock/mockprotocol.h"
#include "core/server/mock/replywriter.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace sluice;
using namespace sluice::mock;
using namespace std::chrono_literals;

class TestMockProtocol final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void countTokens_data();
    void countTokens();
    void promptTokensAddPerMessageOverhead();
    void openAiValidation_data();
    void openAiValidation();
    void anthropicValidation_data();
    void anthropicValidation();
    void acceptsContentParts();
    void errorBodiesHaveProviderShape();
    void openAiRateLimitHeaders();
    void anthropicRateLimitHeaders();
    void quotaIsNotARateLimit();
    void streamChunksAreValidJson();
    void outputTokensAreDeterministic();
};

void TestMockProtocol::countTokens_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("tokens");
    QTest::newRow("empty") << QString() << 0;
    QTest::newRow("short word") << QStringLiteral("hi") << 1;
    QTest::newRow("four letters") << QStringLiteral("word") << 1;
    QTest::newRow("five letters") << QStringLiteral("hello") << 2;
    QTest::newRow("punctuation") << QStringLiteral("a, b!") << 4;
    QTest::newRow("spaces only") << QStringLiteral("   \n\t") << 0;
    QTest::newRow("sentence") << QStringLiteral("hello world, friend") << 7;
    QTest::newRow("unicode letters") << QStringLiteral("héllo") << 2;
}

void TestMockProtocol::countTokens() {
    QFETCH(QString, text);
    QFETCH(int, tokens);
    QCOMPARE(sluice::mock::countTokens(text), tokens);
}

void TestMockProtocol::promptTokensAddPerMessageOverhead() {
    const auto o =
        QJsonDocument::fromJson(
            R"({"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello"}]})")
            .object();
    // "be brief" = 1 + 2, "hello" = 2, plus 3 per message.
    QCOMPARE(countPromptTokens(o, Provider::OpenAI), 3 + 3 + 3 + 2);
    const auto a = QJsonDocument::fromJson(
                       R"({"system":"be brief","messages":[{"role":"user","content":"hello"}]})")
                       .object();
    QCOMPARE(countPromptTokens(a, Provider::Anthropic), 3 + 2 + 3 + 3);
}

void TestMockProtocol::openAiValidation_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("param"); // empty: valid
    QTest::newRow("valid") << QByteArray(
                                  R"({"model":"m","messages":[{"role":"user","content":"hi"}]})")
                           << QByteArray();
    QTest::newRow("not json") << QByteArray("{nope") << QByteArray("-");
    QTest::newRow("array body") << QByteArray("[1]") << QByteArray("-");
    QTest::newRow("no model") << QByteArray(R"({"messages":[{"role":"user","content":"hi"}]})")
                              << QByteArray("model");
    QTest::newRow("no messages") << QByteArray(R"({"model":"m"})") << QByteArray("messages");
    QTest::newRow("empty messages")
        << QByteArray(R"({"model":"m","messages":[]})") << QByteArray("messages");
    QTest::newRow("bad role")
        << QByteArray(R"({"model":"m","messages":[{"role":"robot","content":"hi"}]})")
        << QByteArray("messages[0].role");
    QTest::newRow("bad content") << QByteArray(
                                        R"({"model":"m","messages":[{"role":"user","content":5}]})")
                                 << QByteArray("messages[0].content");
    QTest::newRow("zero max_tokens")
        << QByteArray(R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"hi"}]})")
        << QByteArray("max_tokens");
    QTest::newRow("stream not bool")
        << QByteArray(R"({"model":"m","stream":"yes","messages":[{"role":"user","content":"hi"}]})")
        << QByteArray("stream");
    QTest::newRow("stream_options without stream")
        << QByteArray(
               R"({"model":"m","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]})")
        << QByteArray("stream_options");
    QTest::newRow("n=2")
        << QByteArray(R"({"model":"m","n":2,"messages":[{"role":"user","content":"hi"}]})")
        << QByteArray("n");
}

void TestMockProtocol::openAiValidation() {
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, param);
    const auto result = parseOpenAiChat(body);
    if (param.isEmpty()) {
        QVERIFY(std::holds_alternative<ChatRequest>(result));
        return;
    }
    QVERIFY(std::holds_alternative<ApiError>(result));
    const ApiError& e = std::get<ApiError>(result);
    QCOMPARE(e.status, 400);
    QCOMPARE(e.type, QByteArray("invalid_request_error"));
    QVERIFY(!e.message.isEmpty());
    if (param != "-") {
        QCOMPARE(e.param, param);
    }
}

void TestMockProtocol::anthropicValidation_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("field"); // empty: valid
    QTest::newRow("valid")
        << QByteArray(
               R"({"model":"c","max_tokens":10,"messages":[{"role":"user","content":"hi"}]})")
        << QString();
    QTest::newRow("no max_tokens")
        << QByteArray(R"({"model":"c","messages":[{"role":"user","content":"hi"}]})")
        << QStringLiteral("max_tokens");
    QTest::newRow("system role in messages")
        << QByteArray(
               R"({"model":"c","max_tokens":10,"messages":[{"role":"system","content":"hi"}]})")
        << QStringLiteral("messages.0.role");
    QTest::newRow("no content")
        << QByteArray(R"({"model":"c","max_tokens":10,"messages":[{"role":"user"}]})")
        << QStringLiteral("messages.0.content");
    QTest::newRow("bad system")
        << QByteArray(
               R"({"model":"c","max_tokens":10,"system":7,"messages":[{"role":"user","content":"hi"}]})")
        << QStringLiteral("system");
}

void TestMockProtocol::anthropicValidation() {
    QFETCH(QByteArray, body);
    QFETCH(QString, field);
    const auto result = parseAnthropicMessages(body);
    if (field.isEmpty()) {
        QVERIFY(std::holds_alternative<ChatRequest>(result));
        QCOMPARE(std::get<ChatRequest>(result).maxTokens.value_or(0), 10);
        return;
    }
    QVERIFY(std::holds_alternative<ApiError>(result));
    const ApiError& e = std::get<ApiError>(result);
    QVERIFY2(e.message.startsWith(field + QLatin1Char(':')), qPrintable(e.message));
}

void TestMockProtocol::acceptsContentParts() {
    const auto result = parseOpenAiChat(
        R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hello"},{"type":"image_url","image_url":{"url":"x"}}]}]})");
    QVERIFY(std::holds_alternative<ChatRequest>(result));
    QCOMPARE(std::get<ChatRequest>(result).promptTokens, 3 + 2);
}

void TestMockProtocol::errorBodiesHaveProviderShape() {
    ApiError e;
    e.status = 400;
    e.type = "invalid_request_error";
    e.message = QStringLiteral("bad \"quote\"\n");
    e.param = "model";
    const QJsonObject openai = QJsonDocument::fromJson(errorBody(Provider::OpenAI, e)).object();
    QCOMPARE(openai.value(QStringLiteral("error"))
                 .toObject()
                 .value(QStringLiteral("message"))
                 .toString(),
             e.message);
    QCOMPARE(
        openai.value(QStringLiteral("error")).toObject().value(QStringLiteral("param")).toString(),
        QStringLiteral("model"));
    QVERIFY(
        openai.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).isNull());
    const QJsonObject anthropic =
        QJsonDocument::fromJson(errorBody(Provider::Anthropic, e)).object();
    QCOMPARE(anthropic.value(QStringLiteral("type")).toString(), QStringLiteral("error"));
    QCOMPARE(anthropic.value(QStringLiteral("error"))
                 .toObject()
                 .value(QStringLiteral("type"))
                 .toString(),
             QStringLiteral("invalid_request_error"));
}

static QByteArray headerValue(const HttpHeaders& headers, const QByteArray& name) {
    for (const auto& [key, value] : headers) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

void TestMockProtocol::openAiRateLimitHeaders() {
    RateLimitState s;
    s.requestLimit = 600;
    s.requestRemaining = 0;
    s.requestReset = 360s;
    s.tokenLimit = 100000;
    s.tokenRemaining = 99000;
    s.tokenReset = 11500us; // rounds up to 12ms
    s.retryAfter = 1200ms;
    const HttpHeaders h = rateLimitHeaders(Provider::OpenAI, s);
    QCOMPARE(headerValue(h, "x-ratelimit-limit-requests"), QByteArray("600"));
    QCOMPARE(headerValue(h, "x-ratelimit-remaining-requests"), QByteArray("0"));
    QCOMPARE(headerValue(h, "x-ratelimit-reset-requests"), QByteArray("6m0s"));
    QCOMPARE(headerValue(h, "x-ratelimit-limit-tokens"), QByteArray("100000"));
    QCOMPARE(headerValue(h, "x-ratelimit-remaining-tokens"), QByteArray("99000"));
    QCOMPARE(headerValue(h, "x-ratelimit-reset-tokens"), QByteArray("12ms"));
    QCOMPARE(headerValue(h, "retry-after"), QByteArray("2"));
    QCOMPARE(headerValue(h, "retry-after-ms"), QByteArray("1200"));
}

void TestMockProtocol::anthropicRateLimitHeaders() {
    RateLimitState s;
    s.requestLimit = 50;
    s.requestRemaining = 49;
    s.requestReset = 30s;
    s.retryAfter = 30s;
    const QDateTime before = QDateTime::currentDateTimeUtc();
    const HttpHeaders h = rateLimitHeaders(Provider::Anthropic, s);
    QCOMPARE(headerValue(h, "anthropic-ratelimit-requests-limit"), QByteArray("50"));
    QCOMPARE(headerValue(h, "anthropic-ratelimit-requests-remaining"), QByteArray("49"));
    const QDateTime reset = QDateTime::fromString(
        QString::fromLatin1(headerValue(h, "anthropic-ratelimit-requests-reset")), Qt::ISODate);
    QVERIFY(reset.isValid());
    QCOMPARE(reset.timeSpec(), Qt::UTC);
    const qint64 ahead = before.msecsTo(reset);
    QVERIFY2(ahead >= 29'000 && ahead <= 32'000, qPrintable(QString::number(ahead)));
    QCOMPARE(headerValue(h, "retry-after"), QByteArray("30"));
    QVERIFY(headerValue(h, "anthropic-ratelimit-tokens-limit").isEmpty()); // unlimited: no headers
}

void TestMockProtocol::quotaIsNotARateLimit() {
    const ApiError openai = quotaError(Provider::OpenAI);
    QCOMPARE(openai.status, 429);
    QCOMPARE(openai.type, QByteArray("insufficient_quota"));
    QCOMPARE(openai.code, QByteArray("insufficient_quota"));
    const ApiError limited = rateLimitError(Provider::OpenAI, false, 10, 10, 1, 1s);
    QCOMPARE(limited.code, QByteArray("rate_limit_exceeded"));
    QCOMPARE(overloadedError(Provider::Anthropic).status, 529);
    QCOMPARE(overloadedError(Provider::Anthropic).type, QByteArray("overloaded_error"));
}

void TestMockProtocol::streamChunksAreValidJson() {
    ChatRequest r;
    r.model = QStringLiteral("we\"ird\\model");
    r.includeUsage = true;
    r.promptTokens = 7;
    ReplyWriter w(r, "chatcmpl-1", 1700000000);
    for (const QByteArray& event : {w.openAiRoleChunk(), w.openAiContentChunk("tab\there \"q\""),
                                    w.openAiFinishChunk(true), w.openAiUsageChunk(3)}) {
        QVERIFY(event.startsWith("data: "));
        QVERIFY(event.endsWith("\n\n"));
        QJsonParseError err{};
        const QJsonObject o = QJsonDocument::fromJson(event.mid(6).trimmed(), &err).object();
        QCOMPARE(err.error, QJsonParseError::NoError);
        QCOMPARE(o.value(QStringLiteral("model")).toString(), r.model);
        QCOMPARE(o.value(QStringLiteral("object")).toString(),
                 QStringLiteral("chat.completion.chunk"));
        QVERIFY(o.contains(QStringLiteral("usage")));
    }
    const QJsonObject content =
        QJsonDocument::fromJson(w.openAiContentChunk("tab\there").mid(6).trimmed()).object();
    QCOMPARE(
        content[QStringLiteral("choices")][0][QStringLiteral("delta")][QStringLiteral("content")]
            .toString(),
        QStringLiteral("tab\there"));
    const QJsonObject usage =
        QJsonDocument::fromJson(w.openAiUsageChunk(3).mid(6).trimmed()).object();
    QCOMPARE(usage[QStringLiteral("usage")][QStringLiteral("total_tokens")].toInt(), 10);
    QCOMPARE(usage[QStringLiteral("choices")].toArray().size(), 0);
}

void TestMockProtocol::outputTokensAreDeterministic() {
    QCOMPARE(outputToken(42, 0), outputToken(42, 0));
    QVERIFY(!outputToken(42, 0).startsWith(' '));
    QVERIFY(outputToken(42, 1).startsWith(' '));
    QCOMPARE(sluice::mock::countTokens(QString::fromLatin1(outputToken(42, 3))), 1);
}

QTEST_APPLESS_MAIN(TestMockProtocol)
#include "tst_mockprotocol.moc"
