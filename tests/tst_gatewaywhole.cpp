// The coroutine paths, tested the QCoro way (QCORO_* checks inside coroutines): the awaitable
// end of an engine request (RequestEnded) and RequestEngine::run() on it, the gateway's
// whole-body (non-streaming) proxy path that awaits it, and the admin API as a client awaiting
// its answers.
#include "core/net/requestended.h"
#include "core/net/requestengine.h"
#include "core/server/gateway/gatewayserver.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/gatewayfixture.h"
#include "tests/support/httptestclient.h"
#include "tests/support/mockfixture.h"
#include "tests/support/qcorotest.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>
#include <QTimer>

#include <QCoroNetworkReply>
#include <QCoroTask>

#include <memory>

using namespace sluice;

namespace {

GatewayConfig gatewayFor(const MockServer& mock, int maxConcurrent) {
    return test::gatewayFor(mock.baseUrl(), maxConcurrent, 100);
}

QUrl urlOf(const GatewayServer& g, const char* path) {
    return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(g.port()).arg(QLatin1String(path)));
}

// Counts event-loop turns while a coroutine waits: a responsive loop keeps it growing.
struct LoopProbe {
    QTimer timer;
    int ticks = 0;
    LoopProbe() {
        timer.setInterval(1);
        QObject::connect(&timer, &QTimer::timeout, &timer, [this] { ++ticks; });
        timer.start();
    }
};

struct Answer {
    int status = 0;
    QByteArray body;
    QByteArray contentLength;
    QByteArray transferEncoding;
    QByteArray requestId;
};

// One request, awaited; parameters by value (a coroutine's references would dangle).
QCoro::Task<Answer> send(QNetworkAccessManager* nam, QUrl url, QByteArray method, QByteArray body) {
    QNetworkRequest request = test::jsonRequest(url);
    request.setTransferTimeout(10000);
    std::unique_ptr<QNetworkReply> reply(
        co_await (method == "POST" ? nam->post(request, body) : nam->get(request)));
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.body = reply->readAll();
    a.contentLength = reply->rawHeader("content-length");
    a.transferEncoding = reply->rawHeader("transfer-encoding");
    a.requestId = reply->rawHeader("x-sluice-request-id");
    co_return a;
}

} // namespace

class TestGatewayWhole final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void requestEndedResumesInsideTheCompletion();
    void requestEndedBeforeTheAwaitDoesNotSuspend();
    void engineRunAwaitsTheRecord();
    void wholeAnswerComesInOnePiece();
    void wholeAnswerBrokenOffIsTheGatewaysOwnError();
    void callerLeavingStopsItsWholeRequest();
    void gatewayGoingAwayEndsAWaitingWholeRequest();
    void adminConfigAnswersAnAwaitingClient();

private:
    QCoro::Task<> engineRunCoro();
    QCoro::Task<> wholeAnswerComesInOnePieceCoro();
    QCoro::Task<> wholeAnswerBrokenOffCoro();
    QCoro::Task<> adminConfigCoro();
};

namespace {

QCoro::Task<> awaitEnd(RequestEnded ended, RequestRecord* got, bool* resumed) {
    *got = co_await ended;
    *resumed = true;
}

} // namespace

void TestGatewayWhole::requestEndedResumesInsideTheCompletion() {
    RequestEnded ended;
    RequestRecord got;
    bool resumed = false;
    QCoro::Task<> task = awaitEnd(ended, &got, &resumed);
    QVERIFY(!resumed);
    QVERIFY(!ended.ended());
    RequestRecord record;
    record.id = 7;
    record.state = RequestState::Done;
    ended.completion()(record);
    // Synchronously, inside the completion: no event-loop turn in between.
    QVERIFY(resumed);
    QVERIFY(task.isReady());
    QCOMPARE(got.id, std::uint64_t{7});
    QCOMPARE(got.state, RequestState::Done);
}

void TestGatewayWhole::requestEndedBeforeTheAwaitDoesNotSuspend() {
    RequestEnded ended;
    RequestRecord record;
    record.id = 3;
    record.state = RequestState::Rejected;
    ended.completion()(record); // refused inside submit(), before anyone awaits
    QVERIFY(ended.ended());
    RequestRecord got;
    bool resumed = false;
    QCoro::Task<> task = awaitEnd(ended, &got, &resumed);
    QVERIFY(resumed);
    QVERIFY(task.isReady());
    QCOMPARE(got.state, RequestState::Rejected);
}

void TestGatewayWhole::engineRunAwaitsTheRecord() {
    QCoro::waitFor(engineRunCoro());
}

QCoro::Task<> TestGatewayWhole::engineRunCoro() {
    MockServer mock(test::unlimitedMock(30, 2, 6));
    QCORO_VERIFY(mock.listen());
    RequestEngine engine;
    const QUrl base(mock.baseUrl().toString() + QStringLiteral("/v1"));
    LoopProbe probe;
    // Built before the co_await: GCC 12 cannot keep an initializer list's array across one.
    const QList<ChatMessage> messages{{QStringLiteral("user"), QStringLiteral("hi")}};
    EngineRequest request =
        chatRequest(ApiFormat::OpenAi, base, QByteArrayLiteral("sk-test-0123456789abcdef"),
                    QStringLiteral("mock-1"), messages, 16, true);
    const RequestRecord record = co_await engine.run(std::move(request));
    QCORO_VERIFY(probe.ticks > 0);
    QCORO_COMPARE(record.state, RequestState::Done);
    QCORO_COMPARE(record.status, 200);
    QCORO_COMPARE(record.completionTokens, std::int64_t{6});
    QCORO_COMPARE(mock.statsJson().value(QStringLiteral("requests")).toInt(), 1);
    QCORO_COMPARE(engine.active(), std::size_t{0});
}

void TestGatewayWhole::wholeAnswerComesInOnePiece() {
    QCoro::waitFor(wholeAnswerComesInOnePieceCoro());
}

QCoro::Task<> TestGatewayWhole::wholeAnswerComesInOnePieceCoro() {
    MockServer mock(test::unlimitedMock(50, 5, 20));
    QCORO_VERIFY(mock.listen());
    GatewayServer gateway(gatewayFor(mock, 4));
    QCORO_VERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    LoopProbe probe;
    const Answer a = co_await send(&nam, urlOf(gateway, "/v1/chat/completions"), "POST",
                                   test::chatBody(QStringLiteral("hi"), false));
    QCORO_VERIFY(probe.ticks > 0); // the test's own loop ran while it waited
    QCORO_COMPARE(a.status, 200);
    // One piece: a length, not chunks.
    QCORO_COMPARE(a.contentLength, QByteArray::number(a.body.size()));
    QCORO_VERIFY(a.transferEncoding.isEmpty());
    QCORO_VERIFY(!a.requestId.isEmpty()); // the gateway's own headers ride along
    const QJsonObject json = QJsonDocument::fromJson(a.body).object();
    QCORO_COMPARE(json.value(QStringLiteral("choices")).toArray().size(), 1);
    const QJsonObject stats = gateway.statsJson();
    QCORO_COMPARE(stats.value(QStringLiteral("done")).toInt(), 1);
    QCORO_COMPARE(stats.value(QStringLiteral("answers_by_status"))
                      .toObject()
                      .value(QStringLiteral("200"))
                      .toInt(),
                  1);
    QCORO_COMPARE(stats.value(QStringLiteral("tokens"))
                      .toObject()
                      .value(QStringLiteral("completion"))
                      .toInt(),
                  20);
}

void TestGatewayWhole::wholeAnswerBrokenOffIsTheGatewaysOwnError() {
    QCoro::waitFor(wholeAnswerBrokenOffCoro());
}

QCoro::Task<> TestGatewayWhole::wholeAnswerBrokenOffCoro() {
    MockConfig m = test::unlimitedMock(10, 0, 40);
    m.faults.midstream = 1.0; // the body announced whole, then cut off halfway
    MockServer mock(m);
    QCORO_VERIFY(mock.listen());
    GatewayServer gateway(gatewayFor(mock, 4));
    QCORO_VERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    const Answer a = co_await send(&nam, urlOf(gateway, "/v1/chat/completions"), "POST",
                                   test::chatBody(QStringLiteral("hi"), false));
    // Nothing had gone out yet: the caller hears a clean error, never half a body.
    QCORO_VERIFY2(a.status == 502 || a.status == 504, a.body.constData());
    const QJsonObject error =
        QJsonDocument::fromJson(a.body).object().value(QStringLiteral("error")).toObject();
    QCORO_VERIFY2(!error.value(QStringLiteral("message")).toString().isEmpty(), a.body.constData());
    QCORO_COMPARE(mock.statsJson().value(QStringLiteral("requests")).toInt(), 1); // no retry
    QCORO_COMPARE(gateway.statsJson().value(QStringLiteral("failed")).toInt(), 1);
}

void TestGatewayWhole::callerLeavingStopsItsWholeRequest() {
    MockServer mock(test::unlimitedMock(3000, 0, 5));
    QVERIFY(mock.listen());
    GatewayServer gateway(gatewayFor(mock, 1));
    QVERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    std::unique_ptr<QNetworkReply> reply(
        nam.post(test::jsonRequest(urlOf(gateway, "/v1/chat/completions")),
                 test::chatBody(QStringLiteral("hi"), false)));
    QVERIFY(test::runUntil(
        [&] { return mock.statsJson().value(QStringLiteral("concurrent")).toInt() == 1; }, 5000));
    reply->abort();
    // Its upstream request is aborted long before the upstream's 3 s first byte.
    QVERIFY(test::runUntil(
        [&] { return mock.statsJson().value(QStringLiteral("concurrent")).toInt() == 0; }, 1000));
    QVERIFY(test::runUntil([&] { return gateway.engine().active() == 0; }, 1000));
    const QJsonObject stats = gateway.statsJson();
    QCOMPARE(stats.value(QStringLiteral("client_gone")).toInt(), 1);
    QCOMPARE(stats.value(QStringLiteral("cancelled")).toInt(), 1);
}

void TestGatewayWhole::gatewayGoingAwayEndsAWaitingWholeRequest() {
    MockServer mock(test::unlimitedMock(3000, 0, 5));
    QVERIFY(mock.listen());
    auto gateway = std::make_unique<GatewayServer>(gatewayFor(mock, 1));
    QVERIFY(gateway->listen().ok());
    QNetworkAccessManager nam;
    std::unique_ptr<QNetworkReply> reply(
        nam.post(test::jsonRequest(urlOf(*gateway, "/v1/chat/completions")),
                 test::chatBody(QStringLiteral("hi"), false)));
    QVERIFY(test::runUntil([&] { return gateway->engine().active() == 1; }, 5000));
    // Its coroutine resumes inside the gateway's destructor (the engine ends every request),
    // while the gateway is still whole.
    gateway.reset();
    QVERIFY(test::runUntil([&] { return reply->isFinished(); }, 5000));
    QVERIFY(reply->error() != QNetworkReply::NoError ||
            reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() >= 500);
}

void TestGatewayWhole::adminConfigAnswersAnAwaitingClient() {
    QCoro::waitFor(adminConfigCoro());
}

QCoro::Task<> TestGatewayWhole::adminConfigCoro() {
    MockServer mock(test::unlimitedMock(10, 0, 1));
    QCORO_VERIFY(mock.listen());
    GatewayServer gateway(gatewayFor(mock, 4));
    QCORO_VERIFY(gateway.listen().ok());
    QNetworkAccessManager nam;
    const QUrl config = urlOf(gateway, "/admin/config");

    const Answer bad = co_await send(&nam, config, "POST", R"({"rpm": -5})");
    QCORO_COMPARE(bad.status, 400);
    const QJsonObject error = QJsonDocument::fromJson(bad.body).object();
    QCORO_COMPARE(error.value(QStringLiteral("field")).toString(), QStringLiteral("rpm"));

    const Answer notJson = co_await send(&nam, config, "POST", "rpm=5");
    QCORO_COMPARE(notJson.status, 400);

    const Answer good = co_await send(&nam, config, "POST", R"({"rpm": 600})");
    QCORO_COMPARE(good.status, 200);
    const QJsonObject applied = QJsonDocument::fromJson(good.body).object();
    QCORO_COMPARE(applied.value(QStringLiteral("rpm")).toInt(), 600);
    QCORO_COMPARE(applied.value(QStringLiteral("version")).toInt(), 2);

    const Answer read = co_await send(&nam, config, "GET", {});
    QCORO_COMPARE(read.status, 200);
    QCORO_COMPARE(QJsonDocument::fromJson(read.body).object().value(QStringLiteral("rpm")).toInt(),
                  600);
}

QTEST_GUILESS_MAIN(TestGatewayWhole)
#include "tst_gatewaywhole.moc"
