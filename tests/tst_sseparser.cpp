#include "core/net/sseparser.h"

#include <QTest>

#include <algorithm>

using namespace sluice;

namespace {

// A chat completion stream as OpenAI sends it, including a multi-byte UTF-8 delta, the usage
// chunk and the [DONE] sentinel.
const QByteArray kOpenAiStream = QByteArrayLiteral(
    R"(data: {"id":"chatcmpl-AkX1","object":"chat.completion.chunk","created":1731000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-AkX1","object":"chat.completion.chunk","created":1731000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-AkX1","object":"chat.completion.chunk","created":1731000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":", 世界"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-AkX1","object":"chat.completion.chunk","created":1731000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

data: {"id":"chatcmpl-AkX1","object":"chat.completion.chunk","created":1731000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}

data: [DONE]

)");

// A Messages stream as Anthropic sends it: event/data pairs with a ping in the middle.
const QByteArray kAnthropicStream = QByteArrayLiteral(
    R"(event: message_start
data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-3-5-sonnet-20241022","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", 世界!"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

event: message_stop
data: {"type":"message_stop"}

)");

// "type|id|data" per event: compact to write in tables, and QCOMPARE shows the first mismatch.
QByteArrayList describe(const std::vector<SseEvent>& events) {
    QByteArrayList out;
    for (const SseEvent& e : events) {
        out << e.event + '|' + e.id + '|' + e.data;
    }
    return out;
}

std::vector<SseEvent> feedInChunks(SseParser& parser, QByteArrayView input, qsizetype chunk) {
    std::vector<SseEvent> events;
    for (qsizetype i = 0; i < input.size(); i += chunk) {
        parser.feed(input.sliced(i, std::min(chunk, input.size() - i)), events);
    }
    return events;
}

std::vector<SseEvent> parseWhole(QByteArrayView input) {
    SseParser parser;
    std::vector<SseEvent> events;
    parser.feed(input, events);
    return events;
}

QByteArray withLineEnding(QByteArray lfText, QByteArrayView ending) {
    return lfText.replace('\n', ending.toByteArray());
}

} // namespace

class TestSseParser final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void lineEndings_data();
    void lineEndings();
    void realStreams_data();
    void realStreams();
    void crLfSplitAcrossFeeds();
    void utf8SplitAcrossFeeds();
    void comments();
    void partial_data();
    void partial();
    void overflowGuard();
    void overflowOnJoinedData();
    void longLineInSmallChunks();
    void reset();
};

void TestSseParser::parse_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArrayList>("expected");
    QTest::addColumn<int>("comments");

    QTest::newRow("simple") << QByteArray("data: hello\n\n") << QByteArrayList{"||hello"} << 0;
    QTest::newRow("one space stripped")
        << QByteArray("data:  two spaces\n\n") << QByteArrayList{"|| two spaces"} << 0;
    QTest::newRow("no space") << QByteArray("data:x\n\n") << QByteArrayList{"||x"} << 0;
    QTest::newRow("colon in value")
        << QByteArray("data: a: b:c\n\n") << QByteArrayList{"||a: b:c"} << 0;
    QTest::newRow("multi-line data") << QByteArray("data: one\ndata:two\ndata\ndata: four\n\n")
                                     << QByteArrayList{"||one\ntwo\n\nfour"} << 0;
    QTest::newRow("no colon = empty data") << QByteArray("data\n\n") << QByteArrayList{"||"} << 0;
    QTest::newRow("empty data dispatches") << QByteArray("data:\n\n") << QByteArrayList{"||"} << 0;
    QTest::newRow("blank lines alone") << QByteArray("\n\n\n") << QByteArrayList{} << 0;
    QTest::newRow("event without data")
        << QByteArray("event: ping\n\ndata: x\n\n") << QByteArrayList{"||x"} << 0;
    QTest::newRow("event type") << QByteArray("event: delta\ndata: {}\n\n")
                                << QByteArrayList{"delta||{}"} << 0;
    QTest::newRow("event type resets")
        << QByteArray("event: a\ndata: 1\n\ndata: 2\n\n") << QByteArrayList{"a||1", "||2"} << 0;
    QTest::newRow("id carries over") << QByteArray("id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n")
                                     << QByteArrayList{"|7|a", "|7|b", "||c"} << 0;
    QTest::newRow("id with NUL ignored")
        << QByteArrayLiteral("id: 1\ndata: a\n\nid: x\0y\ndata: b\n\n")
        << QByteArrayList{"|1|a", "|1|b"} << 0;
    QTest::newRow("retry and unknown ignored")
        << QByteArray("retry: 3000\nfoo: bar\nDATA: shout\ndata: x\n\n") << QByteArrayList{"||x"}
        << 0;
    QTest::newRow("field name has no space stripping")
        << QByteArray(" data: x\n\n") << QByteArrayList{} << 0;
    QTest::newRow("comments") << QByteArray(":ok\ndata: a\n: keep-alive\ndata: b\n\n:\n\n")
                              << QByteArrayList{"||a\nb"} << 3;
    QTest::newRow("BOM skipped") << QByteArray("\xEF\xBB\xBF"
                                               "data: x\n\n")
                                 << QByteArrayList{"||x"} << 0;
    QTest::newRow("BOM only once") << QByteArray("\xEF\xBB\xBF\xEF\xBB\xBF"
                                                 "data: x\n\ndata: y\n\n")
                                   << QByteArrayList{"||y"} << 0;
    QTest::newRow("BOM later is content") << QByteArray("data: a\n\n\xEF\xBB\xBF"
                                                        "data: b\n\n")
                                          << QByteArrayList{"||a"} << 0;
    QTest::newRow("half a BOM is content") << QByteArray("\xEF\xBB"
                                                         "data: x\n\ndata: y\n\n")
                                           << QByteArrayList{"||y"} << 0;
    QTest::newRow("BOM-like byte in data")
        << QByteArray("data: \xEF\xBB\xBF\n\n") << QByteArrayList{"||\xEF\xBB\xBF"} << 0;
    QTest::newRow("unterminated event dropped")
        << QByteArray("data: a\n\ndata: b\n") << QByteArrayList{"||a"} << 0;
}

void TestSseParser::parse() {
    QFETCH(QByteArray, input);
    QFETCH(QByteArrayList, expected);
    QFETCH(int, comments);

    SseParser whole;
    std::vector<SseEvent> events;
    whole.feed(input, events);
    QCOMPARE(describe(events), expected);
    QCOMPARE(whole.comments(), comments);

    // Every row must come out the same when the bytes trickle in one at a time.
    SseParser trickle;
    QCOMPARE(describe(feedInChunks(trickle, input, 1)), expected);
    QCOMPARE(trickle.comments(), comments);
}

void TestSseParser::lineEndings_data() {
    QTest::addColumn<QByteArray>("ending");
    QTest::newRow("LF") << QByteArray("\n");
    QTest::newRow("CRLF") << QByteArray("\r\n");
    QTest::newRow("CR") << QByteArray("\r");
}

void TestSseParser::lineEndings() {
    QFETCH(QByteArray, ending);
    const QByteArray text = QByteArray(": hi\nevent: e\ndata: 1\ndata: 2\n\ndata: 3\n\n\n");
    const QByteArray input = withLineEnding(text, ending);
    const QByteArrayList expected{"e||1\n2", "||3"};

    QCOMPARE(describe(parseWhole(input)), expected);
    for (qsizetype chunk = 1; chunk <= 4; ++chunk) {
        SseParser parser;
        QCOMPARE(describe(feedInChunks(parser, input, chunk)), expected);
        QVERIFY(!parser.hasPartial());
        QCOMPARE(parser.comments(), 1);
    }
}

void TestSseParser::realStreams_data() {
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<QByteArrayList>("types");
    QTest::addColumn<QByteArray>("lastData");

    QTest::newRow("openai") << kOpenAiStream << QByteArrayList{"", "", "", "", "", ""}
                            << QByteArray("[DONE]");
    QTest::newRow("anthropic")
        << kAnthropicStream
        << QByteArrayList{"message_start",       "content_block_start", "ping",
                          "content_block_delta", "content_block_delta", "content_block_stop",
                          "message_delta",       "message_stop"}
        << QByteArray(R"({"type":"message_stop"})");
}

void TestSseParser::realStreams() {
    QFETCH(QByteArray, stream);
    QFETCH(QByteArrayList, types);
    QFETCH(QByteArray, lastData);

    const std::vector<SseEvent> whole = parseWhole(stream);
    QByteArrayList gotTypes;
    for (const SseEvent& e : whole) {
        gotTypes << e.event;
        QVERIFY(e.data.startsWith('{') || e.data == "[DONE]");
    }
    QCOMPARE(gotTypes, types);
    QCOMPARE(whole.back().data, lastData);
    const QByteArrayList expected = describe(whole);
    QVERIFY(expected.join().contains("世界"));

    SseParser byteAtATime;
    QCOMPARE(describe(feedInChunks(byteAtATime, stream, 1)), expected);
    QVERIFY(!byteAtATime.hasPartial());

    // Every possible cut into two reads.
    for (qsizetype cut = 0; cut <= stream.size(); ++cut) {
        SseParser parser;
        std::vector<SseEvent> events;
        parser.feed(QByteArrayView(stream).first(cut), events);
        parser.feed(QByteArrayView(stream).sliced(cut), events);
        QCOMPARE(describe(events), expected);
    }

    // Proxies sometimes rewrite line endings; the events must not change.
    QCOMPARE(describe(parseWhole(withLineEnding(stream, "\r\n"))), expected);
    SseParser crlfTrickle;
    QCOMPARE(describe(feedInChunks(crlfTrickle, withLineEnding(stream, "\r\n"), 1)), expected);
    SseParser crTrickle;
    QCOMPARE(describe(feedInChunks(crTrickle, withLineEnding(stream, "\r"), 1)), expected);
}

void TestSseParser::crLfSplitAcrossFeeds() {
    // The LF completing a CRLF arrives in the next read: it must not count as an empty line,
    // which would dispatch "a" on its own.
    SseParser parser;
    std::vector<SseEvent> events;
    parser.feed("data: a\r", events);
    parser.feed("\ndata: b\r", events);
    QVERIFY(events.empty());
    parser.feed("\n\r", events);
    QCOMPARE(describe(events), QByteArrayList{"||a\nb"});
    parser.feed("\n", events); // the LF of the dispatching CRLF: nothing more
    parser.feed("data: c\r\r", events);
    QCOMPARE(describe(events), (QByteArrayList{"||a\nb", "||c"}));
    QVERIFY(!parser.hasPartial());
}

void TestSseParser::utf8SplitAcrossFeeds() {
    SseParser parser;
    std::vector<SseEvent> events;
    parser.feed("data: \xE4\xBD", events);
    parser.feed("\xA0\xE5", events);
    parser.feed("\xA5\xBD\n\n", events);
    QCOMPARE(events.size(), size_t(1));
    QCOMPARE(QString::fromUtf8(events.front().data), QStringLiteral("你好"));
}

void TestSseParser::comments() {
    SseParser parser;
    std::vector<SseEvent> events;
    parser.feed(": ping\n\n", events);
    QCOMPARE(parser.comments(), 1);
    QVERIFY(events.empty());
    QVERIFY(!parser.hasPartial());
    parser.feed(":", events);
    QCOMPARE(parser.comments(), 1); // not a complete line yet
    parser.feed(" ping\r\n", events);
    QCOMPARE(parser.comments(), 2);
    QVERIFY(events.empty());
}

void TestSseParser::partial_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("partial");
    QTest::newRow("nothing") << QByteArray() << false;
    QTest::newRow("complete event") << QByteArray("data: x\n\n") << false;
    QTest::newRow("CRLF complete") << QByteArray("data: x\r\n\r") << false;
    QTest::newRow("comment only") << QByteArray(": ping\n") << false;
    QTest::newRow("blank lines") << QByteArray("\n\r\n") << false;
    QTest::newRow("unfinished line") << QByteArray("data: {\"a\":") << true;
    QTest::newRow("undispatched data") << QByteArray("data: x\n") << true;
    QTest::newRow("undispatched event") << QByteArray("event: ping\n") << true;
    QTest::newRow("after event, new line") << QByteArray("data: x\n\nda") << true;
    QTest::newRow("unfinished comment") << QByteArray("data: x\n\n: keep") << true;
    QTest::newRow("half a BOM") << QByteArray("\xEF\xBB") << true;
    QTest::newRow("whole BOM") << QByteArray("\xEF\xBB\xBF") << false;
}

void TestSseParser::partial() {
    QFETCH(QByteArray, input);
    QFETCH(bool, partial);
    SseParser parser;
    std::vector<SseEvent> events;
    parser.feed(input, events);
    QCOMPARE(parser.hasPartial(), partial);
    SseParser trickle;
    feedInChunks(trickle, input, 1);
    QCOMPARE(trickle.hasPartial(), partial);
}

void TestSseParser::overflowGuard() {
    SseParser parser;
    parser.setMaxLineBytes(16);
    std::vector<SseEvent> events;
    parser.feed("data: 0123456789\n\n", events); // exactly 16 bytes: allowed
    QCOMPARE(describe(events), QByteArrayList{"||0123456789"});
    QVERIFY(!parser.overflowed());

    parser.feed("data: 0123", events);
    parser.feed("456789A", events); // 17 bytes without an end yet
    QVERIFY(parser.overflowed());
    QVERIFY(parser.hasPartial());
    parser.feed("\n\ndata: ok\n\n", events);
    QCOMPARE(events.size(), size_t(1)); // nothing more once overflowed

    // Same when the over-long line arrives complete in one read.
    SseParser single;
    single.setMaxLineBytes(16);
    single.feed("data: 0123456789A\n\ndata: ok\n\n", events);
    QVERIFY(single.overflowed());
    QCOMPARE(events.size(), size_t(1));
}

void TestSseParser::overflowOnJoinedData() {
    // Short data lines without a blank line must not grow one event without end.
    SseParser parser;
    parser.setMaxLineBytes(32);
    std::vector<SseEvent> events;
    for (int i = 0; i < 10 && !parser.overflowed(); ++i) {
        parser.feed("data: 0123456789\n", events);
    }
    QVERIFY(parser.overflowed());
    QVERIFY(events.empty());
}

void TestSseParser::longLineInSmallChunks() {
    // 2 MiB in one-byte reads: a parser that rescanned its buffer on every read would take
    // hours here; this one touches each byte once.
    const QByteArray payload(2 * 1024 * 1024, 'x');
    const QByteArray input = "data: " + payload + "\n\n";
    SseParser parser;
    const std::vector<SseEvent> events = feedInChunks(parser, input, 1);
    QCOMPARE(events.size(), size_t(1));
    QVERIFY(events.front().data == payload);
    QVERIFY(!parser.hasPartial());
}

void TestSseParser::reset() {
    SseParser parser;
    parser.setMaxLineBytes(64);
    std::vector<SseEvent> events;
    parser.feed("\xEF\xBB\xBFid: 9\n: c\ndata: half", events);
    QVERIFY(parser.hasPartial());
    QCOMPARE(parser.comments(), 1);

    parser.reset();
    QVERIFY(!parser.hasPartial());
    QCOMPARE(parser.comments(), 0);
    QCOMPARE(parser.maxLineBytes(), qsizetype(64));
    parser.feed("\xEF\xBB\xBF"
                "data: new\n\n",
                events); // BOM allowed again, old id gone
    QCOMPARE(describe(events), QByteArrayList{"||new"});
}

QTEST_GUILESS_MAIN(TestSseParser)
#include "tst_sseparser.moc"
