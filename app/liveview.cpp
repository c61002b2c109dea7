#include "app/liveview.h"

#include "app/summaryprint.h"

#include <QStringList>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sys/ioctl.h>
#include <unistd.h>

namespace sluice {

int terminalColumns() {
    bool ok = false;
    const int env = qEnvironmentVariableIntValue("COLUMNS", &ok);
    if (ok && env > 0) {
        return env;
    }
    winsize ws{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        return ws.ws_col;
    }
    return 80;
}

namespace {

QString bar(double fraction, int width) {
    const int filled = static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * width));
    return QLatin1Char('[') + QString(filled, QLatin1Char('#')) +
           QString(width - filled, QLatin1Char('.')) + QLatin1Char(']');
}

struct Field {
    int rank;     // lower = kept longer
    QString text; // without separators
};

} // namespace

QString liveLine(const BenchProgress& p, int width) {
    width = std::max(20, width - 1); // the last column would wrap on some terminals
    std::vector<Field> fields;       // in display order
    const QString progress = p.fraction >= 0
                                 ? QStringLiteral("%1%").arg(static_cast<int>(p.fraction * 100), 3)
                                 : QString();
    fields.push_back({0, QStringLiteral("%1 %2s").arg(p.phase).arg(p.elapsed, 0, 'f', 0)});
    if (!progress.isEmpty()) {
        fields.push_back({1, progress});
    }
    fields.push_back({0, QStringLiteral("ok %1").arg(p.ok)});
    fields.push_back({0, QStringLiteral("err %1").arg(p.errors)});
    if (!p.topFailure.isEmpty()) {
        fields.push_back({2, QStringLiteral("(%1)").arg(p.topFailure)});
    }
    fields.push_back({3, QStringLiteral("sent %1/s").arg(p.sentPerSecond, 0, 'f', 1)});
    fields.push_back({4, QStringLiteral("fly %1").arg(p.inFlight)});
    fields.push_back({4, QStringLiteral("q %1").arg(p.queued)});
    if (p.rateLimited > 0) {
        fields.push_back({5, QStringLiteral("429 %1").arg(p.rateLimited)});
    }
    fields.push_back(
        {3, QStringLiteral("e2e p50/p99 %1/%2").arg(fmtMs(p.e2eP50), fmtMs(p.e2eP99))});
    fields.push_back({6, QStringLiteral("p95 %1").arg(fmtMs(p.e2eP95))});
    if (p.ttftP50 > 0) {
        fields.push_back({5, QStringLiteral("ttft p50 %1").arg(fmtMs(p.ttftP50))});
    }

    // Drop the least important fields until the rest fits; a bar fills what is left.
    auto join = [&](const std::vector<bool>& keep) {
        QStringList parts;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (keep[i]) {
                parts << fields[i].text;
            }
        }
        return parts.join(QStringLiteral("  "));
    };
    std::vector<bool> keep(fields.size(), true);
    QString line = join(keep);
    for (int rank = 6; rank > 0 && line.size() > width; --rank) {
        for (std::size_t i = fields.size(); i-- > 0 && line.size() > width;) {
            if (fields[i].rank == rank && keep[i]) {
                keep[i] = false;
                line = join(keep);
            }
        }
    }
    if (line.size() > width) {
        line = line.left(width - 1) + QStringLiteral("…");
    }
    const int room = width - static_cast<int>(line.size()) - 1;
    if (p.fraction >= 0 && room >= 12) {
        line = bar(p.fraction, std::min(20, room - 2)) + QLatin1Char(' ') + line;
    }
    return line;
}

} // namespace sluice
