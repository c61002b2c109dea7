// sluice: the GUI console by default; subcommands run headless.

#include "app/admincommands.h"
#include "app/benchcommand.h"
#include "app/commandline.h"
#include "app/consoleapp.h"
#include "app/democommand.h"
#include "app/gatewaycommand.h"
#include "app/mockcommand.h"
#include "app/reportcommand.h"
#include "core/net/epolldispatcher.h"

#include <QApplication>
#include <QCoreApplication>

#include <sys/resource.h>

namespace {

// Thousands of concurrent streams need thousands of sockets: lift the soft fd limit to the hard.
void raiseFileLimit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

const char* const kUsage =
    "Usage: sluice [COMMAND] [OPTIONS]\n"
    "\n"
    "Without a command, opens the console, targeting the built-in mock LLM server.\n"
    "\n"
    "Commands:\n"
    "  mock     run the mock LLM server alone (sluice mock --help)\n"
    "  bench    load-test an endpoint or the built-in mock (sluice bench --help)\n"
    "  gateway  a rate-limiting gateway in front of a provider (sluice gateway --help)\n"
    "  stats    what a running gateway is doing (sluice stats [--json])\n"
    "  monitor  a live view of a running gateway, like top\n"
    "  config   read or change a running gateway's limits (sluice config set max_concurrent 150)\n"
    "  report   compare two benchmark reports in one HTML (sluice report A B)\n"
    "  demo     start the mock in-process, send traffic at it, print what it saw\n"
    "  help     show this text\n"
    "\n"
    "Options:\n"
    "  --mock-port N        port of the built-in mock server (default: any free port)\n"
    "  --demo ID            play a demo at start (1-429-storm, 2-adaptive-capacity,\n"
    "                       3-priority-lanes, 4-breaker-outage, 5-three-programs)\n"
    "  --gateway HOST:PORT  run a gateway in the console in front of the built-in mock\n"
    "                       (programs send to http://HOST:PORT/v1; Gateway > Start here...)\n"
    "  --tab NAME           show this bottom tab at start (Requests, Clients, Keys, ...)\n"
    "  --geometry WxH       window size in pixels, e.g. 1366x768 (default: fits the screen)\n"
    "  --window D           history the charts show: 1m, 5m, 15m or 1h (default: as last set)\n"
    "  --start              start a run with the saved benchmark settings at launch\n"
    "  --attach URL         follow a running 'sluice gateway' (its traffic on the charts,\n"
    "                       its limits in the limits panel)\n"
    "  --admin-token T      the gateway's admin token (default $SLUICE_ADMIN_TOKEN)\n"
    "  --redis URL --collect ID\n"
    "                       follow distributed benchmark run ID live: what its\n"
    "                       'sluice bench --agent' processes publish to Redis, merged\n"
    "  --screenshot FILE    save a PNG of the window after --screenshot-after, then quit\n"
    "  --screenshot-after D when to take it: 8s, 1500ms, 1m (default 20s)\n"
    "  -h, --help           show this text\n"
    "  -v, --version        show the version\n";

QStringList subcommandArguments(int argc, char** argv) {
    // "sluice mock --port 1" -> {"sluice mock", "--port", "1"}: QCommandLineParser skips argv[0].
    QStringList args{QStringLiteral("sluice ") + QString::fromLocal8Bit(argv[1])};
    for (int i = 2; i < argc; ++i) {
        args.append(QString::fromLocal8Bit(argv[i]));
    }
    return args;
}

} // namespace

int main(int argc, char** argv) {
    raiseFileLimit();
    QCoreApplication::setOrganizationName(QStringLiteral("Sluice"));
    QCoreApplication::setApplicationName(QStringLiteral("sluice"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SLUICE_VERSION));

    const QString command = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QString();
    if (command == QLatin1String("help") || command == QLatin1String("--help") ||
        command == QLatin1String("-h")) {
        sluice::cli::printOut(QString::fromLatin1(kUsage).trimmed());
        return 0;
    }
    if (command == QLatin1String("--version") || command == QLatin1String("-v")) {
        sluice::cli::printOut(QStringLiteral("sluice " SLUICE_VERSION));
        return 0;
    }
    if (command == QLatin1String("mock") || command == QLatin1String("demo") ||
        command == QLatin1String("bench") || command == QLatin1String("gateway")) {
        // Qt's own event dispatcher handles thousands of sockets markedly faster than GLib's.
        if (!qEnvironmentVariableIsSet("QT_NO_GLIB")) {
            qputenv("QT_NO_GLIB", "1");
        }
    }
    if (command == QLatin1String("mock")) {
        QCoreApplication app(argc, argv);
        return sluice::runMockCommand(subcommandArguments(argc, argv));
    }
    // One epoll set instead of a poll() over every socket on each wake-up: a client holding
    // thousands of streams, or a gateway holding two sockets per stream (the caller's and the
    // upstream's), spends its CPU on the events, not on asking which sockets have one.
    if ((command == QLatin1String("bench") || command == QLatin1String("gateway")) &&
        qEnvironmentVariable("SLUICE_EVENT_LOOP") != QLatin1String("qt")) {
        QCoreApplication::setEventDispatcher(new sluice::EpollDispatcher);
    }
    if (command == QLatin1String("bench")) {
        QCoreApplication app(argc, argv);
        return sluice::runBenchCommand(subcommandArguments(argc, argv));
    }
    if (command == QLatin1String("gateway")) {
        QCoreApplication app(argc, argv);
        return sluice::runGatewayCommand(subcommandArguments(argc, argv));
    }
    if (command == QLatin1String("stats") || command == QLatin1String("config") ||
        command == QLatin1String("monitor")) {
        QCoreApplication app(argc, argv);
        const QStringList args = subcommandArguments(argc, argv);
        return command == QLatin1String("stats")    ? sluice::runStatsCommand(args)
               : command == QLatin1String("config") ? sluice::runConfigCommand(args)
                                                    : sluice::runMonitorCommand(args);
    }
    if (command == QLatin1String("report")) {
        QCoreApplication app(argc, argv);
        return sluice::runReportCommand(subcommandArguments(argc, argv));
    }
    if (command == QLatin1String("demo")) {
        QCoreApplication app(argc, argv);
        return sluice::runDemoCommand(subcommandArguments(argc, argv));
    }
    if (!command.isEmpty() && !command.startsWith(QLatin1String("--"))) {
        sluice::cli::printError(QStringLiteral("sluice: unknown command or option '%1'\n\n%2")
                                    .arg(command, QString::fromLatin1(kUsage).trimmed()));
        return 2;
    }
    QStringList options;
    for (int i = 1; i < argc; ++i) {
        options << QString::fromLocal8Bit(argv[i]);
    }
    return sluice::runConsole(argc, argv, options);
}
