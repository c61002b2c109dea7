#pragma once

#include "core/result.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <QTranslator>

#include <memory>

namespace sluice {

class MainWindow;
class Session;

/// The GUI: the session (mock and engine threads) outlives the window, so switching the
/// language rebuilds the window while traffic keeps flowing.
class ConsoleApp final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConsoleApp)

public:
    ConsoleApp();
    ~ConsoleApp() override;

    /// Starts the built-in mock (port 0 = any free port) and shows the window at once; the
    /// session's mockStarted() or mockFailed() follows.
    void start(quint16 mockPort);
    MainWindow* window() const { return m_window.get(); }
    Session* session() const { return m_session.get(); }
    /// "" follows the system locale; "en", "zh_CN".
    void setLanguage(const QString& locale);

private:
    void buildWindow();

    std::unique_ptr<Session> m_session;
    std::unique_ptr<MainWindow> m_window;
    QTranslator m_app;
    QTranslator m_qt;
};

/// `sluice [--mock-port N] [--geometry WxH] [--start | --demo ID]
/// [--attach URL [--admin-token T]] [--redis URL --collect RUN_ID]
/// [--screenshot FILE [--screenshot-after S]]`.
int runConsole(int argc, char** argv, const QStringList& arguments);

} // namespace sluice
