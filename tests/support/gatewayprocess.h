#pragma once

// `sluice gateway` as a child process, for tests of whole processes. The including test
// defines SLUICE_BINARY (the sluice executable; see tests/CMakeLists.txt).

#include "tests/support/httptestclient.h"

#include <QHostAddress>
#include <QProcess>
#include <QSignalSpy>
#include <QStringList>
#include <QTcpServer>

namespace sluice::test {

inline quint16 freePort() {
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost);
    return probe.serverPort();
}

/// Starts `sluice gateway` on a free loopback port in front of `upstream` (a base URL with
/// /v1) with `extra` flags; returns its port once its banner is out, 0 when none came in 10 s.
inline quint16 startGateway(QProcess& gateway, const QString& upstream, const QStringList& extra) {
    const quint16 port = freePort();
    gateway.start(QStringLiteral(SLUICE_BINARY),
                  QStringList{QStringLiteral("gateway"), QStringLiteral("--listen"),
                              QStringLiteral("127.0.0.1:%1").arg(port),
                              QStringLiteral("--upstream"), upstream} +
                      extra);
    QString banner;
    const bool up = runUntil(
        [&] {
            banner += QString::fromLocal8Bit(gateway.readAllStandardOutput());
            return banner.contains(QLatin1String("Sluice gateway on"));
        },
        10000);
    return up ? port : 0;
}

/// Asks it to stop (SIGTERM) and waits up to 10 s; true when it ended with exit code 0.
inline bool stopGateway(QProcess& gateway) {
    if (gateway.state() != QProcess::NotRunning) {
        QSignalSpy ended(&gateway, &QProcess::finished);
        gateway.terminate();
        if (!ended.wait(10000)) {
            gateway.kill();
            gateway.waitForFinished(5000);
            return false;
        }
    }
    return gateway.exitStatus() == QProcess::NormalExit && gateway.exitCode() == 0;
}

} // namespace sluice::test
