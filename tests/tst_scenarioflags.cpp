// `sluice bench`'s flags as a JSON overlay on the scenario: each flag and its JSON field give
// the same error for the same bad value (one validator), and flags override the file.
#include "app/scenarioflags.h"

#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace sluice;

class TestScenarioFlags final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void flagAndFieldGiveTheSameError_data();
    void flagAndFieldGiveTheSameError();
    void theCommandLineNamesTheFlagAndTheField();
    void flagsOverrideTheFile();
    void syntaxErrorsNameTheFlag();
    void everyFlagIsInTheHelpWithItsField();

private:
    static QStringList withFlags(QCommandLineParser& parser, const QStringList& args) {
        parser.addOption(
            QCommandLineOption(QStringLiteral("scenario"), QString(), QStringLiteral("file")));
        cli::scenarioFlags().addTo(parser);
        if (!parser.parse(QStringList{QStringLiteral("bench")} + args)) {
            return {parser.errorText()};
        }
        return {};
    }
    // A scenario that runs: what a row's flag or field then breaks.
    static BenchScenario base() {
        BenchScenario s;
        s.useMock = true;
        s.requests = 1;
        return s;
    }
    // The first error of apply() then validate(): what the command reports.
    static Error judge(BenchScenario s, const QJsonObject& json) {
        if (auto applied = s.apply(json); !applied) {
            return applied.error();
        }
        if (auto valid = s.validate(); !valid) {
            return valid.error();
        }
        return {};
    }
};

void TestScenarioFlags::flagAndFieldGiveTheSameError_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("field");
    const auto row = [](const char* name, QStringList args, const char* json, const char* field) {
        QTest::newRow(name) << args << QByteArray(json) << QString::fromLatin1(field);
    };
    const auto s = [](const char* text) { return QString::fromLatin1(text); };
    row("rate not a number", {s("--rate"), s("fast")},
        R"({"profile": {"kind": "constant", "rate": "fast"}})", "profile.rate");
    row("rate zero", {s("--rate"), s("0")}, R"({"profile": {"kind": "constant", "rate": 0}})",
        "profile.rate");
    row("concurrency zero", {s("--concurrency"), s("0")},
        R"({"profile": {"kind": "closed", "concurrency": 0}})", "profile.concurrency");
    row("concurrency fraction", {s("--concurrency"), s("2.5")},
        R"({"profile": {"kind": "closed", "concurrency": 2.5}})", "profile.concurrency");
    row("duration without unit", {s("--duration"), s("5")}, R"({"duration": "5"})", "duration");
    row("warmup not a duration", {s("--warmup"), s("soon")}, R"({"warmup": "soon"})", "warmup");
    row("requests negative", {s("--requests"), s("-1")}, R"({"requests": -1})", "requests");
    row("rpm not a number", {s("--rpm"), s("abc")}, R"({"limits": {"rpm": "abc"}})", "limits.rpm");
    row("tpm fraction", {s("--tpm"), s("1.5")}, R"({"limits": {"tpm": 1.5}})", "limits.tpm");
    row("max concurrency negative", {s("--max-concurrency"), s("-2")},
        R"({"limits": {"max_concurrency": -2}})", "limits.max_concurrency");
    row("retries too many", {s("--retries"), s("11")}, R"({"limits": {"retries": 11}})",
        "limits.retries");
    row("timeout without unit", {s("--timeout"), s("10")}, R"({"limits": {"timeout": "10"}})",
        "limits.timeout");
    row("adaptive from zero", {s("--adaptive"), s("0..5")},
        R"({"limits": {"adaptive": {"min": 0, "max": 5}}})", "limits.adaptive.min");
    row("adaptive inverted", {s("--adaptive"), s("50..5")},
        R"({"limits": {"adaptive": {"min": 50, "max": 5}}})", "limits.adaptive");
    row("max tokens zero", {s("--max-tokens"), s("0")}, R"({"max_tokens": 0})", "max_tokens");
    row("prompt tokens text", {s("--prompt-tokens"), s("many")},
        R"({"prompts": {"tokens": "many"}})", "prompts.tokens");
    row("prompts file missing", {s("--prompts"), s("/nonexistent/p.jsonl")},
        R"({"prompts": {"file": "/nonexistent/p.jsonl"}})", "prompts.file");
    row("keys file missing", {s("--keys-file"), s("/nonexistent/keys")},
        R"({"keys": {"file": "/nonexistent/keys"}})", "keys.file");
    row("key variable unset", {s("--key-env"), s("SLUICE_NO_SUCH_VARIABLE")},
        R"({"keys": {"env": "SLUICE_NO_SUCH_VARIABLE"}})", "keys.env");
    row("seed negative", {s("--seed"), s("-1")}, R"({"seed": -1})", "seed");
    row("client threads", {s("--client-threads"), s("999")}, R"({"client_threads": 999})",
        "client_threads");
    row("format", {s("--format"), s("xml")}, R"({"format": "xml"})", "format");
    row("target not http", {s("--target"), s("ftp://x")}, R"({"target": "ftp://x"})", "target");
    row("slo", {s("--slo"), s("fast")}, R"({"slo": ["fast"]})", "slo[0]");
    row("change value", {s("--change"), s("5s:rate=x")},
        R"({"changes": [{"at": "5s", "rate": "x"}]})", "changes[0].rate");
    row("change knob", {s("--change"), s("5s:speed=3")},
        R"({"changes": [{"at": "5s", "speed": 3}]})", "changes");
    row("ramp over", {s("--rate"), s("5"), s("--ramp"), s("10:soon")},
        R"({"profile": {"kind": "constant", "rate": 5, "ramp": {"to": 10, "over": "soon"}}})",
        "profile.ramp.over");
    row("spike load", {s("--rate"), s("5"), s("--spike"), s("x:1s:1s")},
        R"({"profile": {"kind": "constant", "rate": 5,
                        "spike": {"load": "x", "at": "1s", "for": "1s"}}})",
        "profile.spike.load");
    row("stress step", {s("--rate"), s("5"), s("--stress"), s("0:10:1s")},
        R"({"profile": {"kind": "constant", "rate": 5,
                        "stress": {"step": 0, "max": 10, "step_duration": "1s"}}})",
        "profile.stress.step");
    row("stress step duration", {s("--rate"), s("5"), s("--stress"), s("1:10:0s")},
        R"({"profile": {"kind": "constant", "rate": 5,
                        "stress": {"step": 1, "max": 10, "step_duration": "0s"}}})",
        "profile.stress.step_duration");
    row("mock rpm", {s("--mock-rpm"), s("-1")}, R"({"mock": {"rpm": -1}})", "mock.rpm");
    row("mock capacity", {s("--mock-capacity"), s("0")}, R"({"mock": {"capacity": 0}})",
        "mock.capacity");
    row("mock jitter", {s("--mock-jitter"), s("2")}, R"({"mock": {"jitter": 2}})", "mock.jitter");
    row("mock jitter percent", {s("--mock-jitter"), s("150%")}, R"({"mock": {"jitter": 1.5}})",
        "mock.jitter");
    row("mock fault share", {s("--mock-fault-rate"), s("500=2")},
        R"({"mock": {"faults": {"500": 2}}})", "mock.faults.500");
    row("mock fault unknown", {s("--mock-fault-rate"), s("boom=0.1")},
        R"({"mock": {"faults": {"boom": 0.1}}})", "mock.faults.boom");
    row("mock tokens inverted", {s("--mock-tokens"), s("200..50")},
        R"({"mock": {"tokens_min": 200, "tokens_max": 50}})", "mock.tokens_max");
}

void TestScenarioFlags::flagAndFieldGiveTheSameError() {
    QFETCH(QStringList, args);
    QFETCH(QByteArray, json);
    QFETCH(QString, field);
    QCommandLineParser parser;
    QCOMPARE(withFlags(parser, args), QStringList{});
    const auto overlay = cli::scenarioFlags().overlay(parser);
    QVERIFY2(overlay, qPrintable(overlay.ok() ? QString() : overlay.error().text()));
    QJsonParseError parseError{};
    const QJsonObject file = QJsonDocument::fromJson(json, &parseError).object();
    QCOMPARE(parseError.error, QJsonParseError::NoError);

    const Error fromFlags = judge(base(), *overlay);
    const Error fromFile = judge(base(), file);
    QCOMPARE(fromFlags.field, field);
    QVERIFY(!fromFlags.message.isEmpty());
    QCOMPARE(fromFlags.kind, fromFile.kind);
    QCOMPARE(fromFlags.field, fromFile.field);
    QCOMPARE(fromFlags.message, fromFile.message);
}

void TestScenarioFlags::theCommandLineNamesTheFlagAndTheField() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("s.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"mock": true, "requests": 1, "profile": {"kind": "constant", "rate": "abc"}})");
    file.close();
    QCommandLineParser fromFile;
    QCOMPARE(withFlags(fromFile, {QStringLiteral("--scenario"), path}), QStringList{});
    const auto a = cli::scenarioFromCommandLine(fromFile);
    QVERIFY(!a);
    QCommandLineParser fromFlags;
    QCOMPARE(withFlags(fromFlags,
                       {QStringLiteral("--mock"), QStringLiteral("--requests"), QStringLiteral("1"),
                        QStringLiteral("--rate"), QStringLiteral("abc")}),
             QStringList{});
    const auto b = cli::scenarioFromCommandLine(fromFlags);
    QVERIFY(!b);
    // Where it came from, then the same field and message.
    const QString same = QStringLiteral("profile.rate: must be a number in [0.001, 1e+06]");
    QCOMPARE(a.error().text(), QStringLiteral("--scenario %1: %2").arg(path, same));
    QCOMPARE(b.error().text(), QStringLiteral("--rate 'abc': ") + same);
}

void TestScenarioFlags::flagsOverrideTheFile() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("s.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"mock": {"capacity": 8, "rpm": 60}, "model": "a", "requests": 10,
                   "profile": {"kind": "constant", "rate": 5},
                   "limits": {"rpm": 100, "adaptive": {"min": 2, "max": 20, "initial": 4}},
                   "slo": ["e2e<2s"]})");
    file.close();
    QCommandLineParser parser;
    QCOMPARE(withFlags(parser,
                       {QStringLiteral("--scenario"), path, QStringLiteral("--concurrency"),
                        QStringLiteral("3"), QStringLiteral("--rpm"), QStringLiteral("200"),
                        QStringLiteral("--model"), QStringLiteral("b"),
                        QStringLiteral("--initial-concurrency"), QStringLiteral("6"),
                        QStringLiteral("--mock-rpm"), QStringLiteral("0"),
                        QStringLiteral("--mock-fault-rate"), QStringLiteral("500=5%,reset=0.01"),
                        QStringLiteral("--slo"), QStringLiteral("ttft<1s"), QStringLiteral("--slo"),
                        QStringLiteral("errors<5%"), QStringLiteral("--no-stream")}),
             QStringList{});
    const auto s = cli::scenarioFromCommandLine(parser);
    QVERIFY2(s, qPrintable(s.ok() ? QString() : s.error().text()));
    // Flags won...
    QCOMPARE(s->profile.kind, LoadProfile::Kind::Closed);
    QCOMPARE(s->profile.load, 3.0);
    QCOMPARE(s->rpm, std::int64_t{200});
    QCOMPARE(s->model, QStringLiteral("b"));
    QCOMPARE(s->adaptiveInitial, 6);
    QCOMPARE(s->mock.rpm, std::int64_t{0});
    QCOMPARE(s->mock.faults.error500, 0.05);
    QCOMPARE(s->mock.faults.reset, 0.01);
    QCOMPARE(s->stream, false);
    QCOMPARE(s->slos.size(), std::size_t{2}); // the flags' list replaces the file's
    QCOMPARE(s->slos.at(0).text, QStringLiteral("ttft<1s"));
    // ...and the rest of the file stayed.
    QVERIFY(s->useMock);
    QCOMPARE(s->mock.capacity, 8);
    QCOMPARE(s->requests, std::int64_t{10});
    QVERIFY(s->adaptive);
    QCOMPARE(s->adaptiveMin, 2);
    QCOMPARE(s->adaptiveMax, 20);
}

void TestScenarioFlags::syntaxErrorsNameTheFlag() {
    const struct {
        QStringList args;
        QString says;
    } rows[] = {
        {{QStringLiteral("--ramp"), QStringLiteral("10")},
         QStringLiteral("--ramp '10': expected TO:OVER[:STEPS]")},
        {{QStringLiteral("--spike"), QStringLiteral("5:1s")},
         QStringLiteral("--spike '5:1s': expected LOAD:AT:FOR")},
        {{QStringLiteral("--change"), QStringLiteral("rate=5")},
         QStringLiteral("--change 'rate=5': expected AT:KNOB=VALUE")},
        {{QStringLiteral("--adaptive"), QStringLiteral("1..2..3")},
         QStringLiteral("--adaptive '1..2..3': expected N or MIN..MAX")},
        {{QStringLiteral("--mock-ttft"), QStringLiteral("200")},
         QStringLiteral("--mock-ttft '200': expected a duration with a unit")},
        {{QStringLiteral("--mock-fault-rate"), QStringLiteral("0.1")},
         QStringLiteral("--mock-fault-rate '0.1': expected key=share")},
    };
    for (const auto& row : rows) {
        QCommandLineParser parser;
        QCOMPARE(withFlags(parser, row.args), QStringList{});
        const auto overlay = cli::scenarioFlags().overlay(parser);
        QVERIFY(!overlay);
        QVERIFY2(overlay.error().text().startsWith(row.says), qPrintable(overlay.error().text()));
    }
}

void TestScenarioFlags::everyFlagIsInTheHelpWithItsField() {
    QCommandLineParser parser;
    QCOMPARE(withFlags(parser, {}), QStringList{});
    const QString help = parser.helpText();
    for (const cli::FlagSpec& f : cli::scenarioFlags().flags()) {
        QVERIFY2(help.contains(QStringLiteral("--") + f.name), qPrintable(f.name));
        QVERIFY2(help.contains(QStringLiteral("[%1]").arg(f.path)), qPrintable(f.path));
    }
}

QTEST_GUILESS_MAIN(TestScenarioFlags)
#include "tst_scenarioflags.moc"
