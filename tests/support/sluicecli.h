#pragma once

// Runs the built `sluice` binary from a test: its exit code and output. The test target defines
// SLUICE_BINARY (tests/CMakeLists.txt) and depends on the sluice target.

#ifndef SLUICE_BINARY
#error "tests/support/sluicecli.h needs SLUICE_BINARY defined by the test target"
#endif

#include <QProcess>
#include <QSignalSpy>
#include <QString>
#include <QStringList>

namespace sluice::test {

/// One finished run. code is -1 when it crashed or was killed at the time-out.
struct CliRun {
    int code = -1;
    QString out;
    QString err;
};

enum class CliWait {
    Blocking, ///< for commands that need nothing served by this thread
    Serving,  ///< waits in this thread's event loop, so servers here keep answering
};

inline CliRun runCli(const QStringList& args, int timeoutMs = 60000,
                     CliWait wait = CliWait::Blocking,
                     const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(SLUICE_BINARY), args);
    bool finished = false;
    if (wait == CliWait::Serving) {
        QSignalSpy done(&p, &QProcess::finished);
        finished = done.wait(timeoutMs);
    } else {
        finished = p.waitForFinished(timeoutMs);
    }
    if (!finished) {
        p.kill();
        p.waitForFinished();
        return {};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromLocal8Bit(p.readAllStandardOutput()),
            QString::fromLocal8Bit(p.readAllStandardError())};
}

} // namespace sluice::test
