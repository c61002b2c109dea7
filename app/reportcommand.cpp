#include "app/reportcommand.h"

#include "app/commandline.h"
#include "core/bench/report/comparisonhtml.h"
#include "core/bench/report/reportfiles.h"

#include <QCommandLineParser>
#include <QDir>
#include <QSaveFile>

namespace sluice {

int runReportCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Compares two benchmark runs (directories written by sluice bench --report) in one HTML."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("A"),
                                 QStringLiteral("The first report directory."));
    parser.addPositionalArgument(QStringLiteral("B"),
                                 QStringLiteral("The second report directory."));
    const QCommandLineOption output(QStringLiteral("o"),
                                    QStringLiteral("Output file (default compare.html)."),
                                    QStringLiteral("file"), QStringLiteral("compare.html"));
    parser.addOption(output);
    const QString me = QStringLiteral("sluice report");
    if (!parser.parse(arguments)) {
        cli::printError(me + QStringLiteral(": ") + parser.errorText());
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        cli::printOut(parser.helpText());
        return 0;
    }
    const QStringList dirs = parser.positionalArguments();
    if (dirs.size() != 2) {
        cli::printError(me + QStringLiteral(": give exactly two report directories (see --help)"));
        return 2;
    }
    const auto a = loadReport(dirs[0]);
    if (!a) {
        cli::printError(me + QStringLiteral(": ") + a.error().text());
        return 2;
    }
    const auto b = loadReport(dirs[1]);
    if (!b) {
        cli::printError(me + QStringLiteral(": ") + b.error().text());
        return 2;
    }
    const QString html = renderComparisonHtml(a->summary, a->series, QDir(dirs[0]).dirName(),
                                              b->summary, b->series, QDir(dirs[1]).dirName());
    QSaveFile file(parser.value(output));
    const QByteArray bytes = html.toUtf8();
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        cli::printError(
            me + QStringLiteral(": cannot write %1: %2").arg(file.fileName(), file.errorString()));
        return 1;
    }
    cli::printOut(QStringLiteral("Comparison written to %1").arg(file.fileName()));
    return 0;
}

} // namespace sluice
