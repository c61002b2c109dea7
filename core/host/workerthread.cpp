#include "core/host/workerthread.h"

#include "core/net/epolldispatcher.h"

namespace sluice {

WorkerThread::WorkerThread(const QString& name, Loop loop) {
    m_thread.setObjectName(name);
    if (loop == Loop::Epoll && qEnvironmentVariable("SLUICE_EVENT_LOOP") != QLatin1String("qt")) {
        m_thread.setEventDispatcher(new EpollDispatcher); // the thread owns it
    }
    m_context = new QObject;
    m_context->moveToThread(&m_thread);
    // Emitted in the thread as its loop ends; the deferred delete runs before the thread exits.
    QObject::connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread.start();
}

WorkerThread::~WorkerThread() {
    // The thread's last call: what lives there goes, in the thread, then its loop ends. The
    // release and acquire tell ThreadSanitizer what wait() gives: Qt's threads are detached and
    // wait() learns of the end through a lock TSan does not see, so without them the owner's
    // next use of memory the thread touched (its stack, this object's) would be reported.
    post([this] {
        while (!m_context->children().isEmpty()) {
            delete m_context->children().constFirst();
        }
        handOffRelease(this);
        m_thread.quit();
    });
    m_thread.wait();
    handOffAcquire(this);
}

} // namespace sluice
