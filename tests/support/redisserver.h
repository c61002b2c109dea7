#pragma once

#include "core/redis/redisclient.h"

#include <QEventLoop>
#include <QProcess>
#include <QStandardPaths>
#include <QStringList>
#include <QTcpServer>
#include <QTimer>

#include <functional>

/// A real redis-server for a test, on a free loopback port, with no persistence. Tests QSKIP
/// when redis-server is not installed (scripts/test installs it).
class RedisServer {
public:
    static QString binary() {
        return QStandardPaths::findExecutable(QStringLiteral("redis-server"));
    }

    /// Arguments that rename EVAL and EVALSHA away, as servers that refuse scripts do.
    static QStringList withoutScripts() {
        return {QStringLiteral("--rename-command"), QStringLiteral("EVAL"),    QString(),
                QStringLiteral("--rename-command"), QStringLiteral("EVALSHA"), QString()};
    }

    explicit RedisServer(QStringList extraArgs = {})
        : m_extra(std::move(extraArgs)) {
        QTcpServer probe;
        if (probe.listen(QHostAddress::LocalHost, 0)) {
            m_port = probe.serverPort();
        }
    }
    ~RedisServer() { stop(); }

    /// Starts (or restarts, on the same port) and waits until it accepts connections.
    bool start() {
        m_process.setProgram(binary());
        QStringList args{QStringLiteral("--port"),       QString::number(m_port),
                         QStringLiteral("--bind"),       QStringLiteral("127.0.0.1"),
                         QStringLiteral("--save"),       QString(),
                         QStringLiteral("--appendonly"), QStringLiteral("no"),
                         QStringLiteral("--daemonize"),  QStringLiteral("no")};
        m_process.setArguments(args + m_extra);
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.start();
        if (!m_process.waitForStarted(5000)) {
            return false;
        }
        QByteArray out;
        for (int i = 0; i < 100 && !out.contains("Ready to accept connections"); ++i) {
            if (!m_process.waitForReadyRead(100) && m_process.state() != QProcess::Running) {
                return false;
            }
            out += m_process.readAll();
        }
        return out.contains("Ready to accept connections");
    }
    /// Kills it at once (SIGKILL): connections drop, nothing answers.
    void kill() {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    void stop() { kill(); }
    quint16 port() const { return m_port; }
    QString url() const { return QStringLiteral("redis://127.0.0.1:%1").arg(m_port); }
    /// A client of this server with short timeouts and quick reconnection, as tests want.
    sluice::RedisClientConfig clientConfig(int timeoutMs = 500) const {
        sluice::RedisClientConfig c;
        c.url = sluice::RedisUrl::parse(url()).value();
        c.connectTimeout = std::chrono::milliseconds(timeoutMs);
        c.commandTimeout = std::chrono::milliseconds(timeoutMs);
        c.reconnectMin = std::chrono::milliseconds(20);
        c.reconnectMax = std::chrono::milliseconds(100);
        return c;
    }

private:
    QStringList m_extra;
    quint16 m_port = 0;
    QProcess m_process;
};

/// Runs a real event loop until `done()` holds or `timeoutMs` passes; true when it held.
/// For busy socket traffic: QTRY_* waits through QTest::qWait, which sleeps 10 ms between
/// event passes and so caps a client at ~100 round trips a second.
inline bool waitUntil(const std::function<bool()>& done, int timeoutMs) {
    QEventLoop loop;
    QTimer poll;
    QTimer limit;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done()) {
            loop.quit();
        }
    });
    QObject::connect(&limit, &QTimer::timeout, &loop, [&] { loop.quit(); });
    limit.setSingleShot(true);
    poll.start(2);
    limit.start(timeoutMs);
    if (!done()) {
        loop.exec();
    }
    return done();
}

#define SKIP_WITHOUT_REDIS()                                                                       \
    do {                                                                                           \
        if (RedisServer::binary().isEmpty())                                                       \
            QSKIP("redis-server is not installed (apt-get install redis-server)");                 \
    } while (false)
