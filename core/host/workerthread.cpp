#include "core/host/workerthread.h"

namespace sluice {

WorkerThread::WorkerThread(const QString& name) {
    m_thread.setObjectName(name);
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
