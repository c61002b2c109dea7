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
    m_thread.quit();
    m_thread.wait();
}

} // namespace sluice
