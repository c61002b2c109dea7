#include "app/benchcollect.h"

#include "app/benchexitcodes.h"
#include "app/commandline.h"
#include "app/summaryprint.h"
#include "core/bench/report/reportfiles.h"
#include "core/bench/runmerge.h"
#include "core/redis/benchstream.h"
#include "core/redis/redisclient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QTimer>

namespace sluice {

namespace {

constexpr int kBlockMs = 1000;
constexpr int kBatch = 500;

const QString kMe = QStringLiteral("sluice bench --collect");

/// Reads the run's stream until every agent is done, the stream stays silent for the
/// timeout, or a record cannot be used; then quits the application's loop.
///
/// Threading: the main thread; lives on the caller's stack across QCoreApplication::exec().
class Collector final {
public:
    Collector(RedisClient& client, const QString& runId, std::chrono::milliseconds timeout,
              bool quiet)
        : m_stream(client, runId)
        , m_client(client)
        , m_timeout(timeout)
        , m_quiet(quiet) {
        m_silence.start();
    }

    void readNext() {
        m_stream.read(m_lastId, kBlockMs, kBatch,
                      [this](Result<std::vector<BenchStream::Record>> r) { onRead(std::move(r)); });
    }

    RunMerge& merge() { return m_merge; }
    /// Set when the collection ended on an error (the message to print).
    const QString& error() const { return m_error; }
    bool timedOut() const { return m_timedOut; }

private:
    void stop(const QString& error) {
        m_error = error;
        QTimer::singleShot(0, qApp, &QCoreApplication::quit);
    }

    void onRead(Result<std::vector<BenchStream::Record>> r) {
        if (!r) {
            if (!m_reachedOnce || r.error().kind != Error::Kind::Unavailable) {
                stop(QStringLiteral("--redis: cannot read the run from %1: %2")
                         .arg(m_client.config().url.display(), r.error().text()));
                return;
            }
            if (!m_warned) {
                m_warned = true;
                cli::printError(kMe +
                                QStringLiteral(": Redis: %1 (retrying)").arg(r.error().text()));
            }
        } else {
            m_reachedOnce = true;
            if (!r->empty()) {
                m_silence.restart();
            }
            for (const BenchStream::Record& record : *r) {
                m_lastId = record.id;
                if (auto used = use(record); !used) {
                    stop(QStringLiteral("record %1 from agent %2: %3")
                             .arg(QString::fromLatin1(record.id))
                             .arg(record.agent)
                             .arg(used.error().text()));
                    return;
                }
            }
            showProgress();
        }
        if (m_merge.complete()) {
            QTimer::singleShot(0, qApp, &QCoreApplication::quit);
            return;
        }
        if (m_silence.hasExpired(m_timeout.count())) {
            m_timedOut = true;
            QTimer::singleShot(0, qApp, &QCoreApplication::quit);
            return;
        }
        // Not from inside the callback: the next read is sent from the loop.
        QTimer::singleShot(r ? 0 : 200, qApp, [this] { readNext(); });
    }

    Result<void> use(const BenchStream::Record& record) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(record.data, &parseError);
        if (!doc.isObject()) {
            return Error::invalid(
                QStringLiteral("data"),
                QStringLiteral("not a JSON object (%1)").arg(parseError.errorString()));
        }
        const QJsonObject o = doc.object();
        if (record.kind == "hello") {
            auto added = m_merge.addHello(o);
            if (added && !m_quiet) {
                cli::printOut(QStringLiteral("  agent %1 of %2 joined (%3, %4)")
                                  .arg(record.agent)
                                  .arg(m_merge.expectedAgents())
                                  .arg(o.value(QStringLiteral("host")).toString(),
                                       o.value(QStringLiteral("share")).toString()));
            }
            return added;
        }
        if (record.kind == "slice") {
            auto slice = AgentSlice::fromJson(o);
            if (!slice) {
                return slice.error();
            }
            if (slice->agent != record.agent) {
                return Error::invalid(QStringLiteral("slice: agent"),
                                      QStringLiteral("%1 in the data, %2 in the record")
                                          .arg(slice->agent)
                                          .arg(record.agent));
            }
            return m_merge.addSlice(*slice);
        }
        if (record.kind == "done") {
            auto added = m_merge.addDone(o);
            if (added && !m_quiet) {
                cli::printOut(QStringLiteral("  agent %1 finished (%2/%3)")
                                  .arg(record.agent)
                                  .arg(m_merge.finished())
                                  .arg(m_merge.expectedAgents()));
            }
            return added;
        }
        return Error::invalid(QStringLiteral("kind"),
                              QStringLiteral("'%1' is not hello, slice or done")
                                  .arg(QString::fromLatin1(record.kind)));
    }

    void showProgress() {
        const auto row = m_merge.lastRow();
        if (m_quiet || !row || row->first == m_shownSecond) {
            return;
        }
        m_shownSecond = row->first;
        const RunStats::Counts& c = m_merge.counts();
        cli::printOut(QStringLiteral("  agents %1/%2 joined, %3 finished | sent %4/s | done %5, "
                                     "errors %6")
                          .arg(m_merge.joined())
                          .arg(m_merge.expectedAgents())
                          .arg(m_merge.finished())
                          .arg(row->second)
                          .arg(c.done)
                          .arg(c.errors()));
    }

    BenchStream m_stream;
    RedisClient& m_client;
    std::chrono::milliseconds m_timeout;
    bool m_quiet;
    RunMerge m_merge;
    QByteArray m_lastId = "0";
    QElapsedTimer m_silence; ///< since the last record arrived
    bool m_reachedOnce = false;
    bool m_warned = false;
    bool m_timedOut = false;
    QString m_error;
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
    RedisClientConfig config;
    config.url = *url;
    config.commandTimeout = std::chrono::milliseconds(kBlockMs + 2000);
    RedisClient client(config);
    client.start();
    if (!quiet) {
        cli::printOut(
            QStringLiteral("Sluice bench: collecting run '%1' from %2").arg(runId, url->display()));
    }
    Collector collector(client, runId, *timeout, quiet);
    QTimer::singleShot(0, qApp, [&collector] { collector.readNext(); });
    QCoreApplication::exec();
    client.stop();
    if (!collector.error().isEmpty()) {
        return fail(collector.error(), kExitRunFailed);
    }
    RunMerge& merge = collector.merge();
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
