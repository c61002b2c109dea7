#pragma once

#include <QAbstractEventDispatcher>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

class QSocketNotifier;
struct epoll_event;

namespace sluice {

/// An event dispatcher on Linux epoll, for a thread that holds thousands of sockets.
///
/// Qt's own dispatcher hands every socket to poll() on every turn of the loop, so each wake-up
/// costs time in proportion to the sockets open: at 1,000 streams that was most of the client's
/// CPU per event. Here a socket notifier is registered with the kernel once, and a wake-up
/// costs in proportion to the sockets that are ready. Timers sit in a queue ordered by when
/// they are due and are waited for to the nanosecond (every timer type is kept precisely);
/// posted events are sent at the start of each turn, and a post from another thread wakes the
/// loop through an eventfd (a post from the loop's own thread needs none: it is awake).
///
/// Install it before the application object: `QCoreApplication::setEventDispatcher(new
/// EpollDispatcher)`. Lives in that thread; wakeUp() and interrupt() may be called from any.
class EpollDispatcher final : public QAbstractEventDispatcher {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EpollDispatcher)

public:
    explicit EpollDispatcher(QObject* parent = nullptr);
    ~EpollDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier* notifier) override;
    void unregisterSocketNotifier(QSocketNotifier* notifier) override;

    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject* object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject* object) override;
    QList<TimerInfo> registeredTimers(QObject* object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

private:
    using TimePoint = std::chrono::steady_clock::time_point;

    struct Watch {
        QSocketNotifier* read = nullptr;
        QSocketNotifier* write = nullptr;
        QSocketNotifier* exception = nullptr;
        std::uint32_t inKernel = 0; ///< the events epoll was last told for this descriptor
    };
    struct Timer {
        qint64 interval = 0; ///< ms
        Qt::TimerType type = Qt::CoarseTimer;
        QObject* object = nullptr;
        std::multimap<TimePoint, int>::iterator due;
        bool inEvent = false; ///< its handler runs: not fired again from a nested loop
    };

    /// Notes that `fd`'s notifiers changed. A descriptor left with none leaves epoll at once (it
    /// may be closed next, and its number reused); any other change waits for applyChanges(),
    /// so a notifier enabled and disabled again in one turn (a socket's write notifier around
    /// each write that completes at once) costs no system call.
    void watchChanged(int fd);
    /// Tells epoll what changed since the last wait; called just before each wait.
    void applyChanges();
    void activateSockets(int ready);
    int activateTimers(); ///< returns how many were due
    /// Waits at most until the next timer (or not at all); returns epoll's count.
    int wait(bool canWait, bool sockets);

    int m_epoll = -1;
    int m_wakeFd = -1;
    std::atomic<bool> m_wakeUps{false};
    /// wakeUp() from the dispatcher's own thread since the last sendPostedEvents(): the next
    /// wait must not block. Read and written in that thread only.
    bool m_postedAwake = false;
    /// The dispatcher whose processEvents() runs in this thread (set by it): how wakeUp() knows
    /// its caller is the loop's own thread, which is awake.
    static inline thread_local EpollDispatcher* t_dispatching = nullptr;
    std::atomic<bool> m_interrupt{false};
    std::unordered_map<int, Watch> m_watches;
    std::vector<int> m_changed; ///< descriptors whose notifiers changed since the last wait
    std::unordered_map<int, Timer> m_timers;
    std::multimap<TimePoint, int> m_queue; ///< due time -> timer id
    /// Sockets handled per turn. Posted events and due timers wait for the rest of a turn, so a
    /// turn is kept short: with level-triggered epoll the sockets left ready come back at the
    /// next wait, the ones not yet handled first (the kernel moves those reported to the back).
    static constexpr int kMaxEvents = 64;
    std::unique_ptr<epoll_event[]> m_events; ///< what one wait returned
};

} // namespace sluice
