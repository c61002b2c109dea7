#pragma once

#include "core/net/requestengine.h"

#include <QWidget>

#include <array>

class QFrame;
class QLabel;

namespace sluice {

/// The numbers an operator checks first, in one row of tiles across the window: in flight
/// against the limit, queued, processed, rejected, requests per second, p95 latency, the
/// breaker, when the rate budget next opens and the client's own CPU and memory. A value turns
/// amber or red when it shows a problem, and a banner says when the client itself is the
/// bottleneck. Each tile is a QFrame named as below; its value and detail labels are named
/// "<tile>Value" and "<tile>Detail", and the value label's "level" property is "normal",
/// "warning" or "critical".
class StatsStrip final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StatsStrip)

public:
    enum Tile {
        InFlight,    ///< inFlightTile
        Queued,      ///< queuedTile
        Processed,   ///< processedTile
        Rejected,    ///< rejectedTile
        Rps,         ///< rpsTile
        P95,         ///< p95Tile
        Breaker,     ///< breakerTile
        NextAllowed, ///< nextAllowedTile
        Client,      ///< clientTile
        TileCount
    };
    enum class Level { Normal, Warning, Critical };

    explicit StatsStrip(QWidget* parent = nullptr);

    void setSnapshot(const EngineSnapshot& s);
    /// Every value back to "–", the banner hidden (no run).
    void clear();

    /// The value text of a tile, as shown.
    QString valueText(Tile tile) const;
    Level level(Tile tile) const { return m_tiles[tile].level; }

private:
    struct TileWidgets {
        QFrame* frame = nullptr;
        QLabel* value = nullptr;
        QLabel* detail = nullptr;
        Level level = Level::Normal;
    };
    void set(Tile tile, const QString& value, const QString& detail = {},
             Level level = Level::Normal);

    std::array<TileWidgets, TileCount> m_tiles{};
    QLabel* m_saturated = nullptr;
};

} // namespace sluice
