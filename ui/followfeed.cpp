#include "ui/followfeed.h"

#include "core/bench/runstats.h"
#include "core/redis/redisclient.h"
#include "core/redis/redisurl.h"
#include "ui/gateway/gatewaycockpit.h"
#include "ui/mainwindow.h"
#include "ui/panels/alertslog.h"
#include "ui/panels/chartspanel.h"
#include "ui/panels/errorsview.h"
#include "ui/panels/requestspanel.h"
#include "ui/panels/resultsview.h"
#include "ui/panels/statsstrip.h"
#include "ui/session.h"

#include <QLabel>
#include <QStatusBar>
#include <QTabWidget>
#include <QTextDocumentFragment>

#include <cmath>

namespace sluice {

namespace {

constexpr int kNoCap = 100000; // the engine's "no cap": the strip shows ∞, the charts no limit

// A series column of a merged row by name; NaN (not known from slices) as 0.
double column(const std::vector<double>& row, const QString& name) {
    static const QStringList columns = RunStats::seriesColumns();
    const qsizetype i = columns.indexOf(name);
    if (i < 0 || static_cast<std::size_t>(i) >= row.size() ||
        std::isnan(row[static_cast<std::size_t>(i)])) {
        return 0;
    }
    return row[static_cast<std::size_t>(i)];
}

Nanos millis(double ms) {
    return Nanos(std::llround(ms * 1e6));
}

} // namespace

FollowFeed::FollowFeed(MainWindow* window, Session* session)
    : QObject(window)
    , m_window(window)
    , m_session(session) {
    m_status = new QLabel(window);
    m_status->setObjectName(QStringLiteral("followStatus"));
    m_status->setTextFormat(Qt::RichText);
    m_status->hide();
    window->statusBar()->addPermanentWidget(m_status);
    // The console's own run, its gateway or an attached one takes the panels: following ends.
    connect(session, &Session::runStarted, this, [this] {
        if (following()) {
            stop();
        }
    });
    connect(&session->gateway(), &InProcessGatewayFeed::started, this, [this] {
        if (following()) {
            stop();
        }
    });
    connect(session->attachClient(), &AttachClient::stateChanged, this,
            [this](AttachClient::State state) {
                if (state != AttachClient::State::Detached && following()) {
                    stop();
                }
            });
}

FollowFeed::~FollowFeed() {
    m_follower.reset(); // before the client it reads with
    m_client.reset();
}

Result<void> FollowFeed::follow(const QString& redisUrl, const QString& runId) {
    if (redisUrl.isEmpty()) {
        return Error::invalid(QStringLiteral("--redis"),
                              tr("required with --collect (redis://host:port)"));
    }
    auto url = RedisUrl::parse(redisUrl);
    if (!url) {
        return Error::invalid(QStringLiteral("--redis"), url.error().text());
    }
    if (auto valid = BenchStream::validateRunId(runId, QStringLiteral("--collect")); !valid) {
        return valid;
    }
    if (m_session->running()) {
        return Error{Error::Kind::Unavailable, {}, tr("a run is going here: stop it first")};
    }
    if (m_window->cockpit()->live()) {
        return Error{
            Error::Kind::Unavailable, {}, tr("the charts show a gateway: stop it or detach first")};
    }
    stop();
    m_follower.reset();
    m_client = std::make_unique<RedisClient>(RunFollower::clientConfig(*url));
    m_follower = std::make_unique<RunFollower>(*m_client, runId);
    m_url = redisUrl;
    m_runId = runId;
    m_drawnSecond = 0;
    m_haveRow = false;
    m_last = EngineSnapshot{};
    connect(m_follower.get(), &RunFollower::stateChanged, this, &FollowFeed::onState);
    connect(m_follower.get(), &RunFollower::recordsMerged, this, &FollowFeed::onMerged);
    connect(m_follower.get(), &RunFollower::finished, this, &FollowFeed::onFinished);
    connect(m_follower.get(), &RunFollower::agentJoined, this,
            [this](int agent, const QJsonObject& hello) {
                m_window->alertsLog()->addEvent(
                    {m_window->charts()->now(), QStringLiteral("agent"),
                     tr("agent %1 of %2 joined (%3; %4)")
                         .arg(agent)
                         .arg(m_follower->merge().expectedAgents())
                         .arg(hello.value(QStringLiteral("host")).toString(),
                              hello.value(QStringLiteral("share")).toString())});
            });
    connect(m_follower.get(), &RunFollower::agentFinished, this, [this](int agent) {
        m_window->alertsLog()->addEvent({m_window->charts()->now(), QStringLiteral("agent"),
                                         tr("agent %1 finished (%2/%3)")
                                             .arg(agent)
                                             .arg(m_follower->merge().finished())
                                             .arg(m_follower->merge().expectedAgents())});
    });

    // A new run on the panels, as for a run of the console's own.
    m_window->requestsPanel()->clear();
    m_window->resultsView()->clear();
    m_window->errorsView()->clear();
    m_window->statsStrip()->clear();
    m_window->statsStrip()->setGatewaySubject(false);
    m_window->charts()->clearAlerts();
    m_window->charts()->addMarker(tr("following %1").arg(runId));
    // Agents joining and finishing are listed there; the Requests tab has nothing to show.
    m_window->bottomTabs()->setCurrentWidget(m_window->alertsLog());
    m_client->start();
    m_follower->start();
    showStatus();
    return {};
}

void FollowFeed::stop() {
    if (!m_follower || m_follower->ended()) {
        return;
    }
    m_follower->stop();
    m_client->stop();
    m_window->statsStrip()->setIdle();
    m_window->charts()->addMarker(tr("stopped following"));
    showStatus();
}

EngineSnapshot FollowFeed::snapshotOf(const std::vector<double>& row, const RunMerge& merge) {
    EngineSnapshot s;
    s.inFlight = static_cast<int>(column(row, QStringLiteral("in_flight")));
    s.limit = kNoCap;
    s.sentPerSecond = column(row, QStringLiteral("sent_rps"));
    s.okPerSecond = column(row, QStringLiteral("ok_rps"));
    s.errorsPerSecond = column(row, QStringLiteral("error_rps"));
    s.tokensOutPerSecond = column(row, QStringLiteral("output_tokens_per_s"));
    // Of the second's merged histograms: what every agent measured in it, pooled.
    s.e2eP50 = millis(column(row, QStringLiteral("e2e_p50_ms")));
    s.e2eP95 = millis(column(row, QStringLiteral("e2e_p95_ms")));
    s.e2eP99 = millis(column(row, QStringLiteral("e2e_p99_ms")));
    s.ttftP50 = millis(column(row, QStringLiteral("ttft_p50_ms")));
    s.ttftP99 = millis(column(row, QStringLiteral("ttft_p99_ms")));
    const RunStats::Counts& c = merge.counts();
    s.submitted = c.submitted;
    s.done = c.done;
    s.failed = c.failed;
    s.rejected = c.rejected;
    s.timedOut = c.timedOut;
    s.cancelled = c.cancelled;
    s.retries = c.retries;
    return s;
}

void FollowFeed::drawNewRows() {
    const RunMerge& merge = m_follower->merge();
    const std::vector<RunMerge::Row> rows = merge.rowsAfter(m_drawnSecond);
    ChartsPanel* charts = m_window->charts();
    for (const auto& [second, values] : rows) {
        if (!m_haveRow) {
            // The run's own time axis, its newest second now: a run followed from its middle
            // (or after its end) draws its past as it was, not squeezed into one instant.
            m_firstSecond = second;
            m_firstAt = charts->now() - static_cast<double>(rows.back().first - second);
            m_haveRow = true;
        }
        m_last = snapshotOf(values, merge);
        charts->addSnapshot(
            m_last,
            std::min(charts->now(), m_firstAt + static_cast<double>(second - m_firstSecond)));
        m_drawnSecond = second;
    }
    if (m_haveRow) {
        // The totals move with every record, also between closed seconds.
        const EngineSnapshot totals = snapshotOf({}, merge);
        m_last.submitted = totals.submitted;
        m_last.done = totals.done;
        m_last.failed = totals.failed;
        m_last.rejected = totals.rejected;
        m_last.timedOut = totals.timedOut;
        m_last.cancelled = totals.cancelled;
        m_last.retries = totals.retries;
        m_window->statsStrip()->setSnapshot(m_last);
        // What the agents do not publish: their queues, 429s, breakers and rate budgets.
        for (const StatsStrip::Tile tile : {StatsStrip::Queued, StatsStrip::RateLimited,
                                            StatsStrip::Breaker, StatsStrip::NextAllowed}) {
            m_window->statsStrip()->setUnknown(tile);
        }
    }
}

void FollowFeed::onMerged() {
    drawNewRows();
    showStatus();
}

void FollowFeed::onState(RunFollower::State, const QString&) {
    showStatus();
}

void FollowFeed::onFinished() {
    RunMerge& merge = m_follower->merge();
    drawNewRows();
    m_window->statsStrip()->setIdle();
    if (m_follower->state() == RunFollower::State::Complete) {
        const QJsonObject summary = merge.summary(m_runId);
        m_session->setLastResult(summary, merge.series());
        m_window->resultsView()->setSummary(summary);
        m_window->bottomTabs()->setCurrentWidget(m_window->resultsView());
        m_window->charts()->addMarker(tr("run complete"));
    } else {
        m_window->charts()->addMarker(tr("following failed"));
    }
    m_client->stop();
    showStatus();
}

QString FollowFeed::statusText() const {
    return QTextDocumentFragment::fromHtml(m_status->text()).toPlainText();
}

void FollowFeed::showStatus() {
    if (!m_follower) {
        m_status->hide();
        return;
    }
    const RunMerge& merge = m_follower->merge();
    const QString run = tr("run %1").arg(m_runId.toHtmlEscaped());
    const QString agents =
        merge.joined() < merge.expectedAgents() ? tr("%1 of %2 agents, %3 done")
                                                      .arg(merge.joined())
                                                      .arg(merge.expectedAgents())
                                                      .arg(merge.finished())
        : merge.joined() == 1 ? tr("1 agent, %1 done").arg(merge.finished())
                              : tr("%1 agents, %2 done").arg(merge.joined()).arg(merge.finished());
    QString text;
    QString colour = QStringLiteral("#1e7b34");
    switch (m_follower->state()) {
    case RunFollower::State::Connecting:
        text = tr("%1: connecting to %2…").arg(run, m_url.toHtmlEscaped());
        colour = QStringLiteral("#6b6b6b");
        break;
    case RunFollower::State::Waiting:
        text = tr("%1: waiting for agents").arg(run);
        colour = QStringLiteral("#6b6b6b");
        break;
    case RunFollower::State::Following:
        text = tr("● %1: %2").arg(run, agents);
        break;
    case RunFollower::State::Complete:
        text = tr("● %1 complete: %2").arg(run, agents);
        colour = QStringLiteral("#1b3a5c");
        break;
    case RunFollower::State::Unreachable:
        text = tr("● %1: Redis unreachable — retrying (%2)")
                   .arg(run, m_follower->detail().toHtmlEscaped());
        colour = QStringLiteral("#b3261e");
        break;
    case RunFollower::State::Failed:
        text = tr("● %1: stopped — %2").arg(run, m_follower->detail().toHtmlEscaped());
        colour = QStringLiteral("#b3261e");
        break;
    }
    if (m_follower->ended() && m_follower->state() != RunFollower::State::Complete &&
        m_follower->state() != RunFollower::State::Failed) {
        text = tr("%1: not followed any more (%2)").arg(run, agents);
        colour = QStringLiteral("#6b6b6b");
    }
    if (merge.lostSlices() > 0) {
        text += tr(" · slices lost: %1").arg(merge.lostSlices());
    }
    m_status->setText(QStringLiteral("<span style=\"color:%1\">%2</span>").arg(colour, text));
    m_status->setToolTip(tr("A distributed benchmark run, merged from the agents' records in "
                            "%1")
                             .arg(m_url));
    m_status->show();
    Q_EMIT statusChanged(statusText());
}

} // namespace sluice
