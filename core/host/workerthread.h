#pragma once

#include "core/host/handoff.h"

#include <QObject>
#include <QThread>

#include <utility>

namespace sluice {

/// A thread of its own, running its event loop from construction to destruction, and an object
/// living in it through which code is posted there. The hosts (MockHost, RunHost, GatewayHost)
/// keep what they host on one; the thread that owns the WorkerThread never waits for it, except
/// in the destructor, which joins the thread.
///
/// Objects created in the thread with context() as parent are deleted in the thread, when it
/// ends (the destructor), before it is joined.
class WorkerThread final {
    Q_DISABLE_COPY_MOVE(WorkerThread)

public:
    /// How the thread waits for its sockets and timers. Epoll (EpollDispatcher) is for threads
    /// that hold many sockets: a wake-up costs in proportion to the ready sockets, not the open
    /// ones. Setting SLUICE_EVENT_LOOP=qt in the environment makes every thread use Qt's own.
    enum class Loop { Qt, Epoll };

    explicit WorkerThread(const QString& name, Loop loop = Loop::Qt);
    /// Deletes context()'s children in the thread, ends its event loop (context() goes too)
    /// and joins it. Everything posted before runs first.
    ~WorkerThread();

    /// Lives in the thread. Thread-safe to read (the pointer never changes).
    QObject* context() const { return m_context; }
    QThread* thread() { return &m_thread; }

    /// Runs `f` in the thread, after everything posted before it (queued; returns at once).
    /// Thread-safe. What `f` captures is handed over (HandOff): written before the post, read
    /// in the thread; `f` hands results back the same way (`handOff`, queued).
    template <typename F> void post(F&& f) const {
        QMetaObject::invokeMethod(m_context, handOff(std::forward<F>(f)), Qt::QueuedConnection);
    }

private:
    QThread m_thread;
    QObject* m_context = nullptr; // lives in m_thread; deleted there when it finishes
};

} // namespace sluice
