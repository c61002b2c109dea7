#pragma once

#include "core/engine/clock.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <queue>
#include <vector>

namespace sluice::mock {

/// One precise timer for every reply in flight. Each reply schedules its next step (a token, the
/// end of a whole reply) at an absolute time; the ticker runs every step that is due in one pass.
/// Qt keeps timers in a sorted list, so thousands of per-stream QTimers cost O(n) each time one is
/// re-armed; a heap costs O(log n), and absolute due times keep token pacing free of drift.
class MockTicker final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MockTicker)

public:
    explicit MockTicker(QObject* parent = nullptr);

    /// Runs `step` at `due` (steady-clock time, see now()), unless `owner` is gone by then.
    void schedule(Nanos due, QObject* owner, std::function<void()> step);
    Nanos now() const { return m_clock.now(); }
    /// Freezes every reply until `until` (a server stall: a GC pause, a stuck host). Steps due
    /// meanwhile run together when it ends; steps scheduled meanwhile wait too.
    void pauseUntil(Nanos until);
    bool paused() const { return m_clock.now() < m_pausedUntil; }
    std::size_t pending() const { return m_heap.size(); }

private:
    struct Entry {
        Nanos due;
        quint64 order;
        QPointer<QObject> owner;
        std::function<void()> step;
    };
    struct Later {
        bool operator()(const Entry& a, const Entry& b) const {
            return a.due != b.due ? a.due > b.due : a.order > b.order;
        }
    };
    void fire();
    void arm();

    SteadyClock m_clock;
    std::priority_queue<Entry, std::vector<Entry>, Later> m_heap;
    QTimer m_timer;
    Nanos m_armedFor{-1};
    Nanos m_pausedUntil{0};
    quint64 m_order = 0;
};

} // namespace sluice::mock
