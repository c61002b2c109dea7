// scanOpenAiChunk: the one-pass reading of an OpenAI stream event agrees with the full JSON
// parse on every event it takes, and hands every unusual one to the full parse.

#include "core/net/chunkscan.h"
#include "core/net/llmformat.h"
#include "core/net/tokenestimate.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace sluice;

namespace {

/// What the full parse makes of the same event (ResponseReader's slow path, as plain code).
struct Reference {
    bool valid = false;
    bool hasChoices = false;
    std::int64_t sentNs = -1;
    std::optional<std::int64_t> arrivedNs;
    QString text;
};

Reference reference(const QByteArray& data) {
    Reference r;
    const QJsonDocument doc = QJsonDocument::fromJson(data);
    const QJsonObject o = doc.object();
    r.valid = doc.isObject() &&
              (o.contains(QLatin1String("choices")) || o.contains(QLatin1String("usage")));
    r.hasChoices = o.contains(QLatin1String("choices"));
    const QJsonValue sent = o.value(QLatin1String("x_sent_ns"));
    r.sentNs = sent.isDouble() ? sent.toInteger(-1) : -1;
    const QJsonValue arrived = o.value(QLatin1String("x_arrived_ns"));
    if (arrived.isDouble()) {
        r.arrivedNs = arrived.toInteger(-1);
    }
    const QJsonObject delta = o.value(QLatin1String("choices"))
                                  .toArray()
                                  .at(0)
                                  .toObject()
                                  .value(QLatin1String("delta"))
                                  .toObject();
    r.text = delta.value(QLatin1String("content")).toString() +
             delta.value(QLatin1String("reasoning_content")).toString() +
             delta.value(QLatin1String("reasoning")).toString();
    return r;
}

} // namespace

class TstChunkScan : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void agreesWithFullParse_data() {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<bool>("fast"); // the scan takes it (else: the full parse does)

        QTest::newRow("content")
            << QByteArray(
                   R"({"id":"c1","object":"chat.completion.chunk","created":1700000000,"model":"m",)"
                   R"("choices":[{"index":0,"delta":{"content":"hello world"},"finish_reason":null}]})")
            << true;
        QTest::newRow("stamped")
            << QByteArray(
                   R"({"x_sent_ns":123456789012345,"x_arrived_ns":123456000000000,"id":"c",)"
                   R"("choices":[{"index":0,"delta":{"content":" time"},"finish_reason":null}]})")
            << true;
        QTest::newRow("role only")
            << QByteArray(R"({"choices":[{"index":0,"delta":{"role":"assistant"}}]})") << true;
        QTest::newRow("empty content")
            << QByteArray(R"({"choices":[{"delta":{"content":""}}]})") << true;
        QTest::newRow("spaces only")
            << QByteArray(R"({"choices":[{"delta":{"content":"   "}}]})") << true;
        QTest::newRow("null content")
            << QByteArray(R"({"choices":[{"delta":{"content":null,"reasoning":"ab"}}]})") << true;
        QTest::newRow("reasoning joined")
            << QByteArray(
                   R"({"choices":[{"delta":{"content":"ab","reasoning_content":"cdef","reasoning":"g!"}}]})")
            << true;
        QTest::newRow("finish chunk")
            << QByteArray(R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})") << true;
        QTest::newRow("no delta") << QByteArray(R"({"choices":[{"index":0}]})") << true;
        QTest::newRow("empty choices") << QByteArray(R"({"choices":[],"usage":null})") << true;
        QTest::newRow("more choices")
            << QByteArray(R"({"choices":[{"delta":{"content":"a"}},{"delta":{"content":"b"}}]})")
            << true;
        QTest::newRow("whitespace")
            << QByteArray(" {\n \"choices\" : [ { \"delta\" : { \"content\" : \"x y\" } } ] }\r\n")
            << true;
        QTest::newRow("nested skipped")
            << QByteArray(
                   R"({"a":[1,-2.5,true,false,null,{"b":[[]]}],"choices":[{"logprobs":{"c":[0.1]},"delta":{"content":"q"}}]})")
            << true;
        QTest::newRow("stamp not a number")
            << QByteArray(R"({"x_sent_ns":"soon","choices":[{"delta":{"content":"a"}}]})") << true;
        QTest::newRow("negative stamp")
            << QByteArray(R"({"x_sent_ns":-5,"choices":[{"delta":{"content":"a"}}]})") << true;

        QTest::newRow("usage object")
            << QByteArray(R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":20}})")
            << false;
        QTest::newRow("error") << QByteArray(R"({"error":{"message":"boom","type":"x"}})") << false;
        QTest::newRow("escaped content")
            << QByteArray(R"({"choices":[{"delta":{"content":"a\nb \u00e9"}}]})") << false;
        QTest::newRow("utf-8 content")
            << QByteArray("{\"choices\":[{\"delta\":{\"content\":\"caf\xc3\xa9\"}}]}") << false;
        QTest::newRow("invalid utf-8")
            << QByteArray("{\"choices\":[{\"delta\":{\"content\":\"\xff\"}}]}") << false;
        QTest::newRow("not json") << QByteArray("hello") << false;
        QTest::newRow("trailing garbage")
            << QByteArray(R"({"choices":[{"delta":{"content":"a"}}]} x)") << false;
        QTest::newRow("cut short")
            << QByteArray(R"({"choices":[{"delta":{"content":"a"}})") << false;
        QTest::newRow("trailing comma")
            << QByteArray(R"({"choices":[{"delta":{"content":"a"}}],})") << false;
        QTest::newRow("bad number") << QByteArray(R"({"n":01,"choices":[]})") << false;
        QTest::newRow("exponent") << QByteArray(R"({"n":1e999,"choices":[]})") << false;
        QTest::newRow("fraction stamp")
            << QByteArray(R"({"x_sent_ns":1.5,"choices":[{"delta":{"content":"a"}}]})") << false;
        QTest::newRow("huge stamp")
            << QByteArray(R"({"x_sent_ns":12345678901234567890,"choices":[]})") << false;
        QTest::newRow("duplicate choices")
            << QByteArray(R"({"choices":[],"choices":[{"delta":{"content":"a"}}]})") << false;
        QTest::newRow("duplicate content")
            << QByteArray(R"({"choices":[{"delta":{"content":"a","content":"b"}}]})") << false;
        QTest::newRow("delta not object")
            << QByteArray(R"({"choices":[{"delta":"text"}]})") << false;
        QTest::newRow("content not string")
            << QByteArray(R"({"choices":[{"delta":{"content":5}}]})") << false;
        QTest::newRow("array top") << QByteArray(R"([{"choices":[]}])") << false;
        QTest::newRow("no known key") << QByteArray(R"({"id":"x"})") << false;
        QTest::newRow("control char")
            << QByteArray("{\"choices\":[{\"delta\":{\"content\":\"a\tb\"}}]}") << false;
    }

    void agreesWithFullParse() {
        QFETCH(QByteArray, data);
        QFETCH(bool, fast);
        const std::optional<OpenAiChunkFacts> facts = scanOpenAiChunk(data);
        QCOMPARE(facts.has_value(), fast);
        if (!facts) {
            return;
        }
        const Reference r = reference(data);
        QVERIFY(r.valid);
        QCOMPARE(facts->hasChoices, r.hasChoices);
        QCOMPARE(facts->sentNs, r.sentNs);
        QCOMPARE(facts->arrivedNs, r.arrivedNs);
        QCOMPARE(facts->hasText, !r.text.isEmpty());
        QCOMPARE(facts->textTokens, estimateTokens(r.text));
    }

    // The reader gives the same counts whichever path each event takes.
    void readerCountsBothPaths() {
        ResponseReader reader(ApiFormat::OpenAi, true);
        const QByteArray stream =
            "data: {\"x_sent_ns\":100,\"x_arrived_ns\":40,\"choices\":[{\"delta\":{\"role\":"
            "\"assistant\",\"content\":\"\"}}]}\n\n"
            "data: {\"x_sent_ns\":200,\"x_arrived_ns\":40,\"choices\":[{\"delta\":{\"content\":"
            "\"hello\"}}]}\n\n"
            "data: {\"x_sent_ns\":300,\"choices\":[{\"delta\":{\"content\":\"caf\xc3\xa9s "
            "ok\"}}]}\n\n"
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}\n\n"
            "data: [DONE]\n\n";
        QCOMPARE(reader.feed(stream), 2);
        QCOMPARE(reader.feedStamps(), (std::vector<std::int64_t>{200, 300}));
        QCOMPARE(reader.serverArrivedNs(), std::int64_t{40});
        QCOMPARE(reader.estimatedCompletionTokens(),
                 std::int64_t{estimateTokens(u"hello") +
                              estimateTokens(QString::fromUtf8("caf\xc3\xa9s ok"))});
        QVERIFY(reader.hasUsage());
        QCOMPARE(reader.completionTokens(), std::int64_t{3});
        reader.finish();
        QVERIFY(reader.sawEnd());
        QVERIFY(reader.malformed().isEmpty());
        QVERIFY(reader.streamError().isEmpty());
    }
};

QTEST_APPLESS_MAIN(TstChunkScan)
#include "tst_chunkscan.moc"
