// Golden streams: an in-process server answers one chat request with a scripted SSE stream (a
// list of {delay, bytes} steps) and notes, on the engine's own clock, when it received the
// request and when it wrote each step. The metrics sluice derives from the client side
// (measureRequest) must match what the script implies from those server timestamps.
//
// The server's reference: it reads sluice::SteadyClock, the clock a RequestEngine builds for
// itself when given none (checked below), so both sides' timestamps share one origin. "Received"
// is taken when the handler gets the parsed request, "written" right after each step's bytes are
// handed to the socket. The client's zero is QNetworkReply::requestSent, a little before the
// server's receipt; each arrival is stamped a little after the server's write (loopback, the
// QNAM thread, a queued readyRead). Both offsets are well under a millisecond on loopback, so
// every duration is compared within kTolerance, not exactly.
#include "core/engine/clock.h"
#include "core/metrics/requestmetrics.h"
#include "core/net/requestengine.h"
#include "core/net/requestmeasure.h"
#include "core/net/tokenestimate.h"
#include "core/server/httpresponder.h"
#include "core/server/httpserver.h"
#include "tests/support/httptestclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

constexpr Nanos kTolerance = 500us;

/// One write of the script.
struct Step {
    int delayMs = 0;       ///< after the previous step (the first: after the response headers)
    QByteArray bytes;      ///< written as one chunk
    int contentEvents = 0; ///< content or reasoning events whose last byte is in this write
};

/// A scripted answer and what it implies.
struct Golden {
    ApiFormat format = ApiFormat::OpenAi;
    QList<Step> script;
    QStringList texts;              ///< the text of each content event, in order
    std::int64_t usageTokens = -1;  ///< output tokens the script's usage reports; -1: no usage
    std::int64_t promptTokens = -1; ///< prompt tokens the script's usage reports
    bool ok = true;
    Outcome outcome = Outcome::Success;
    bool http2 = false; ///< over HTTP/2 (h2c, prior knowledge) instead of HTTP/1.1
};

} // namespace

Q_DECLARE_METATYPE(Golden)

namespace {

QByteArray compact(const QJsonObject& o) {
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray sseData(const QJsonObject& o) {
    return "data: " + compact(o) + "\n\n";
}

QByteArray sseEvent(const QByteArray& name, const QJsonObject& o) {
    return "event: " + name + "\ndata: " + compact(o) + "\n\n";
}

const QByteArray kPing = QByteArrayLiteral(": ping\n\n");

/// OpenAI chat.completion.chunk events, shaped as the mock (and OpenAI) sends them. With
/// include_usage every chunk carries "usage": null and a last chunk with empty choices has it.
class OpenAiStream {
public:
    explicit OpenAiStream(bool includeUsage)
        : m_includeUsage(includeUsage) {}

    QByteArray delta(const QJsonObject& delta, const QJsonValue& finish = QJsonValue::Null) const {
        QJsonObject o = base();
        o.insert(QStringLiteral("choices"),
                 QJsonArray{QJsonObject{{QStringLiteral("index"), 0},
                                        {QStringLiteral("delta"), delta},
                                        {QStringLiteral("logprobs"), QJsonValue::Null},
                                        {QStringLiteral("finish_reason"), finish}}});
        return sseData(o);
    }
    /// The role-only first chunk: empty content, not a token.
    QByteArray role() const {
        return delta({{QStringLiteral("role"), QStringLiteral("assistant")},
                      {QStringLiteral("content"), QString()},
                      {QStringLiteral("refusal"), QJsonValue::Null}});
    }
    QByteArray content(const QString& text) const {
        return delta({{QStringLiteral("content"), text}});
    }
    /// The finish chunk, the usage chunk when asked for, and [DONE].
    QByteArray finish(int promptTokens = 0, int completionTokens = 0) const {
        QByteArray out = delta(QJsonObject{}, QStringLiteral("stop"));
        if (m_includeUsage) {
            QJsonObject o = base();
            o.insert(QStringLiteral("choices"), QJsonArray{});
            o.insert(
                QStringLiteral("usage"),
                QJsonObject{{QStringLiteral("prompt_tokens"), promptTokens},
                            {QStringLiteral("completion_tokens"), completionTokens},
                            {QStringLiteral("total_tokens"), promptTokens + completionTokens}});
            out += sseData(o);
        }
        return out + "data: [DONE]\n\n";
    }

private:
    QJsonObject base() const {
        QJsonObject o{{QStringLiteral("id"), QStringLiteral("chatcmpl-golden")},
                      {QStringLiteral("object"), QStringLiteral("chat.completion.chunk")},
                      {QStringLiteral("created"), 1700000000},
                      {QStringLiteral("model"), QStringLiteral("golden-1")},
                      {QStringLiteral("system_fingerprint"), QJsonValue::Null}};
        if (m_includeUsage) {
            o.insert(QStringLiteral("usage"), QJsonValue::Null);
        }
        return o;
    }

    bool m_includeUsage;
};

QByteArray anthropicText(const QString& text) {
    return sseEvent("content_block_delta",
                    {{QStringLiteral("type"), QStringLiteral("content_block_delta")},
                     {QStringLiteral("index"), 0},
                     {QStringLiteral("delta"),
                      QJsonObject{{QStringLiteral("type"), QStringLiteral("text_delta")},
                                  {QStringLiteral("text"), text}}}});
}

QByteArray anthropicPing() {
    return sseEvent("ping", {{QStringLiteral("type"), QStringLiteral("ping")}});
}

/// Where to cut `event` so that the first part ends `into` bytes inside `character`'s UTF-8.
qsizetype splitInside(const QByteArray& event, const QString& character, int into) {
    const qsizetype at = event.indexOf(character.toUtf8());
    if (at < 0) {
        qFatal("splitInside: the character is not in the event as raw UTF-8");
    }
    return at + into;
}

/// An HTTP server that answers every request with one script, stamping its steps on the
/// engine's clock type.
class ScriptedServer {
    Q_DISABLE_COPY_MOVE(ScriptedServer)

public:
    explicit ScriptedServer(QList<Step> script)
        : m_script(std::move(script))
        , m_http([this](const HttpRequest& r, HttpResponder* w) { serve(r, w); }) {}

    bool listen() { return m_http.listen(QHostAddress::LocalHost, 0); }
    QUrl base(ApiFormat format) const {
        const QString root = QStringLiteral("http://127.0.0.1:%1").arg(m_http.serverPort());
        return QUrl(format == ApiFormat::OpenAi ? root + QStringLiteral("/v1") : root);
    }

    int requests() const { return m_requests; }
    const QByteArray& path() const { return m_path; }
    bool ended() const { return m_ended; }
    Nanos receivedAt() const { return m_receivedAt; }
    Nanos headersAt() const { return m_headersAt; }
    const std::vector<Nanos>& writtenAt() const { return m_writtenAt; }

private:
    void serve(const HttpRequest& request, HttpResponder* responder) {
        m_receivedAt = m_clock.now();
        ++m_requests;
        m_path = request.path;
        responder->beginChunked(
            200, {{"content-type", "text/event-stream"}, {"cache-control", "no-cache"}});
        m_headersAt = m_clock.now();
        schedule(responder, 0);
    }

    void schedule(HttpResponder* responder, qsizetype index) {
        QTimer::singleShot(m_script.at(index).delayMs, Qt::PreciseTimer, responder,
                           [this, guard = QPointer<HttpResponder>(responder), index] {
                               if (!guard) {
                                   return;
                               }
                               guard->write(m_script.at(index).bytes);
                               m_writtenAt.push_back(m_clock.now());
                               if (index + 1 < m_script.size()) {
                                   schedule(guard, index + 1);
                               } else {
                                   guard->end();
                                   m_ended = true;
                               }
                           });
    }

    SteadyClock m_clock;
    QList<Step> m_script;
    HttpServer m_http;
    int m_requests = 0;
    QByteArray m_path;
    bool m_ended = false;
    Nanos m_receivedAt{0};
    Nanos m_headersAt{0};
    std::vector<Nanos> m_writtenAt;
};

double toMs(Nanos d) {
    return static_cast<double>(d.count()) / 1e6;
}

} // namespace

class TestStreamMetrics final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesServerTimeline_data();
    void matchesServerTimeline();
    void cleanupTestCase();

private:
    std::map<QString, Nanos> m_maxDeviation; // per metric, over all rows
    int m_reruns = 0;                        // runs repeated after a timing miss
};

namespace {
/// Each golden stream is served over HTTP/1.1 and again over HTTP/2: the timing holds on both.
void addRows(const char* name, Golden g) {
    QTest::newRow(name) << g;
    g.http2 = true;
    QTest::newRow((QByteArray(name) + " (h2)").constData()) << g;
}
} // namespace

void TestStreamMetrics::matchesServerTimeline_data() {
    QTest::addColumn<Golden>("golden");
    const OpenAiStream withUsage(true);
    const OpenAiStream noUsage(false);

    {
        // The role-only chunk 30 ms before the first word is not the first token.
        Golden g;
        g.script = {{30, withUsage.role(), 0},
                    {40, withUsage.content(QStringLiteral("Hello")), 1},
                    {25, withUsage.content(QStringLiteral(" there")), 1},
                    {50, withUsage.content(QStringLiteral(" friend")), 1},
                    {30, withUsage.content(QStringLiteral("!")), 1},
                    {35, withUsage.finish(9, 4), 0}};
        g.texts = {QStringLiteral("Hello"), QStringLiteral(" there"), QStringLiteral(" friend"),
                   QStringLiteral("!")};
        g.usageTokens = 4; // the estimate would be 6: usage must win
        g.promptTokens = 9;
        addRows("role-only first chunk", g);
    }
    {
        // DeepSeek-style reasoning_content, then OpenRouter-style reasoning, then the answer: the
        // first reasoning delta is the first token. The first chunk has a role, null content
        // and empty reasoning: not a token.
        Golden g;
        g.script = {
            {20,
             withUsage.delta({{QStringLiteral("role"), QStringLiteral("assistant")},
                              {QStringLiteral("content"), QJsonValue::Null},
                              {QStringLiteral("reasoning_content"), QString()}}),
             0},
            {35,
             withUsage.delta(
                 {{QStringLiteral("content"), QJsonValue::Null},
                  {QStringLiteral("reasoning_content"), QStringLiteral("Let me think")}}),
             1},
            {25,
             withUsage.delta({{QStringLiteral("reasoning_content"), QStringLiteral(" about it.")}}),
             1},
            {40,
             withUsage.delta({{QStringLiteral("content"), QString()},
                              {QStringLiteral("reasoning"), QStringLiteral(" Done thinking.")}}),
             1},
            {30, withUsage.content(QStringLiteral("Answer:")), 1},
            {45, withUsage.content(QStringLiteral(" 42")), 1},
            {30, withUsage.finish(12, 17), 0}};
        g.texts = {QStringLiteral("Let me think"), QStringLiteral(" about it."),
                   QStringLiteral(" Done thinking."), QStringLiteral("Answer:"),
                   QStringLiteral(" 42")};
        g.usageTokens = 17;
        g.promptTokens = 12;
        addRows("reasoning before content", g);
    }
    {
        // Several words per event: one ITL gap per event, N (for TPOT) from usage.
        Golden g;
        g.script = {{30, withUsage.content(QStringLiteral("The quick brown fox")), 1},
                    {50, withUsage.content(QStringLiteral(" jumps over the lazy")), 1},
                    {25, withUsage.content(QStringLiteral(" dog.")), 1},
                    {40, withUsage.finish(7, 11), 0}};
        g.texts = {QStringLiteral("The quick brown fox"), QStringLiteral(" jumps over the lazy"),
                   QStringLiteral(" dog.")};
        g.usageTokens = 11;
        g.promptTokens = 7;
        addRows("multi-token chunks", g);
    }
    {
        // No include_usage honoured: no usage anywhere, so the count is the local estimate.
        Golden g;
        g.script = {{25, noUsage.role(), 0},
                    {30, noUsage.content(QStringLiteral("Alpha")), 1},
                    {45, noUsage.content(QStringLiteral(" beta")), 1},
                    {20, noUsage.content(QStringLiteral(" gamma, delta.")), 1},
                    {35, noUsage.finish(), 0}};
        g.texts = {QStringLiteral("Alpha"), QStringLiteral(" beta"),
                   QStringLiteral(" gamma, delta.")};
        addRows("missing usage", g);
    }
    {
        // Multi-byte characters cut between two writes 40-50 ms apart. The event is complete
        // (and timed) when its last byte arrives. Without usage the count is the estimate of the
        // decoded text, chosen so that a dropped or replaced (U+FFFD) character changes it:
        // " caféteria" is 3, "日本語です" 2, "🙂ok" 3 (the emoji's two UTF-16 halves count
        // 1 each).
        Golden g;
        const QString cafe = QStringLiteral(" caf\u00e9teria");
        const QString japanese = QStringLiteral(" \u65e5\u672c\u8a9e\u3067\u3059");
        const QString emoji = QStringLiteral(" \U0001F642ok");
        const QByteArray e1 = noUsage.content(cafe);
        const QByteArray e2 = noUsage.content(japanese);
        const QByteArray e3 = noUsage.content(emoji);
        const qsizetype a = splitInside(e1, QStringLiteral("\u00e9"), 1);     // 1 of 2 bytes
        const qsizetype b = splitInside(e2, QStringLiteral("\u672c"), 2);     // 2 of 3 bytes
        const qsizetype c = splitInside(e3, QStringLiteral("\U0001F642"), 1); // 1 of 4 bytes
        g.script = {{30, noUsage.content(QStringLiteral("Un")), 1},
                    {40, e1.left(a), 0},
                    {45, e1.mid(a), 1},
                    {30, e2.left(b), 0},
                    {50, e2.mid(b), 1},
                    {25, e3.left(c), 0},
                    {40, e3.mid(c), 1},
                    {30, noUsage.finish(), 0}};
        g.texts = {QStringLiteral("Un"), cafe, japanese, emoji};
        addRows("utf-8 split across writes", g);
    }
    {
        // Keep-alive comments before and between events: neither tokens nor ITL gaps.
        Golden g;
        g.script = {{30, kPing, 0},
                    {25, withUsage.role(), 0},
                    {30, withUsage.content(QStringLiteral("One")), 1},
                    {25, kPing, 0},
                    {30, kPing, 0},
                    {20, withUsage.content(QStringLiteral(" two")), 1},
                    {40, kPing, 0},
                    {25, withUsage.content(QStringLiteral(" three")), 1},
                    {30, withUsage.finish(8, 3), 0}};
        g.texts = {QStringLiteral("One"), QStringLiteral(" two"), QStringLiteral(" three")};
        g.usageTokens = 3;
        g.promptTokens = 8;
        addRows("comment pings", g);
    }
    {
        // Two complete events in one write: two chunks with one arrival time (an ITL of 0).
        Golden g;
        g.script = {
            {30, withUsage.role(), 0},
            {35,
             withUsage.content(QStringLiteral("Left")) +
                 withUsage.content(QStringLiteral(" right")),
             2},
            {40, withUsage.content(QStringLiteral(" and")), 1},
            {30,
             withUsage.content(QStringLiteral(" centre")) + withUsage.content(QStringLiteral(".")),
             2},
            {25, withUsage.finish(6, 5), 0}};
        g.texts = {QStringLiteral("Left"), QStringLiteral(" right"), QStringLiteral(" and"),
                   QStringLiteral(" centre"), QStringLiteral(".")};
        g.usageTokens = 5;
        g.promptTokens = 6;
        addRows("two events in one write", g);
    }
    {
        // An error event after some content, then the stream ends (no [DONE]): not ok, a
        // server error, never retried here.
        Golden g;
        g.script = {{30, withUsage.role(), 0},
                    {30, withUsage.content(QStringLiteral("Partial")), 1},
                    {40, withUsage.content(QStringLiteral(" answer")), 1},
                    {30,
                     QByteArrayLiteral(
                         "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n"),
                     0}};
        g.texts = {QStringLiteral("Partial"), QStringLiteral(" answer")};
        g.ok = false;
        g.outcome = Outcome::ServerError;
        addRows("mid-stream error", g);
    }
    {
        // Anthropic: message_start (input tokens, output 1), a text block, pings, text deltas,
        // message_delta with the final output_tokens, message_stop.
        Golden g;
        g.format = ApiFormat::Anthropic;
        const QJsonObject message{
            {QStringLiteral("id"), QStringLiteral("msg_golden")},
            {QStringLiteral("type"), QStringLiteral("message")},
            {QStringLiteral("role"), QStringLiteral("assistant")},
            {QStringLiteral("model"), QStringLiteral("golden-1")},
            {QStringLiteral("content"), QJsonArray{}},
            {QStringLiteral("stop_reason"), QJsonValue::Null},
            {QStringLiteral("stop_sequence"), QJsonValue::Null},
            {QStringLiteral("usage"), QJsonObject{{QStringLiteral("input_tokens"), 11},
                                                  {QStringLiteral("output_tokens"), 1}}}};
        const QByteArray start =
            sseEvent("message_start", {{QStringLiteral("type"), QStringLiteral("message_start")},
                                       {QStringLiteral("message"), message}}) +
            sseEvent("content_block_start",
                     {{QStringLiteral("type"), QStringLiteral("content_block_start")},
                      {QStringLiteral("index"), 0},
                      {QStringLiteral("content_block"),
                       QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                   {QStringLiteral("text"), QString()}}}}) +
            anthropicPing();
        const QByteArray stop =
            sseEvent("content_block_stop",
                     {{QStringLiteral("type"), QStringLiteral("content_block_stop")},
                      {QStringLiteral("index"), 0}}) +
            sseEvent(
                "message_delta",
                {{QStringLiteral("type"), QStringLiteral("message_delta")},
                 {QStringLiteral("delta"),
                  QJsonObject{{QStringLiteral("stop_reason"), QStringLiteral("end_turn")},
                              {QStringLiteral("stop_sequence"), QJsonValue::Null}}},
                 {QStringLiteral("usage"), QJsonObject{{QStringLiteral("output_tokens"), 7}}}}) +
            sseEvent("message_stop", {{QStringLiteral("type"), QStringLiteral("message_stop")}});
        g.script = {{25, start, 0},
                    {30, anthropicText(QStringLiteral("Hello")), 1},
                    {40, anthropicText(QStringLiteral(" from")), 1},
                    {20, anthropicPing(), 0},
                    {25, anthropicText(QStringLiteral(" Claude")), 1},
                    {35, stop, 0}};
        g.texts = {QStringLiteral("Hello"), QStringLiteral(" from"), QStringLiteral(" Claude")};
        g.usageTokens = 7; // from message_delta, not message_start's 1 nor the estimate (4)
        g.promptTokens = 11;
        addRows("anthropic", g);
    }
}

namespace {

/// What one run of a script left: the client's record and the server's timeline.
struct Run {
    EngineRequest request;
    RequestRecord record;
    int requests = 0;
    QByteArray path;
    bool ended = false;
    Nanos receivedAt{0};
    Nanos headersAt{0};
    std::vector<Nanos> writtenAt;
};

/// Serves `golden` to one request sent through a fresh engine; nullopt when it did not finish.
std::optional<Run> runScript(const Golden& golden) {
    ScriptedServer server(golden.script);
    if (!server.listen()) {
        return std::nullopt;
    }
    EngineConfig config;
    config.concurrency.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    config.concurrency.initial = 1;
    config.concurrency.max = 1;
    config.retry.maxAttempts = 1; // the failing row is judged on its one attempt
    config.snapshotInterval = std::chrono::seconds(10); // nothing else on the thread while timed
    config.http2 = golden.http2;
    RequestEngine engine(config);
    // The server's timestamps are only comparable if the engine reads the same clock.
    if (!engine.clock().isWallSteady()) {
        qWarning("the engine's default clock is not the plain steady clock");
        return std::nullopt;
    }
    Run run;
    run.request =
        chatRequest(golden.format, server.base(golden.format),
                    QByteArrayLiteral("sk-test-0123456789abcdef"), QStringLiteral("golden-1"),
                    {{QStringLiteral("user"), QStringLiteral("Tell me a story")}}, 64);
    std::optional<RequestRecord> record;
    engine.submit(run.request, [&](const RequestRecord& r) { record = r; });
    if (!test::runUntil([&] { return record.has_value(); }, 5000)) {
        return std::nullopt;
    }
    run.record = *record;
    run.requests = server.requests();
    run.path = server.path();
    run.ended = server.ended();
    run.receivedAt = server.receivedAt();
    run.headersAt = server.headersAt();
    run.writtenAt = server.writtenAt();
    return run;
}

struct Check {
    QString metric;
    std::optional<Nanos> client;
    Nanos server;
};

Nanos deviation(const Check& c) {
    if (!c.client) {
        return Nanos::max();
    }
    return *c.client > c.server ? *c.client - c.server : c.server - *c.client;
}

} // namespace

void TestStreamMetrics::matchesServerTimeline() {
    QFETCH(Golden, golden);
    // Loopback delivery is well under kTolerance, but a thread woken late on a busy 2-core
    // machine (a parallel build) can add a millisecond. A timing miss is therefore run again
    // from scratch, at most twice; everything else is asserted on every run, and a real defect
    // (a miscounted chunk is off by a whole script step, 20+ ms) fails every run.
    constexpr int kRuns = 3;
    std::optional<Run> run;
    std::vector<Check> checks;
    RequestMetrics m;
    std::int64_t expectedTokens = golden.usageTokens;
    for (int attempt = 1;; ++attempt) {
        run = runScript(golden);
        QVERIFY2(run.has_value(), "the request did not finish");
        const RequestRecord& record = run->record;
        QCOMPARE(run->requests, 1);
        QVERIFY(run->ended);
        QCOMPARE(run->path, golden.format == ApiFormat::OpenAi
                                ? QByteArrayLiteral("/v1/chat/completions")
                                : QByteArrayLiteral("/v1/messages"));
        QCOMPARE(record.attempts, 1);
        QCOMPARE(record.status, 200);
        QCOMPARE(outcomeName(record.outcome), outcomeName(golden.outcome));

        // What the script implies: each content event arrives with the write holding its last
        // byte.
        const std::vector<Nanos>& written = run->writtenAt;
        QCOMPARE(qsizetype(written.size()), golden.script.size());
        std::vector<Nanos> events;
        for (qsizetype i = 0; i < golden.script.size(); ++i) {
            events.insert(events.end(), golden.script.at(i).contentEvents, written[std::size_t(i)]);
        }
        QCOMPARE(qsizetype(events.size()), golden.texts.size()); // the row is consistent
        QCOMPARE(record.chunks, int(events.size()));
        QCOMPARE(record.chunkTimes.size(), events.size());
        for (std::size_t i = 1; i < events.size(); ++i) {
            if (events[i] == events[i - 1]) { // one write, one read: one arrival time
                QCOMPARE(record.chunkTimes[i].count(), record.chunkTimes[i - 1].count());
            }
        }

        m = measureRequest(record);
        const Nanos received = run->receivedAt;
        checks.clear();
        checks.push_back({QStringLiteral("ttfb"), m.ttfb, run->headersAt - received});
        if (!golden.ok) {
            QCOMPARE(stateName(record.state), "failed");
            QVERIFY(!m.ok);
            // The error event's own message names what went wrong.
            QVERIFY2(record.reason.contains(QStringLiteral("boom")), qPrintable(record.reason));
            QVERIFY(!m.ttft && !m.e2e && !m.tpotDecode && !m.tpotOverall);
        } else {
            QCOMPARE(stateName(record.state), "done");
            QVERIFY(m.ok);
            if (golden.usageTokens >= 0) {
                QVERIFY(!m.tokensEstimated);
                QCOMPARE(m.promptTokens, golden.promptTokens);
            } else {
                // The reader estimates each content event's text (at least 1 per event), adds.
                expectedTokens = 0;
                for (const QString& text : std::as_const(golden.texts)) {
                    expectedTokens += std::max(1, estimateTokens(text));
                }
                QVERIFY(m.tokensEstimated);
                QCOMPARE(m.promptTokens, run->request.promptTokens);
            }
            QCOMPARE(m.outputTokens, expectedTokens);
            QCOMPARE(m.itl.size(), events.size() - 1);

            const Nanos ttft = events.front() - received;
            const Nanos e2e = written.back() - received;
            checks.push_back({QStringLiteral("ttft"), m.ttft, ttft});
            if (events.size() >= 2) {
                checks.push_back({QStringLiteral("ttst"), m.ttst, events[1] - received});
            }
            for (std::size_t i = 1; i < events.size(); ++i) {
                checks.push_back({QStringLiteral("itl"), m.itl[i - 1], events[i] - events[i - 1]});
            }
            checks.push_back({QStringLiteral("e2e"), m.e2e, e2e});
            checks.push_back({QStringLiteral("tpot_overall"), m.tpotOverall, e2e / expectedTokens});
            if (expectedTokens >= 2) {
                checks.push_back({QStringLiteral("tpot_decode"), m.tpotDecode,
                                  (e2e - ttft) / (expectedTokens - 1)});
            }
        }
        const auto worst =
            std::max_element(checks.begin(), checks.end(), [](const Check& a, const Check& b) {
                return deviation(a) < deviation(b);
            });
        if (deviation(*worst) <= kTolerance || attempt == kRuns) {
            break;
        }
        ++m_reruns;
        qInfo("run %d: %s off by %.3f ms; running again", attempt, qPrintable(worst->metric),
              worst->client ? toMs(deviation(*worst)) : -1.0);
    }

    Nanos rowMax{0};
    for (const Check& c : checks) {
        QVERIFY2(c.client.has_value(), qPrintable(c.metric + QStringLiteral(" missing")));
        const Nanos d = deviation(c);
        rowMax = std::max(rowMax, d);
        Nanos& worst = m_maxDeviation[c.metric];
        worst = std::max(worst, d);
        QVERIFY2(d <= kTolerance, qPrintable(QStringLiteral("%1: client %2 ms, server %3 ms")
                                                 .arg(c.metric)
                                                 .arg(toMs(*c.client), 0, 'f', 3)
                                                 .arg(toMs(c.server), 0, 'f', 3)));
    }
    qInfo("%d checks, max deviation %.3f ms", int(checks.size()), toMs(rowMax));
}

void TestStreamMetrics::cleanupTestCase() {
    qInfo("runs repeated after a timing miss: %d", m_reruns);
    for (const auto& [metric, worst] : m_maxDeviation) {
        qInfo("max |client - server| %-13s %.3f ms", qPrintable(metric), toMs(worst));
    }
}

QTEST_GUILESS_MAIN(TestStreamMetrics)
#include "tst_streammetrics.moc"
