#pragma once

#include "core/host/runfollower.h"
#include "core/net/enginetypes.h"
#include "core/result.h"

#include <QObject>
#include <QString>

#include <cstdint>
#include <memory>

class QLabel;

namespace sluice {

class MainWindow;
class RedisClient;
class Session;

/// Follows a distributed benchmark run in Redis (Run → Follow a distributed run…, `--redis URL
/// --collect ID`): a RunFollower reads and merges what the agents publish, and this draws the
/// merged run on the window's panels as they draw a run of the console's own. Each closed
/// second becomes a snapshot for the charts and the stats strip (rates added up over the
/// agents, percentiles read from the second's merged histograms, never averaged); the run's
/// totals come from the merge. Once every agent is done, the merged summary goes to the
/// results view and becomes the session's last result (File → Export report…). A status bar
/// label (objectName "followStatus") says waiting / N agents, K done / Redis unreachable /
/// complete. A run of the console's own, or a gateway, takes the panels back: following stops.
///
/// GUI thread; a child of the window. Owns the Redis client and the follower while following.
class FollowFeed final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FollowFeed)

public:
    FollowFeed(MainWindow* window, Session* session);
    ~FollowFeed() override;

    /// Follows run `runId` in the Redis at `redisUrl` (following another run stops). Errors name
    /// the flag: "--redis" for the URL, "--collect" for the run id; refused while the console's
    /// own run or a gateway has the panels.
    Result<void> follow(const QString& redisUrl, const QString& runId);
    /// Stops reading; what was drawn stays.
    void stop();
    bool following() const { return m_follower && !m_follower->ended(); }
    /// The follower of the current or last followed run (null before the first).
    RunFollower* follower() const { return m_follower.get(); }
    /// The Redis URL as given (for the dialog), and the run id.
    const QString& url() const { return m_url; }
    const QString& runId() const { return m_runId; }
    /// The status bar label (objectName "followStatus"), and its text without markup.
    QLabel* statusLabel() const { return m_status; }
    QString statusText() const;

    /// The snapshot the panels draw for one closed second of the merge (`row` in
    /// RunStats::seriesColumns() order), with the run's totals so far.
    static EngineSnapshot snapshotOf(const std::vector<double>& row, const RunMerge& merge);

Q_SIGNALS:
    /// The status label's text changed (plain text).
    void statusChanged(const QString& text);

private:
    void onState(RunFollower::State state, const QString& detail);
    void onMerged();
    void onFinished();
    void drawNewRows();
    void showStatus();

    MainWindow* m_window;
    Session* m_session;
    // The client outlives the follower that reads with it.
    std::unique_ptr<RedisClient> m_client;
    std::unique_ptr<RunFollower> m_follower;
    QLabel* m_status = nullptr;
    QString m_url;
    QString m_runId;
    std::int64_t m_drawnSecond = 0; ///< the newest second on the charts
    std::int64_t m_firstSecond = 0; ///< the first second drawn, at m_firstAt on the charts
    double m_firstAt = 0;
    EngineSnapshot m_last; ///< the newest second's snapshot (the strip shows it)
    bool m_haveRow = false;
};

} // namespace sluice
