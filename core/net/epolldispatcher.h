#pragma once

#include <QAbstractEventDispatcher>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <unordered_map>

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
/// posted events are sent at the start of each turn, and a post from any thread wakes the loop
/// through an eventfd.
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
    };
    struct Timer {
        qint64 interval = 0; ///< ms
        Qt::TimerType type = Qt::CoarseTimer;
        QObject* object = nullptr;
        std::multimap<TimePoint, int>::iterator due;
        bool inEvent = false; ///< its handler runs: not fired again from a nested loop
    };

    /// Tells epoll which events `fd` waits for now (adds, changes or removes it).
    void updateWatch(int fd, const Watch& watch, bool known);
    void activateSockets(int ready);
    int activateTimers(); ///< returns how many were due
    /// Waits at most until the next timer (or not at all); returns epoll's count.
    int wait(bool canWait, bool sockets);

    int m_epoll = -1;
    int m_wakeFd = -1;
    std::atomic<bool> m_wakeUps{false};
    std::atomic<bool> m_interrupt{false};
    std::unordered_map<int, Watch> m_watches;
    std::unordered_map<int, Timer> m_timers;
    std::multimap<TimePoint, int> m_queue; ///< due time -> timer id
    static constexpr int kMaxEvents = 512;
    std::unique_ptr<epoll_event[]> m_events; ///< what one wait returned
};

} // namespace sluice
