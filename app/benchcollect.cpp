#include "app/benchcollect.h"

#include "app/benchexitcodes.h"
#include "app/commandline.h"
#include "app/summaryprint.h"
#include "core/bench/report/reportfiles.h"
#include "core/bench/runmerge.h"
#include "core/host/runfollower.h"
#include "core/redis/benchstream.h"
#include "core/redis/redisclient.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QTimer>

namespace sluice {

namespace {

const QString kMe = QStringLiteral("sluice bench --collect");

/// Prints what a RunFollower reads (agents joining and finishing, a progress line a second)
/// and quits the application's loop when it ends.
///
/// Threading: the main thread; lives on the caller's stack across QCoreApplication::exec().
class Collector final {
public:
    Collector(RunFollower& follower, bool quiet)
        : m_follower(follower)
        , m_quiet(quiet) {
        RunMerge& merge = follower.merge();
        QObject::connect(&follower, &RunFollower::agentJoined, qApp,
                         [this, &merge](int agent, const QJsonObject& hello) {
                             if (!m_quiet) {
                                 cli::printOut(
                                     QStringLiteral("  agent %1 of %2 joined (%3, %4)")
                                         .arg(agent)
                                         .arg(merge.expectedAgents())
                                         .arg(hello.value(QStringLiteral("host")).toString(),
                                              hello.value(QStringLiteral("share")).toString()));
                             }
                         });
        QObject::connect(&follower, &RunFollower::agentFinished, qApp, [this, &merge](int agent) {
            if (!m_quiet) {
                cli::printOut(QStringLiteral("  agent %1 finished (%2/%3)")
                                  .arg(agent)
                                  .arg(merge.finished())
                                  .arg(merge.expectedAgents()));
            }
        });
        QObject::connect(&follower, &RunFollower::stateChanged, qApp,
                         [this](RunFollower::State state, const QString& detail) {
                             if (state == RunFollower::State::Unreachable && !m_warned) {
                                 m_warned = true;
                                 cli::printError(
                                     kMe + QStringLiteral(": Redis: %1 (retrying)").arg(detail));
                             } else if (state == RunFollower::State::Following) {
                                 showProgress();
                             }
                         });
        QObject::connect(&follower, &RunFollower::recordsMerged, qApp, [this] { showProgress(); });
        QObject::connect(&follower, &RunFollower::finished, qApp,
                         [] { QTimer::singleShot(0, qApp, &QCoreApplication::quit); });
    }

    /// Set when the collection ended on an error (the message to print).
    QString error() const {
        if (m_follower.state() != RunFollower::State::Failed) {
            return {};
        }
        return m_follower.failedReading() ? QStringLiteral("--redis: ") + m_follower.detail()
                                          : m_follower.detail();
    }

private:
    void showProgress() {
        const RunMerge& merge = m_follower.merge();
        const auto row = merge.lastRow();
        if (m_quiet || !row || row->first == m_shownSecond) {
            return;
        }
        m_shownSecond = row->first;
        const RunStats::Counts& c = merge.counts();
        cli::printOut(QStringLiteral("  agents %1/%2 joined, %3 finished | sent %4/s | done %5, "
                                     "errors %6")
                          .arg(merge.joined())
                          .arg(merge.expectedAgents())
                          .arg(merge.finished())
                          .arg(row->second)
                          .arg(c.done)
                          .arg(c.errors()));
    }

    RunFollower& m_follower;
    bool m_quiet;
    bool m_warned = false;
    std::int64_t m_shownSecond = 0;
};

} // namespace

int runCollectCommand(const QString& runId, const QString& redisUrl, const QString& reportDir,
                      const QString& timeoutText, bool quiet) {
    auto fail = [](const QString& message, int code) {
        cli::printError(kMe + QStringLiteral(": ") + message);
        return code;
    };
    if (auto valid = BenchStream::validateRunId(runId, QStringLiteral("--collect")); !valid) {
        return fail(valid.error().text(), kExitUsage);
    }
    if (redisUrl.isEmpty()) {
        return fail(QStringLiteral("--redis: required with --collect (redis://host:port)"),
                    kExitUsage);
    }
    auto url = RedisUrl::parse(redisUrl);
    if (!url) {
        return fail(QStringLiteral("--redis: ") + url.error().text(), kExitUsage);
    }
    QString error;
    const auto timeout =
        cli::parseDuration(QStringLiteral("--collect-timeout"),
                           timeoutText.isEmpty() ? QStringLiteral("2m") : timeoutText, &error);
    if (!timeout) {
        return fail(error, kExitUsage);
    }
    RedisClient client(RunFollower::clientConfig(*url));
    client.start();
    if (!quiet) {
        cli::printOut(
            QStringLiteral("Sluice bench: collecting run '%1' from %2").arg(runId, url->display()));
    }
    RunFollower follower(client, runId);
    follower.setSilenceTimeout(*timeout);
    follower.setFailWhenUnreachableFirst(true);
    Collector collector(follower, quiet);
    follower.start();
    QCoreApplication::exec();
    follower.stop();
    client.stop();
    if (!collector.error().isEmpty()) {
        return fail(collector.error(), kExitRunFailed);
    }
    RunMerge& merge = follower.merge();
    if (merge.joined() == 0) {
        return fail(QStringLiteral("no agent of run '%1' published anything within "
                                   "--collect-timeout %2")
                        .arg(runId, timeoutText.isEmpty() ? QStringLiteral("2m") : timeoutText),
                    kExitRunFailed);
    }
    QString missing;
    if (!merge.complete()) {
        missing = QStringLiteral("%1 of %2 agents finished (nothing new for --collect-timeout)")
                      .arg(merge.finished())
                      .arg(merge.expectedAgents());
        cli::printError(kMe + QStringLiteral(": ") + missing);
    }
    if (merge.lostSlices() > 0) {
        cli::printError(kMe + QStringLiteral(": %1 slices never arrived; the totals miss them")
                                  .arg(merge.lostSlices()));
    }
    const QJsonObject summary = merge.summary(runId, missing);
    if (!reportDir.isEmpty()) {
        if (auto written = writeReport(reportDir, summary, merge.series()); !written) {
            cli::printError(kMe + QStringLiteral(": ") + written.error().text());
            cli::printOut(summaryText(summary, {}));
            return kExitRunFailed;
        }
    }
    cli::printOut(summaryText(summary, reportDir));
    if (!missing.isEmpty() || merge.counts().done == 0) {
        return kExitRunFailed;
    }
    const QJsonObject verdict = summary.value(QStringLiteral("verdict")).toObject();
    return verdict.value(QStringLiteral("passed")).toBool() ? kExitPassed : kExitSloFailed;
}

} // namespace sluice
