#include "core/engine/clock.h"
#include "core/goduration.h"
#include "core/server/mock/mockerrors.h"
#include "core/server/mock/mockprotocol.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/httptestclient.h"
#include "tests/support/mockserverfixture.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QTest>

#include <memory>

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

MockConfig fastConfig() {
    return fastMockConfig();
}

QJsonObject data(const SseEvent& e) {
    return QJsonDocument::fromJson(e.data).object();
}

} // namespace

class TestMockServer final : public QObject, public MockServerFixture {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void openAiWhole();
    void openAiStream();
    void openAiStreamWithoutUsage();
    void maxTokensCapsOutput();
    void models();
    void anthropicWhole();
    void anthropicStream();
    void capacityMakesRequestsWait();
    void requestRateLimit();
    void tokenRateLimit();
    void requestTooLargeForTokenLimit();
    void anthropicRateLimit();
    void windowIsExactWithManualClock();
    void badRequestsGetProviderErrors();
    void statsAreTheTruth();
    void clientDisconnectFreesSlot();
    void sameSeedSameReplies();
};

void TestMockServer::init() {
    setUpClient();
}

void TestMockServer::cleanup() {
    tearDown();
}

void TestMockServer::openAiWhole() {
    start(fastConfig());
    const Response r = post(*m_nam, url(QStringLiteral("/v1/chat/completions")),
                            chatBody(QStringLiteral("hello world")));
    QCOMPARE(r.status, 200);
    QVERIFY(r.header("content-type").startsWith("application/json"));
    QVERIFY(r.header("x-request-id").startsWith("chatcmpl-"));
    const QJsonObject o = r.json();
    QCOMPARE(o[QStringLiteral("object")].toString(), QStringLiteral("chat.completion"));
    QCOMPARE(o[QStringLiteral("model")].toString(), QStringLiteral("mock-gpt"));
    const QJsonObject choice = o[QStringLiteral("choices")][0].toObject();
    QCOMPARE(choice[QStringLiteral("finish_reason")].toString(), QStringLiteral("stop"));
    QCOMPARE(choice[QStringLiteral("message")][QStringLiteral("role")].toString(),
             QStringLiteral("assistant"));
    const QString content = choice[QStringLiteral("message")][QStringLiteral("content")].toString();
    const QJsonObject usage = o[QStringLiteral("usage")].toObject();
    QCOMPARE(usage[QStringLiteral("completion_tokens")].toInt(), 8);
    QCOMPARE(mock::countTokens(content), 8);
    QCOMPARE(usage[QStringLiteral("prompt_tokens")].toInt(), 3 + 2 + 2); // "hello" "world"
    QCOMPARE(usage[QStringLiteral("total_tokens")].toInt(),
             usage[QStringLiteral("prompt_tokens")].toInt() + 8);
}

void TestMockServer::openAiStream() {
    start(fastConfig());
    const Response r = post(*m_nam, url(QStringLiteral("/v1/chat/completions")),
                            chatBody(QStringLiteral("hi"), true, 0, true));
    QCOMPARE(r.status, 200);
    QVERIFY(r.header("content-type").startsWith("text/event-stream"));
    const QList<SseEvent> events = parseSse(r.body);
    QCOMPARE(events.size(), 1 + 8 + 1 + 1 + 1); // role, tokens, finish, usage, [DONE]
    const QJsonObject role = data(events.first());
    QCOMPARE(role[QStringLiteral("object")].toString(), QStringLiteral("chat.completion.chunk"));
    QCOMPARE(role[QStringLiteral("choices")][0][QStringLiteral("delta")][QStringLiteral("role")]
                 .toString(),
             QStringLiteral("assistant"));
    QCOMPARE(role[QStringLiteral("choices")][0][QStringLiteral("delta")][QStringLiteral("content")]
                 .toString(),
             QString());
    QString text;
    for (int i = 1; i <= 8; ++i) {
        const QJsonObject chunk = data(events.at(i));
        QVERIFY(chunk[QStringLiteral("choices")][0][QStringLiteral("finish_reason")].isNull());
        QVERIFY(chunk.contains(QStringLiteral("usage")) && chunk[QStringLiteral("usage")].isNull());
        text +=
            chunk[QStringLiteral("choices")][0][QStringLiteral("delta")][QStringLiteral("content")]
                .toString();
    }
    QCOMPARE(mock::countTokens(text), 8);
    const QJsonObject finish = data(events.at(9));
    QCOMPARE(finish[QStringLiteral("choices")][0][QStringLiteral("finish_reason")].toString(),
             QStringLiteral("stop"));
    const QJsonObject usage = data(events.at(10));
    QCOMPARE(usage[QStringLiteral("choices")].toArray().size(), 0);
    QCOMPARE(usage[QStringLiteral("usage")][QStringLiteral("completion_tokens")].toInt(), 8);
    QCOMPARE(usage[QStringLiteral("usage")][QStringLiteral("prompt_tokens")].toInt(), 3 + 1);
    QCOMPARE(events.last().data, QByteArray("[DONE]"));
    // Every chunk of one reply carries the same id.
    const QString id = role[QStringLiteral("id")].toString();
    for (int i = 0; i < events.size() - 1; ++i) {
        QCOMPARE(data(events.at(i))[QStringLiteral("id")].toString(), id);
    }
}

void TestMockServer::openAiStreamWithoutUsage() {
    start(fastConfig());
    const Response r = post(*m_nam, url(QStringLiteral("/v1/chat/completions")),
                            chatBody(QStringLiteral("hi"), true));
    const QList<SseEvent> events = parseSse(r.body);
    QCOMPARE(events.size(), 1 + 8 + 1 + 1);
    for (int i = 0; i < events.size() - 1; ++i) {
        QVERIFY(!data(events.at(i)).contains(QStringLiteral("usage")));
    }
    QCOMPARE(events.last().data, QByteArray("[DONE]"));
}

void TestMockServer::maxTokensCapsOutput() {
    MockConfig c = fastConfig();
    c.tokensMin = c.tokensMax = 50;
    start(c);
    const Response whole = post(*m_nam, url(QStringLiteral("/v1/chat/completions")),
                                chatBody(QStringLiteral("hi"), false, 5));
    QCOMPARE(whole.json()[QStringLiteral("usage")][QStringLiteral("completion_tokens")].toInt(), 5);
    QCOMPARE(whole.json()[QStringLiteral("choices")][0][QStringLiteral("finish_reason")].toString(),
             QStringLiteral("length"));
    const Response stream = post(*m_nam, url(QStringLiteral("/v1/chat/completions")),
                                 chatBody(QStringLiteral("hi"), true, 5));
    const QList<SseEvent> events = parseSse(stream.body);
    QCOMPARE(events.size(), 1 + 5 + 1 + 1);
    QCOMPARE(data(events.at(6))[QStringLiteral("choices")][0][QStringLiteral("finish_reason")]
                 .toString(),
             QStringLiteral("length"));
    const Response anthropic = post(*m_nam, url(QStringLiteral("/v1/messages")),
                                    messagesBody(QStringLiteral("hi"), false, 5));
    QCOMPARE(anthropic.json()[QStringLiteral("stop_reason")].toString(),
             QStringLiteral("max_tokens"));
    QCOMPARE(anthropic.json()[QStringLiteral("usage")][QStringLiteral("output_tokens")].toInt(), 5);
}

void TestMockServer::models() {
    start(fastConfig());
    const Response r = get(*m_nam, url(QStringLiteral("/v1/models")));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json()[QStringLiteral("object")].toString(), QStringLiteral("list"));
    QVERIFY(r.json()[QStringLiteral("data")].toArray().size() >= 1);
    QCOMPARE(r.json()[QStringLiteral("data")][0][QStringLiteral("object")].toString(),
             QStringLiteral("model"));
}

void TestMockServer::anthropicWhole() {
    start(fastConfig());
    const Response r =
        post(*m_nam, url(QStringLiteral("/v1/messages")), messagesBody(QStringLiteral("hello")));
    QCOMPARE(r.status, 200);
    const QJsonObject o = r.json();
    QCOMPARE(o[QStringLiteral("type")].toString(), QStringLiteral("message"));
    QCOMPARE(o[QStringLiteral("role")].toString(), QStringLiteral("assistant"));
    QCOMPARE(o[QStringLiteral("stop_reason")].toString(), QStringLiteral("end_turn"));
    QCOMPARE(o[QStringLiteral("content")][0][QStringLiteral("type")].toString(),
             QStringLiteral("text"));
    QCOMPARE(mock::countTokens(o[QStringLiteral("content")][0][QStringLiteral("text")].toString()),
             8);
    QCOMPARE(o[QStringLiteral("usage")][QStringLiteral("input_tokens")].toInt(), 3 + 2);
    QCOMPARE(o[QStringLiteral("usage")][QStringLiteral("output_tokens")].toInt(), 8);
}

void TestMockServer::anthropicStream() {
    start(fastConfig());
    const Response r =
        post(*m_nam, url(QStringLiteral("/v1/messages")), messagesBody(QStringLiteral("hi"), true));
    QCOMPARE(r.status, 200);
    const QList<SseEvent> events = parseSse(r.body);
    QStringList names;
    for (const SseEvent& e : events) {
        names.append(QString::fromLatin1(e.event));
        QCOMPARE(data(e)[QStringLiteral("type")].toString(),
                 QString::fromLatin1(e.event)); // event name = data.type
    }
    QStringList expected{QStringLiteral("message_start"), QStringLiteral("content_block_start"),
                         QStringLiteral("ping")};
    for (int i = 0; i < 8; ++i) {
        expected.append(QStringLiteral("content_block_delta"));
    }
    expected << QStringLiteral("content_block_stop") << QStringLiteral("message_delta")
             << QStringLiteral("message_stop");
    QCOMPARE(names, expected);
    const QJsonObject start = data(events.first());
    QCOMPARE(
        start[QStringLiteral("message")][QStringLiteral("usage")][QStringLiteral("input_tokens")]
            .toInt(),
        3 + 1);
    QString text;
    for (int i = 3; i < 11; ++i) {
        const QJsonObject delta = data(events.at(i))[QStringLiteral("delta")].toObject();
        QCOMPARE(delta[QStringLiteral("type")].toString(), QStringLiteral("text_delta"));
        text += delta[QStringLiteral("text")].toString();
    }
    QCOMPARE(mock::countTokens(text), 8);
    const QJsonObject messageDelta = data(events.at(12));
    QCOMPARE(messageDelta[QStringLiteral("delta")][QStringLiteral("stop_reason")].toString(),
             QStringLiteral("end_turn"));
    QCOMPARE(messageDelta[QStringLiteral("usage")][QStringLiteral("output_tokens")].toInt(), 8);
}

void TestMockServer::capacityMakesRequestsWait() {
    MockConfig c = fastConfig();
    c.capacity = 3;
    c.ttftMs = 100;
    c.tpotMs = 10;
    c.tokensMin = c.tokensMax = 5;
    start(c);
    QElapsedTimer clock;
    clock.start();
    QList<QNetworkReply*> replies;
    for (int i = 0; i < 8; ++i) {
        replies.append(m_nam->post(jsonRequest(url(QStringLiteral("/v1/chat/completions")), i),
                                   chatBody(QStringLiteral("hi"), true)));
    }
    for (QNetworkReply* reply : replies) {
        QCOMPARE(waitFor(reply).status, 200);
    }
    const qint64 total = clock.elapsed();
    const QJsonObject s = stats();
    QCOMPARE(s[QStringLiteral("peak_in_service")].toInt(), 3);
    QCOMPARE(s[QStringLiteral("peak_concurrent")].toInt(), 8);
    QCOMPARE(s[QStringLiteral("peak_waiting")].toInt(), 5);
    QCOMPARE(s[QStringLiteral("concurrent")].toInt(), 0);
    QCOMPARE(s[QStringLiteral("by_status")][QStringLiteral("200")].toInt(), 8);
    // Three waves of ~140 ms: the last request waited for two full services before its own.
    QVERIFY2(total >= 3 * 140 * 9 / 10, qPrintable(QString::number(total)));
}

void TestMockServer::requestRateLimit() {
    MockConfig c = fastConfig();
    c.rpm = 3;
    start(c);
    for (int i = 0; i < 3; ++i) {
        const Response ok = post(*m_nam, url(QStringLiteral("/v1/chat/completions")), chatBody());
        QCOMPARE(ok.status, 200);
        QCOMPARE(ok.header("x-ratelimit-limit-requests"), QByteArray("3"));
        QCOMPARE(ok.header("x-ratelimit-remaining-requests"), QByteArray::number(2 - i));
        QVERIFY(parseGoDuration(ok.header("x-ratelimit-reset-requests")).has_value());
    }
    const Response limited = post(*m_nam, url(QStringLiteral("/v1/chat/completions")), chatBody());
    QCOMPARE(limited.status, 429);
    QCOMPARE(limited.header("x-ratelimit-remaining-requests"), QByteArray("0"));
    const qint64 retryMs = limited.header("retry-after-ms").toLongLong();
    QVERIFY2(retryMs > 50'000 && retryMs <= 60'001, limited.header("retry-after-ms").constData());
    QCOMPARE(limited.header("retry-after").toLongLong(), (retryMs + 999) / 1000);
    const QJsonObject error = limited.json()[QStringLiteral("error")].toObject();
    QCOMPARE(error[QStringLiteral("type")].toString(), QStringLiteral("requests"));
    QCOMPARE(error[QStringLiteral("code")].toString(), QStringLiteral("rate_limit_exceeded"));
    const QJsonObject s = stats();
    QCOMPARE(s[QStringLiteral("rate_limited")].toInt(), 1);
    QCOMPARE(s[QStringLiteral("window")][QStringLiteral("max_requests")].toInt(), 3);
    QCOMPARE(s[QStringLiteral("window")][QStringLiteral("rpm_limit")].toInt(), 3);
}

void TestMockServer::tokenRateLimit() {
    MockConfig c = fastConfig();
    c.tpm = 100;
    c.tokensMin = c.tokensMax = 20;
    start(c);
    // Each request costs 4 prompt tokens ("hi" + 3) + 20 completion = 24: four fit in 100.
    for (int i = 0; i < 4; ++i) {
        const Response ok = post(*m_nam, url(QStringLiteral("/v1/chat/completions")),
                                 chatBody(QStringLiteral("hi")));
        QCOMPARE(ok.status, 200);
        QCOMPARE(ok.header("x-ratelimit-remaining-tokens"), QByteArray::number(100 - 24 * (i + 1)));
    }
    const Response limited =
        post(*m_nam, url(QStringLiteral("/v1/chat/completions")), chatBody(QStringLiteral("hi")));
    QCOMPARE(limited.status, 429);
    QCOMPARE(limited.json()[QStringLiteral("error")][QStringLiteral("type")].toString(),
             QStringLiteral("tokens"));
    QVERIFY(limited.hasHeader("retry-after-ms"));
    QCOMPARE(stats()[QStringLiteral("window")][QStringLiteral("max_tokens")].toInt(), 96);
}

void TestMockServer::requestTooLargeForTokenLimit() {
    MockConfig c = fastConfig();
    c.tpm = 10;
    start(c);
    const Response r = post(*m_nam, url(QStringLiteral("/v1/chat/completions")), chatBody());
    QCOMPARE(r.status, 429);
    QVERIFY(r.json()[QStringLiteral("error")][QStringLiteral("message")].toString().contains(
        QStringLiteral("too large")));
    QVERIFY(!r.hasHeader("retry-after")); // waiting will never help
}

void TestMockServer::anthropicRateLimit() {
    MockConfig c = fastConfig();
    c.rpm = 1;
    c.tpm = 100000;
    start(c);
    const Response ok = post(*m_nam, url(QStringLiteral("/v1/messages")), messagesBody());
    QCOMPARE(ok.status, 200);
    QCOMPARE(ok.header("anthropic-ratelimit-requests-limit"), QByteArray("1"));
    QCOMPARE(ok.header("anthropic-ratelimit-requests-remaining"), QByteArray("0"));
    QCOMPARE(ok.header("anthropic-ratelimit-tokens-limit"), QByteArray("100000"));
    const Response limited = post(*m_nam, url(QStringLiteral("/v1/messages")), messagesBody());
    QCOMPARE(limited.status, 429);
    QCOMPARE(limited.json()[QStringLiteral("type")].toString(), QStringLiteral("error"));
    QCOMPARE(limited.json()[QStringLiteral("error")][QStringLiteral("type")].toString(),
             QStringLiteral("rate_limit_error"));
    const QDateTime reset = QDateTime::fromString(
        QString::fromLatin1(limited.header("anthropic-ratelimit-requests-reset")), Qt::ISODate);
    QVERIFY(reset.isValid());
    const qint64 ahead = QDateTime::currentDateTimeUtc().msecsTo(reset);
    QVERIFY2(ahead > 50'000 && ahead <= 62'000, qPrintable(QString::number(ahead)));
    QVERIFY(limited.header("retry-after").toInt() >= 59);
}

void TestMockServer::windowIsExactWithManualClock() {
    ManualClock clock(1000s);
    MockConfig c = fastConfig();
    c.rpm = 2;
    start(c, &clock);
    const QUrl chat = url(QStringLiteral("/v1/chat/completions"));
    QCOMPARE(post(*m_nam, chat, chatBody()).status, 200);
    clock.advance(30s);
    QCOMPARE(post(*m_nam, chat, chatBody()).status, 200);
    clock.advance(29999ms); // 59.999 s after the first: still inside its window
    const Response limited = post(*m_nam, chat, chatBody());
    QCOMPARE(limited.status, 429);
    QCOMPARE(limited.header("retry-after-ms"), QByteArray("1"));
    clock.advance(1ms);
    QCOMPARE(post(*m_nam, chat, chatBody()).status, 200);
    QCOMPARE(post(*m_nam, chat, chatBody()).status, 429);
    const QJsonObject s = stats();
    QCOMPARE(s[QStringLiteral("window")][QStringLiteral("max_requests")].toInt(), 2);
    QCOMPARE(s[QStringLiteral("rate_limited")].toInt(), 2);
}

void TestMockServer::badRequestsGetProviderErrors() {
    start(fastConfig());
    HttpServerLimits limits;
    limits.maxBodyBytes = 2048;
    m_server->http().setLimits(limits);
    const QUrl chat = url(QStringLiteral("/v1/chat/completions"));
    const Response malformed = post(*m_nam, chat, "{\"model\": ");
    QCOMPARE(malformed.status, 400);
    QCOMPARE(malformed.json()[QStringLiteral("error")][QStringLiteral("type")].toString(),
             QStringLiteral("invalid_request_error"));
    const Response missing = post(*m_nam, url(QStringLiteral("/v1/messages")),
                                  R"({"model":"c","messages":[{"role":"user","content":"hi"}]})");
    QCOMPARE(missing.status, 400);
    QCOMPARE(missing.json()[QStringLiteral("type")].toString(), QStringLiteral("error"));
    QVERIFY(
        missing.json()[QStringLiteral("error")][QStringLiteral("message")].toString().startsWith(
            QStringLiteral("max_tokens")));
    const Response unknown = post(*m_nam, url(QStringLiteral("/v1/unknown")), "{}");
    QCOMPARE(unknown.status, 404);
    QCOMPARE(unknown.json()[QStringLiteral("error")][QStringLiteral("code")].toString(),
             QStringLiteral("unknown_url"));
    const Response wrongMethod = get(*m_nam, chat);
    QCOMPARE(wrongMethod.status, 405);
    QCOMPARE(wrongMethod.header("allow"), QByteArray("POST"));
    const Response tooBig = post(*m_nam, chat, chatBody(QString(5000, QLatin1Char('x'))));
    QCOMPARE(tooBig.status, 413);
    QVERIFY(tooBig.json()[QStringLiteral("error")][QStringLiteral("message")].toString().contains(
        QStringLiteral("2048")));
    const RawResult garbage = rawExchange(m_server->port(), "\x16\x03\x01 TLS hello?\r\n\r\n");
    QVERIFY(garbage.data.startsWith("HTTP/1.1 400 "));
    QVERIFY(garbage.data.contains("\"error\""));
    // ...and it keeps serving.
    QCOMPARE(post(*m_nam, chat, chatBody()).status, 200);
    const QJsonObject s = stats();
    QCOMPARE(s[QStringLiteral("by_status")][QStringLiteral("400")].toInt(), 3);
    QCOMPARE(s[QStringLiteral("concurrent")].toInt(), 0);
}

void TestMockServer::statsAreTheTruth() {
    MockConfig c = fastConfig();
    c.tokensMin = 3;
    c.tokensMax = 30;
    c.faults.error500 = 0.2;
    start(c);
    const qint64 before = QDateTime::currentSecsSinceEpoch();
    qint64 promptSum = 0;
    qint64 completionSum = 0;
    int ok = 0;
    int failed = 0;
    for (int i = 0; i < 40; ++i) {
        const bool stream = i % 2 == 0;
        const Response r =
            post(*m_nam, url(QStringLiteral("/v1/chat/completions")),
                 chatBody(QStringLiteral("tell me %1 things").arg(i), stream, 0, true));
        if (r.status == 500) {
            ++failed;
            continue;
        }
        QCOMPARE(r.status, 200);
        ++ok;
        const QJsonObject usage =
            stream ? data(parseSse(r.body).at(parseSse(r.body).size() - 2))[QStringLiteral("usage")]
                         .toObject()
                   : r.json()[QStringLiteral("usage")].toObject();
        completionSum += usage[QStringLiteral("completion_tokens")].toInt();
    }
    // Prompt tokens are charged for every admitted request, faulted or not.
    for (int i = 0; i < 40; ++i) {
        promptSum += 3 + mock::countTokens(QStringLiteral("tell me %1 things").arg(i));
    }
    QVERIFY(failed > 0 && ok > 0);
    const QJsonObject s = stats();
    QCOMPARE(s[QStringLiteral("requests")].toInt(), 40);
    QCOMPARE(s[QStringLiteral("by_status")][QStringLiteral("200")].toInt(), ok);
    QCOMPARE(s[QStringLiteral("by_status")][QStringLiteral("500")].toInt(), failed);
    QCOMPARE(s[QStringLiteral("tokens_out")].toInt(), completionSum);
    QCOMPARE(s[QStringLiteral("tokens_in")].toInt(), promptSum);
    QCOMPARE(s[QStringLiteral("window")][QStringLiteral("max_requests")].toInt(), 40);
    const QJsonArray arrivals = s[QStringLiteral("arrivals_per_second")].toArray();
    QCOMPARE(arrivals.size(), 300);
    int sum = 0;
    for (const QJsonValue& v : arrivals) {
        sum += v.toInt();
    }
    QCOMPARE(sum, 40);
    QVERIFY(s[QStringLiteral("series_end_unix")].toInteger() >= before);
}

void TestMockServer::clientDisconnectFreesSlot() {
    MockConfig c = fastConfig();
    c.capacity = 1;
    c.ttftMs = 5000;
    start(c);
    QNetworkReply* slow = m_nam->post(jsonRequest(url(QStringLiteral("/v1/chat/completions")), 1),
                                      chatBody(QStringLiteral("hi"), true));
    QTRY_COMPARE(m_server->statsJson()[QStringLiteral("in_service")].toInt(), 1);
    slow->abort();
    slow->deleteLater();
    QTRY_COMPARE(m_server->statsJson()[QStringLiteral("in_service")].toInt(), 0);
    MockConfig quick = m_server->config();
    quick.ttftMs = 5;
    QVERIFY(m_server->setConfig(quick).ok());
    QCOMPARE(post(*m_nam, url(QStringLiteral("/v1/chat/completions")), chatBody()).status, 200);
    QCOMPARE(stats()[QStringLiteral("by_status")][QStringLiteral("client_closed")].toInt(), 1);
}

void TestMockServer::sameSeedSameReplies() {
    MockConfig c = fastConfig();
    c.tokensMin = 1;
    c.tokensMax = 40;
    c.seed = 7;
    QStringList first;
    for (int run = 0; run < 2; ++run) {
        start(c);
        QStringList replies;
        for (int i = 0; i < 5; ++i) {
            replies.append(post(*m_nam, url(QStringLiteral("/v1/chat/completions")), chatBody())
                               .json()[QStringLiteral("choices")][0][QStringLiteral("message")]
                                      [QStringLiteral("content")]
                               .toString());
        }
        if (run == 0) {
            first = replies;
        } else {
            QCOMPARE(replies, first);
        }
    }
    c.seed = 8;
    start(c);
    QStringList other;
    for (int i = 0; i < 5; ++i) {
        other.append(post(*m_nam, url(QStringLiteral("/v1/chat/completions")), chatBody())
                         .json()[QStringLiteral("choices")][0][QStringLiteral("message")]
                                [QStringLiteral("content")]
                         .toString());
    }
    QVERIFY(other != first);
}

QTEST_GUILESS_MAIN(TestMockServer)
#include "tst_mockserver.moc"
