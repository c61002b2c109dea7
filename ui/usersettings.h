#pragma once

#include "core/bench/trafficlimits.h"
#include "core/server/mock/mockconfig.h"

#include <QJsonObject>
#include <QObject>

class QTimer;

namespace sluice {

class BenchPanel;
class LimitsPanel;
class MockPanel;
class Session;

/// The user's own settings — limits, the mock's settings and the benchmark scenario — kept in
/// QSettings: restored at start, written half a second after each change the user makes (so a
/// crash loses nothing), and never overwritten by a demo. A demo calls beginDemo() before it
/// shows its own values, which writes the user's first; endDemo() puts the user's back.
/// GUI thread only; the panels and the session must outlive it.
class UserSettings final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UserSettings)

public:
    UserSettings(Session* session, BenchPanel* bench, LimitsPanel* limits, MockPanel* mock,
                 QObject* parent = nullptr);

    /// Applies the saved settings to the panels and (when no run is going) to the session.
    void restore();
    /// From now on, every change the user makes in the panels is written shortly after.
    void watchPanels();
    /// Writes the user's settings now, unless a demo's are shown.
    void save();
    void beginDemo();
    void endDemo();
    bool demoShown() const { return m_demoShown; }

private:
    void scheduleSave();

    Session* m_session;
    BenchPanel* m_bench;
    LimitsPanel* m_limits;
    MockPanel* m_mock;
    QTimer* m_saveTimer = nullptr;
    bool m_demoShown = false;
    // The user's, while a demo shows its own.
    TrafficLimits m_userLimits;
    MockConfig m_userMock;
    QJsonObject m_userScenario;
};

} // namespace sluice
