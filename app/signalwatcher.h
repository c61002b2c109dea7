#pragma once

#include <QObject>

class QSocketNotifier;

namespace sluice {

/// Turns SIGINT and SIGTERM into a Qt signal, delivered in the event loop (self-pipe trick), so
/// headless commands shut down cleanly: servers close, reports are written.
class SignalWatcher final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SignalWatcher)

public:
    explicit SignalWatcher(QObject* parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signal);

private:
    QSocketNotifier* m_notifier = nullptr;
};

} // namespace sluice
