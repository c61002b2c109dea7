#include "app/benchcommand.h"

#include "app/agentflags.h"
#include "app/agentlink.h"
#include "app/benchcollect.h"
#include "app/benchexitcodes.h"
#include "app/commandline.h"
#include "app/http2probe.h"
#include "app/liveview.h"
#include "app/scenarioflags.h"
#include "app/signalwatcher.h"
#include "app/summaryprint.h"
#include "core/bench/benchrunner.h"
#include "core/bench/report/reportfiles.h"
#include "core/server/mock/mockserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTimer>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace sluice {

namespace {

const QString kMe = QStringLiteral("sluice bench");

} // namespace

int runBenchCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Load-tests an LLM endpoint (or the built-in mock) and reports LLM latency metrics:\n"
        "TTFB, TTFT, inter-token latency, TPOT, end to end, latency from the intended send time\n"
        "(corrected for coordinated omission), tokens/s, goodput, and failures by reason.\n"
        "\n"
        "Every run is judged by errors<1% unless an error SLO is given (--no-default-slo turns\n"
        "it off). Retries (--retries) stay within a budget of 10% of first attempts per minute.\n"
        "When the load ends, what is in flight may finish; the run is cut short only when\n"
        "nothing has ended for --timeout + 5 s (65 s without --timeout).\n"
        "\n"
        "Each flag sets the scenario JSON field shown in [brackets]; flags override --scenario.\n"
        "\n"
        "Exit codes: 0 passed (stress: a knee was found), 1 the run failed (nothing succeeded,\n"
        "or the report could not be written), 2 bad arguments or scenario, 3 an SLO failed,\n"
        "4 stress found no load that met the SLOs, 130 interrupted (SIGINT), 143 terminated\n"
        "(SIGTERM).\n"
        "\n"
        "Example (the seed run): sluice bench --mock --mock-rpm 600 --mock-capacity 64 \\\n"
        "  --rate 20 --requests 1000 --rpm 500 --adaptive 5..50 --initial-concurrency 10"));
    parser.addHelpOption();
    const QCommandLineOption scenarioFile(QStringLiteral("scenario"),
                                          QStringLiteral("Scenario JSON file (flags override it)."),
                                          QStringLiteral("file"));
    const QCommandLineOption report(
        QStringLiteral("report"),
        QStringLiteral("Write summary.json, requests.jsonl, timeseries.csv and report.html here."),
        QStringLiteral("dir"));
    const QCommandLineOption quiet(QStringLiteral("quiet"),
                                   QStringLiteral("No live view; only the final summary."));
    parser.addOption(scenarioFile);
    cli::scenarioFlags().addTo(parser);
    parser.addOptions({report, quiet});
    const AgentFlags agentFlags;
    agentFlags.addTo(parser);

    if (!parser.parse(arguments)) {
        cli::printError(kMe + QStringLiteral(": ") + parser.errorText() +
                        QStringLiteral(" (see sluice bench --help)"));
        return kExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        cli::printOut(cli::helpFor(parser, QStringLiteral("sluice bench")));
        return kExitPassed;
    }
    auto fail = [&](const QString& message) {
        cli::printError(kMe + QStringLiteral(": ") + message);
        return kExitUsage;
    };
    if (!parser.positionalArguments().isEmpty()) {
        return fail(
            QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    }
    if (parser.isSet(agentFlags.collect) && parser.isSet(agentFlags.agent)) {
        return fail(QStringLiteral("--collect: not with --agent (the collector runs no load: "
                                   "start it as a command of its own)"));
    }
    if (parser.isSet(agentFlags.collect)) {
        return runCollectCommand(parser.value(agentFlags.collect), parser.value(agentFlags.redis),
                                 parser.value(report), parser.value(agentFlags.collectTimeout),
                                 parser.isSet(quiet));
    }
    auto agentOptions = agentFlags.read(parser);
    if (!agentOptions) {
        return fail(agentOptions.error().text());
    }
    auto scenario = cli::scenarioFromCommandLine(parser);
    if (!scenario) {
        return fail(scenario.error().text());
    }
    const std::optional<AgentOptions> agent = *agentOptions;
    std::unique_ptr<AgentLink> link;
    QString shareText;
    if (agent) {
        auto joined = joinRun(*agent, scenario.value());
        if (!joined) {
            cli::printError(kMe + QStringLiteral(": ") + joined.error().text());
            return joined.error().kind == Error::Kind::Invalid ? kExitUsage : kExitRunFailed;
        }
        link = std::move(joined.value().link);
        shareText = joined.value().share;
    }
    const BenchScenario s = std::move(scenario).value();

    // The mock, in-process, on its own port.
    std::unique_ptr<MockServer> mockServer;
    QUrl base = s.target;
    if (s.useMock) {
        // Stamped events let the report show our own timing error against the server's clock.
        MockConfig mockConfig = s.mock;
        mockConfig.stamp = true;
        mockServer = std::make_unique<MockServer>(mockConfig);
        if (!mockServer->listen(QHostAddress::LocalHost, 0)) {
            cli::printError(kMe + QStringLiteral(": cannot start the built-in mock: ") +
                            mockServer->errorString());
            return kExitRunFailed;
        }
        base = QUrl(QStringLiteral("http://127.0.0.1:%1/v1").arg(mockServer->port()));
    }
    if (s.http2) {
        // Qt logs every failed h2 stream; the failures are counted by reason instead.
        QLoggingCategory::setFilterRules(QStringLiteral("qt.network.http2.warning=false"));
        if (auto probed = probeHttp2(base, s.format, s.keys.value(0)); !probed) {
            cli::printError(kMe + QStringLiteral(": ") + probed.error().text());
            return kExitRunFailed;
        }
    }
    RequestLog log;
    const QString reportDir = parser.value(report);
    if (!reportDir.isEmpty()) {
        if (auto opened = log.open(reportDir); !opened) {
            cli::printError(kMe + QStringLiteral(": --report: ") + opened.error().text());
            return kExitRunFailed;
        }
    }
    BenchRunner runner(s, base);
    runner.setRequestSink([&log](const QJsonObject& row) { log.append(row); });
    const bool live = !parser.isSet(quiet);
    const bool tty = ::isatty(STDOUT_FILENO) == 1;
    if (agent) {
        cli::printOut(QStringLiteral("Sluice bench: run '%1' on %2, %3")
                          .arg(agent->runId, agent->redis.display(), shareText));
    }
    cli::printOut(
        QStringLiteral("Sluice bench: %1 -> %2%3")
            .arg(
                s.profile.describe(),
                s.useMock ? QStringLiteral("built-in mock at ") + base.toString() : base.toString(),
                s.keys.isEmpty()
                    ? QString()
                    : QStringLiteral(" (keys %1)").arg(s.maskedKeys().join(QStringLiteral(", ")))));
    int lines = 0;
    QObject::connect(&runner, &BenchRunner::progress, &runner, [&](const BenchProgress& p) {
        if (link) {
            link->publish(runner.stats(), p.inFlight);
        }
        if (!live) {
            return;
        }
        if (tty) {
            const QString line = liveLine(p, terminalColumns());
            std::fprintf(stdout, "\r\033[K%s", line.toLocal8Bit().constData());
            std::fflush(stdout);
        } else if (lines++ % 5 == 0) {
            cli::printOut(liveLine(p, 160));
        }
    });
    QObject::connect(&runner, &BenchRunner::eventRecorded, &runner, [&](const BenchEvent& e) {
        if (live && e.kind != QLatin1String("start")) {
            if (tty) {
                std::fputs("\r\033[K", stdout);
            }
            cli::printOut(
                QStringLiteral("  [%1 s] %2: %3").arg(e.t, 0, 'f', 1).arg(e.kind, e.text));
        }
    });
    QObject::connect(&runner, &BenchRunner::finished, qApp, &QCoreApplication::quit,
                     Qt::QueuedConnection);
    SignalWatcher watcher;
    int interrupts = 0;
    int signalExit = 0;
    QObject::connect(&watcher, &SignalWatcher::terminationRequested, &runner, [&](int sig) {
        signalExit = sig == SIGTERM ? kExitSigterm : kExitSigint;
        if (++interrupts == 1) {
            if (tty && live) {
                std::fputs("\r\033[K", stdout);
            }
            cli::printError(QStringLiteral("%1: %2: letting what is in flight finish (again to "
                                           "cancel it)")
                                .arg(kMe, sig == SIGTERM ? QStringLiteral("terminated")
                                                         : QStringLiteral("interrupted")));
            runner.interrupt(sig == SIGTERM ? QStringLiteral("terminated (SIGTERM)")
                                            : QStringLiteral("interrupted (SIGINT)"));
        } else {
            runner.stop(); // draining: cancels what is still out
        }
    });
    QTimer::singleShot(0, &runner, &BenchRunner::start);
    QCoreApplication::exec();
    if (tty && live) {
        std::fputs("\r\033[K", stdout);
    }
    log.close();
    const QJsonObject summary = runner.summary();
    if (link) {
        if (auto published = link->finish(runner.stats(), summary, std::chrono::seconds(10));
            !published) {
            cli::printError(kMe + QStringLiteral(": ") + published.error().text());
            cli::printOut(summaryText(summary, {}));
            return signalExit ? signalExit : kExitRunFailed;
        }
    }
    if (!reportDir.isEmpty()) {
        if (auto written = writeReport(reportDir, summary, seriesData(runner.series())); !written) {
            cli::printError(kMe + QStringLiteral(": ") + written.error().text());
            cli::printOut(summaryText(summary, {}));
            return signalExit ? signalExit : kExitRunFailed;
        }
    }
    cli::printOut(summaryText(summary, reportDir));
    if (signalExit) {
        return signalExit;
    }
    const QJsonObject counts = summary.value(QStringLiteral("counts")).toObject();
    if (counts.value(QStringLiteral("done")).toDouble() == 0) {
        return kExitRunFailed;
    }
    const QJsonObject verdict = summary.value(QStringLiteral("verdict")).toObject();
    if (verdict.value(QStringLiteral("outcome")).toString() == QLatin1String("no_knee")) {
        return kExitNoKnee;
    }
    return verdict.value(QStringLiteral("passed")).toBool() ? kExitPassed : kExitSloFailed;
}

} // namespace sluice
