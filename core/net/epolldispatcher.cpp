#include "core/net/epolldispatcher.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTimerEvent>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace sluice {

namespace {

using Clock = std::chrono::steady_clock;

std::uint32_t epollEvents(QSocketNotifier* read, QSocketNotifier* write,
                          QSocketNotifier* exception) {
    return (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u) | (exception ? EPOLLPRI : 0u);
}

} // namespace

EpollDispatcher::EpollDispatcher(QObject* parent)
    : QAbstractEventDispatcher(parent)
    , m_epoll(epoll_create1(EPOLL_CLOEXEC))
    , m_wakeFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
    , m_events(std::make_unique<epoll_event[]>(kMaxEvents)) {
    if (m_epoll < 0 || m_wakeFd < 0) {
        qFatal("EpollDispatcher: cannot create epoll or eventfd: %s", strerror(errno));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = m_wakeFd;
    epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &ev);
}

EpollDispatcher::~EpollDispatcher() {
    ::close(m_wakeFd);
    ::close(m_epoll);
}

bool EpollDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags) {
    t_dispatching = this;
    m_interrupt.store(false);
    Q_EMIT awake();
    const bool posted = std::exchange(m_postedAwake, false);
    QCoreApplication::sendPostedEvents();
    const bool canWait = flags.testFlag(QEventLoop::WaitForMoreEvents) && !m_interrupt.load();
    if (canWait) {
        Q_EMIT aboutToBlock();
    }
    if (m_interrupt.load()) {
        return false;
    }
    const bool sockets = !flags.testFlag(QEventLoop::ExcludeSocketNotifiers);
    // Something posted here since the sends above (by a posted event, or at aboutToBlock)
    // waits in the queue with no eventfd write behind it: look at the sockets, do not sleep.
    const int ready = wait(canWait && !m_postedAwake, sockets);
    if (ready > 0) {
        activateSockets(ready);
    }
    const int fired = flags.testFlag(QEventLoop::X11ExcludeTimers) ? 0 : activateTimers();
    // Posts from this thread count as the eventfd they no longer write would have: a caller
    // that loops while this returns true (processEvents with a maximum time) goes on.
    return ready + fired > 0 || posted || m_postedAwake;
}

int EpollDispatcher::wait(bool canWait, bool sockets) {
    applyChanges();
    timespec timeout{0, 0};
    timespec* until = &timeout;
    if (canWait) {
        if (m_queue.empty()) {
            until = nullptr; // no timer: wait for a socket or a wake-up
        } else {
            const auto left = m_queue.begin()->first - Clock::now();
            if (left.count() > 0) {
                const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
                timeout.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
                timeout.tv_nsec = static_cast<long>(ns % 1'000'000'000);
            }
        }
    }
    if (!sockets) {
        // Only a wake-up (or the timeout) ends this wait; the sockets are left as they are.
        pollfd wake{m_wakeFd, POLLIN, 0};
        const int n = ppoll(&wake, 1, until, nullptr);
        if (n > 0) {
            eventfd_t value = 0;
            eventfd_read(m_wakeFd, &value);
            m_wakeUps.store(false);
        }
        return 0;
    }
    const int n = epoll_pwait2(m_epoll, m_events.get(), kMaxEvents, until, nullptr);
    return n < 0 ? 0 : n; // EINTR: nothing happened
}

void EpollDispatcher::activateSockets(int ready) {
    for (int i = 0; i < ready; ++i) {
        const epoll_event& ev = m_events[i];
        const int fd = ev.data.fd;
        if (fd == m_wakeFd) {
            eventfd_t value = 0;
            eventfd_read(m_wakeFd, &value);
            m_wakeUps.store(false);
            continue;
        }
        // Qt's dispatcher reports hang-ups and errors to readers and writers alike.
        const bool broken = (ev.events & (EPOLLHUP | EPOLLERR)) != 0;
        const bool wants[3] = {broken || (ev.events & EPOLLIN) != 0,
                               broken || (ev.events & EPOLLOUT) != 0, (ev.events & EPOLLPRI) != 0};
        for (int type = 0; type < 3; ++type) {
            if (!wants[type]) {
                continue;
            }
            // An earlier handler may have removed or replaced this notifier: look again.
            const auto it = m_watches.find(fd);
            if (it == m_watches.end()) {
                break;
            }
            QSocketNotifier* notifier = type == 0   ? it->second.read
                                        : type == 1 ? it->second.write
                                                    : it->second.exception;
            if (notifier) {
                QEvent event(QEvent::SockAct);
                QCoreApplication::sendEvent(notifier, &event);
            }
        }
    }
}

int EpollDispatcher::activateTimers() {
    if (m_queue.empty()) {
        return 0;
    }
    const TimePoint now = Clock::now();
    if (m_queue.begin()->first > now) {
        return 0;
    }
    std::vector<int> due;
    for (auto it = m_queue.begin(); it != m_queue.end() && it->first <= now; ++it) {
        due.push_back(it->second);
    }
    for (const int id : due) {
        auto found = m_timers.find(id);
        if (found == m_timers.end() || found->second.inEvent || found->second.due->first > now) {
            continue; // gone, running already, or started again since
        }
        Timer& t = found->second;
        const auto interval = std::chrono::milliseconds(t.interval);
        TimePoint next = t.due->first + interval;
        if (next < now) {
            next = now + interval; // late: no burst of catch-up events
        }
        m_queue.erase(t.due);
        t.due = m_queue.emplace(next, id);
        t.inEvent = true;
        QObject* object = t.object;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        // The handler may have killed the timer, or killed it and started another on its id.
        found = m_timers.find(id);
        if (found != m_timers.end()) {
            found->second.inEvent = false;
        }
    }
    return static_cast<int>(due.size());
}

void EpollDispatcher::registerSocketNotifier(QSocketNotifier* notifier) {
    const int fd = static_cast<int>(notifier->socket());
    Watch& w = m_watches[fd];
    switch (notifier->type()) {
    case QSocketNotifier::Read:
        w.read = notifier;
        break;
    case QSocketNotifier::Write:
        w.write = notifier;
        break;
    case QSocketNotifier::Exception:
        w.exception = notifier;
        break;
    }
    watchChanged(fd);
}

void EpollDispatcher::unregisterSocketNotifier(QSocketNotifier* notifier) {
    const int fd = static_cast<int>(notifier->socket());
    const auto it = m_watches.find(fd);
    if (it == m_watches.end()) {
        return;
    }
    Watch& w = it->second;
    if (w.read == notifier) {
        w.read = nullptr;
    }
    if (w.write == notifier) {
        w.write = nullptr;
    }
    if (w.exception == notifier) {
        w.exception = nullptr;
    }
    watchChanged(fd);
}

void EpollDispatcher::watchChanged(int fd) {
    const auto it = m_watches.find(fd);
    if (it == m_watches.end()) {
        return;
    }
    const Watch& w = it->second;
    if (!w.read && !w.write && !w.exception) {
        if (w.inKernel != 0) {
            epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr); // may be closed already: no matter
        }
        m_watches.erase(it);
        return;
    }
    m_changed.push_back(fd);
}

void EpollDispatcher::applyChanges() {
    for (const int fd : m_changed) {
        const auto it = m_watches.find(fd);
        if (it == m_watches.end()) {
            continue; // left epoll since
        }
        Watch& w = it->second;
        const std::uint32_t events = epollEvents(w.read, w.write, w.exception);
        if (events == w.inKernel) {
            continue; // changed and changed back
        }
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        // A closed descriptor leaves epoll by itself, so a number we know may be new to the
        // kernel (and the reverse): try the other operation when the first one says so.
        if (epoll_ctl(m_epoll, w.inKernel != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0) {
            if (errno == ENOENT) {
                epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev);
            } else if (errno == EEXIST) {
                epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &ev);
            }
        }
        w.inKernel = events;
    }
    m_changed.clear();
}

void EpollDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                    QObject* object) {
    unregisterTimer(timerId);
    Timer t;
    t.interval = std::max<qint64>(0, interval);
    t.type = timerType;
    t.object = object;
    t.due = m_queue.emplace(Clock::now() + std::chrono::milliseconds(t.interval), timerId);
    m_timers.emplace(timerId, t);
}

bool EpollDispatcher::unregisterTimer(int timerId) {
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end()) {
        return false;
    }
    m_queue.erase(it->second.due);
    m_timers.erase(it);
    return true;
}

bool EpollDispatcher::unregisterTimers(QObject* object) {
    bool any = false;
    for (auto it = m_timers.begin(); it != m_timers.end();) {
        if (it->second.object == object) {
            m_queue.erase(it->second.due);
            it = m_timers.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo>
EpollDispatcher::registeredTimers(QObject* object) const {
    QList<TimerInfo> out;
    for (const auto& [id, t] : m_timers) {
        if (t.object == object) {
            out.append(TimerInfo(id, static_cast<int>(t.interval), t.type));
        }
    }
    return out;
}

int EpollDispatcher::remainingTime(int timerId) {
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end()) {
        return -1;
    }
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(it->second.due->first - Clock::now());
    return static_cast<int>(std::max<qint64>(0, left.count()));
}

void EpollDispatcher::wakeUp() {
    if (t_dispatching == this) {
        // From this loop's own thread, which is not asleep (it is running this): the next
        // processEvents() sends what was posted before it waits, so no eventfd write, and no
        // extra wake-up to read it back, is needed. A post per request otherwise cost two
        // system calls and a turn of the loop.
        m_postedAwake = true;
        return;
    }
    bool expected = false;
    if (m_wakeUps.compare_exchange_strong(expected, true)) {
        eventfd_write(m_wakeFd, 1);
    }
}

void EpollDispatcher::interrupt() {
    m_interrupt.store(true);
    wakeUp();
}

} // namespace sluice
