#pragma once

#include "core/net/requestengine.h"

#include <QWidget>

#include <array>

class QFrame;
class QGridLayout;
class QLabel;

namespace sluice {

/// The numbers an operator checks first, in tiles across the window: in flight against the
/// limit, queued, processed, rejected, failed, answered 429, requests per second, p95 e2e and
/// total latency, the breaker, when the rate budget next opens and the client's own CPU and
/// memory. A value turns amber or red when it shows a problem (or while an alert on it is
/// raised), and a banner says when the client itself is the bottleneck. Tiles never cut their
/// numbers: each is as wide as its caption and a wide value, and when one row of them does not
/// fit the strip's width they flow onto more rows. Each tile is a QFrame named as below; its
/// value and detail labels are named "<tile>Value" and "<tile>Detail", and the value label's
/// "level" property is "normal", "warning" or "critical".
class StatsStrip final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StatsStrip)

public:
    enum Tile {
        InFlight,    ///< inFlightTile
        Queued,      ///< queuedTile
        Processed,   ///< processedTile
        Rejected,    ///< rejectedTile
        Errors,      ///< errorsTile: failed requests and their share of those ended
        RateLimited, ///< rateLimitedTile: attempts answered 429 and their share of attempts
        Rps,         ///< rpsTile
        P95,         ///< p95Tile: e2e p95, total p95 as the detail
        Breaker,     ///< breakerTile
        NextAllowed, ///< nextAllowedTile
        Client,      ///< clientTile
        TileCount
    };
    enum class Level { Normal, Warning, Critical };

    explicit StatsStrip(QWidget* parent = nullptr);

    void setSnapshot(const EngineSnapshot& s);
    /// Shows "–" in a tile that the current source cannot know (a distributed run's agents do
    /// not publish their breakers, queues or 429s), until the next snapshot sets it.
    void setUnknown(Tile tile);
    /// Every value back to "–", the banner hidden (no run).
    void clear();
    /// The run ended: what only means something while traffic flows (in flight, queued, rates,
    /// latency, breaker, next allowed, client) goes back to "–"; the run's totals (processed,
    /// rejected, failed, 429) stay, greyed, until the next run. Alert colours are dropped.
    void setIdle();
    bool idle() const { return m_idle; }
    /// Holds a tile at least at `level` while the alert is raised (errors-critical → Errors,
    /// rate-limited-warning → RateLimited, breaker-open → Breaker).
    void applyAlert(const QString& rule, bool raised, bool critical);

    /// Whose process the Client tile and the saturation banner speak of: Sluice as a benchmark
    /// client (a run), or the gateway the console draws (its traffic is not the console's).
    void setGatewaySubject(bool gateway);

    /// The value text of a tile, as shown.
    QString valueText(Tile tile) const;
    QString detailText(Tile tile) const;
    Level level(Tile tile) const { return m_tiles[tile].level; }
    /// Tiles per row as laid out now.
    int tilesPerRow() const { return m_perRow; }

    QSize minimumSizeHint() const override;

protected:
    void resizeEvent(QResizeEvent* event) override;
    void paintEvent(QPaintEvent* event) override;

private:
    struct TileWidgets {
        QFrame* frame = nullptr;
        QLabel* value = nullptr;
        QLabel* detail = nullptr;
        Level level = Level::Normal;
        Level alert = Level::Normal; ///< held by a raised alert
        bool greyed = false;
        int width = 0; ///< what the caption and a wide value need
    };
    void set(Tile tile, const QString& value, const QString& detail = {},
             Level level = Level::Normal);
    void paintLevel(TileWidgets& t, Level level, bool greyed);
    /// Puts the tiles in as few rows as fit `width`.
    void relayout(int width);

    std::array<TileWidgets, TileCount> m_tiles{};
    QGridLayout* m_grid = nullptr;
    QLabel* m_saturated = nullptr;
    int m_perRow = 0;
    bool m_idle = false;
};

} // namespace sluice
