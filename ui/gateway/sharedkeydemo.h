#pragma once

#include "core/result.h"
#include "core/server/mock/mockconfig.h"

#include <QList>
#include <QObject>

class QTimer;

namespace sluice {

class DemoTraffic;
class GatewayCockpit;
class Session;

/// Demo 5, "three programs share one key": the console's gateway in front of the built-in mock
/// with one upstream key, three client tokens at priorities high, normal and low sending
/// through it; at 30 s the mock's capacity halves, at 70 s it recovers. The captions say what
/// to watch (Clients: the high-priority program keeps its p95; the low one queues and gives up
/// its share). Plays until stop(); restores the mock it found.
class SharedKeyDemo final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SharedKeyDemo)

public:
    static constexpr const char* kId = "5-three-programs";

    SharedKeyDemo(Session* session, GatewayCockpit* cockpit, QObject* parent = nullptr);
    ~SharedKeyDemo() override;

    static QString title();
    /// Starts the gateway (port 0 when `listen` is empty) and the traffic. Refused when a run
    /// is going or the mock is not running.
    Result<void> play(const QString& listen = {});
    void stop();
    bool playing() const { return m_playing; }
    DemoTraffic* traffic() const { return m_traffic; }

Q_SIGNALS:
    void captionChanged(const QString& title, const QString& caption);
    void finished();

private:
    void step(int at);

    Session* m_session;
    GatewayCockpit* m_cockpit;
    DemoTraffic* m_traffic = nullptr;
    QList<QTimer*> m_timers;
    MockConfig m_mockBefore;
    bool m_playing = false;
    bool m_waitingForGateway = false;
};

} // namespace sluice
