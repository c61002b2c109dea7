#include "app/consoleapp.h"

#include "app/commandline.h"
#include "core/host/attachclient.h"
#include "core/redis/benchstream.h"
#include "core/redis/redisurl.h"
#include "core/server/mock/mockconfig.h"
#include "ui/attachfeed.h"
#include "ui/demos.h"
#include "ui/followfeed.h"
#include "ui/gateway/gatewaycockpit.h"
#include "ui/gateway/sharedkeydemo.h"
#include "ui/mainwindow.h"
#include "ui/panels/chartspanel.h"
#include "ui/session.h"

#include <QApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QScreen>
#include <QSettings>
#include <QTabWidget>
#include <QTimer>

namespace sluice {

ConsoleApp::ConsoleApp()
    : m_session(std::make_unique<Session>()) {}

ConsoleApp::~ConsoleApp() {
    m_window.reset();
    m_session.reset();
}

void ConsoleApp::start(quint16 mockPort) {
    setLanguage(QSettings().value(QStringLiteral("language")).toString());
    // The console's mock: a small server with real limits, so the first run shows something.
    MockConfig mock;
    mock.capacity = 16;
    mock.rpm = 600;
    mock.tpm = 0;
    mock.ttftMs = 150;
    mock.tpotMs = 10;
    mock.tokensMin = 20;
    mock.tokensMax = 60;
    mock.jitter = 0.2;
    (void)m_session->startMock(mock, mockPort); // a valid config: only listening can fail
    buildWindow();
}

void ConsoleApp::buildWindow() {
    QByteArray geometry;
    if (m_window) {
        geometry = m_window->saveGeometry();
        m_window->close(); // saves its settings
        m_window.reset();
    }
    m_window = std::make_unique<MainWindow>(m_session.get());
    if (!geometry.isEmpty()) {
        m_window->restoreGeometry(geometry);
    } else if (QSettings().value(QStringLiteral("window/geometry")).isNull()) {
        // Sized to the screen: a fixed 1280 x 800 runs off a 1366 x 768 laptop's.
        const QRect available = QGuiApplication::primaryScreen()->availableGeometry();
        m_window->resize(MainWindow::defaultSize(available));
        m_window->move(available.center() - m_window->rect().center());
    }
    connect(m_window.get(), &MainWindow::languageChangeRequested, this, [this](const QString& l) {
        QSettings().setValue(QStringLiteral("language"), l);
        // Rebuild after the menu's signal returns: the window emitting it goes away.
        QTimer::singleShot(0, this, [this, l] {
            setLanguage(l);
            buildWindow();
        });
    });
    m_window->show();
}

void ConsoleApp::setLanguage(const QString& locale) {
    QCoreApplication::removeTranslator(&m_app);
    QCoreApplication::removeTranslator(&m_qt);
    const QLocale chosen = locale.isEmpty() ? QLocale::system() : QLocale(locale);
    QLocale::setDefault(chosen);
    if (m_app.load(chosen, QStringLiteral("sluice"), QStringLiteral("_"),
                   QStringLiteral(":/i18n"))) {
        QCoreApplication::installTranslator(&m_app);
    }
    if (m_qt.load(chosen, QStringLiteral("qtbase"), QStringLiteral("_"),
                  QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
        QCoreApplication::installTranslator(&m_qt);
    }
}

int runConsole(int argc, char** argv, const QStringList& arguments) {
    quint16 mockPort = 0;
    QString demo;
    QString gateway; // --gateway LISTEN: the in-process gateway in front of the built-in mock
    QString tab;     // --tab NAME: the bottom tab to show (Clients, Keys, …)
    QString screenshot;
    double screenshotAfter = 20;
    double chartWindow = 0; // --window: the charts' history (0: as saved)
    QSize size;
    bool startRun = false;
    QString attachUrl;
    QString redisUrl; // --redis URL --collect ID: follow a distributed benchmark run
    QString collectRun;
    QByteArray adminToken = qgetenv("SLUICE_ADMIN_TOKEN");
    const QString me = QStringLiteral("sluice");
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString& a = arguments[i];
        const bool hasValue = i + 1 < arguments.size();
        QString error;
        if (a == QLatin1String("--mock-port") && hasValue) {
            const auto port = cli::parseInteger(a, arguments[++i], 0, 65535, &error);
            if (!port) {
                cli::printError(me + QStringLiteral(": ") + error);
                return 2;
            }
            mockPort = static_cast<quint16>(*port);
        } else if (a == QLatin1String("--demo") && hasValue) {
            demo = arguments[++i];
        } else if (a == QLatin1String("--gateway") && hasValue) {
            gateway = arguments[++i];
        } else if (a == QLatin1String("--tab") && hasValue) {
            tab = arguments[++i];
        } else if (a == QLatin1String("--geometry") && hasValue) {
            const QStringList wh = arguments[++i].split(QLatin1Char('x'));
            const int w = wh.size() == 2 ? wh[0].toInt() : 0;
            const int h = wh.size() == 2 ? wh[1].toInt() : 0;
            if (w < 320 || h < 240) {
                cli::printError(me + QStringLiteral(": --geometry: want WIDTHxHEIGHT, at least "
                                                    "320x240 (e.g. 1366x768)"));
                return 2;
            }
            size = QSize(w, h);
        } else if (a == QLatin1String("--attach") && hasValue) {
            attachUrl = arguments[++i];
            if (auto url = AttachClient::parseUrl(attachUrl); !url) {
                cli::printError(me + QStringLiteral(": --attach: ") + url.error().message);
                return 2;
            }
        } else if (a == QLatin1String("--redis") && hasValue) {
            redisUrl = arguments[++i];
            if (auto url = RedisUrl::parse(redisUrl); !url) {
                cli::printError(me + QStringLiteral(": --redis: ") + url.error().text());
                return 2;
            }
        } else if (a == QLatin1String("--collect") && hasValue) {
            collectRun = arguments[++i];
            if (auto valid = BenchStream::validateRunId(collectRun, QStringLiteral("--collect"));
                !valid) {
                cli::printError(me + QStringLiteral(": ") + valid.error().text());
                return 2;
            }
        } else if (a == QLatin1String("--admin-token") && hasValue) {
            adminToken = arguments[++i].toUtf8();
        } else if (a == QLatin1String("--start")) {
            startRun = true;
        } else if (a == QLatin1String("--screenshot") && hasValue) {
            screenshot = arguments[++i];
        } else if (a == QLatin1String("--window") && hasValue) {
            const auto d = cli::parseDuration(a, arguments[++i], &error);
            const double seconds = d ? static_cast<double>(d->count()) / 1000 : 0;
            if (seconds != 60 && seconds != 300 && seconds != 900 && seconds != 3600) {
                cli::printError(me + QStringLiteral(": --window: want 1m, 5m, 15m or 1h"));
                return 2;
            }
            chartWindow = seconds;
        } else if (a == QLatin1String("--screenshot-after") && hasValue) {
            const auto d = cli::parseDuration(a, arguments[++i], &error);
            if (!d) {
                cli::printError(me + QStringLiteral(": ") + error);
                return 2;
            }
            screenshotAfter = static_cast<double>(d->count()) / 1000;
        } else {
            cli::printError(
                me + QStringLiteral(": unknown option or missing value: '%1' (see sluice --help)")
                         .arg(a));
            return 2;
        }
    }
    if (!collectRun.isEmpty() && redisUrl.isEmpty()) {
        cli::printError(me +
                        QStringLiteral(": --redis: required with --collect (redis://host:port)"));
        return 2;
    }
    if (!redisUrl.isEmpty() && collectRun.isEmpty()) {
        cli::printError(me + QStringLiteral(": --collect: required with --redis (the run id the "
                                            "agents were given with --run-id)"));
        return 2;
    }
    if (!collectRun.isEmpty() &&
        (startRun || !demo.isEmpty() || !gateway.isEmpty() || !attachUrl.isEmpty())) {
        cli::printError(me + QStringLiteral(": --collect: not with --start, --demo, --gateway or "
                                            "--attach (they would draw on the same charts)"));
        return 2;
    }
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
        qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        cli::printError(me + QStringLiteral(": no display for the console. Headless: 'sluice demo' "
                                            "or 'sluice bench --mock' (or set "
                                            "QT_QPA_PLATFORM=offscreen)."));
        return 1;
    }
    QApplication app(argc, argv);
    ConsoleApp console;
    QObject::connect(console.session(), &Session::mockFailed, &app, [me](const Error& e) {
        cli::printError(me + QStringLiteral(": cannot start the built-in mock server: ") +
                        e.message);
    });
    // --start and --demo run once the mock listens (or could not: then they say so).
    bool mockSettled = false;
    auto afterMock = [&] {
        if (std::exchange(mockSettled, true)) {
            return;
        }
        if (startRun) {
            if (auto started = console.window()->startRun(); !started) {
                cli::printError(me + QStringLiteral(": --start: ") + started.error().text());
                QCoreApplication::exit(2);
                return;
            }
        }
        if (demo == QLatin1String(SharedKeyDemo::kId) || demo == QLatin1String("5")) {
            if (auto played = console.window()->cockpit()->playSharedKeyDemo(gateway); !played) {
                cli::printError(me + QStringLiteral(": --demo: ") + played.error().text());
                QCoreApplication::exit(2);
            }
            return;
        }
        if (!gateway.isEmpty()) {
            GatewayStartOptions options;
            options.listen = gateway;
            if (auto started = console.window()->cockpit()->startGateway(options); !started) {
                cli::printError(me + QStringLiteral(": --gateway: ") + started.error().text());
                QCoreApplication::exit(2);
                return;
            }
        }
        if (demo.isEmpty()) {
            return;
        }
        if (auto played = console.window()->playDemo(demo); !played) {
            QStringList ids;
            for (const Demo& d : loadDemos()) {
                ids << d.id;
            }
            cli::printError(me + QStringLiteral(": --demo: %1 (demos: %2)")
                                     .arg(played.error().text(), ids.join(QStringLiteral(", "))));
            QCoreApplication::exit(2);
        }
    };
    QObject::connect(console.session(), &Session::mockStarted, &app, afterMock);
    QObject::connect(console.session(), &Session::mockFailed, &app, afterMock);
    console.start(mockPort);
    if (!attachUrl.isEmpty()) {
        (void)console.window()->attachFeed()->attach(attachUrl, adminToken); // checked above
    }
    if (!collectRun.isEmpty()) {
        if (auto followed = console.window()->followFeed()->follow(redisUrl, collectRun);
            !followed) {
            cli::printError(me + QStringLiteral(": ") + followed.error().text());
            return 2;
        }
    }
    if (size.isValid()) {
        console.window()->resize(size);
    }
    if (chartWindow > 0) {
        console.window()->charts()->setWindow(chartWindow);
    }
    for (int i = 0; !tab.isEmpty() && i < console.window()->bottomTabs()->count(); ++i) {
        if (console.window()
                ->bottomTabs()
                ->tabText(i)
                .remove(QLatin1Char('&'))
                .startsWith(tab, Qt::CaseInsensitive)) {
            console.window()->bottomTabs()->setCurrentIndex(i);
        }
    }
    if (!screenshot.isEmpty()) {
        QTimer::singleShot(static_cast<int>(screenshotAfter * 1000), &app, [&] {
            console.window()->charts()->refreshAll();
            const bool saved = console.window()->grab().save(screenshot, "PNG");
            if (!saved) {
                cli::printError(me + QStringLiteral(": cannot write %1").arg(screenshot));
            }
            QCoreApplication::exit(saved ? 0 : 1);
        });
    }
    return QApplication::exec();
}

} // namespace sluice
