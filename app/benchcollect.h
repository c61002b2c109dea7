#pragma once

#include <QStringList>

namespace sluice {

/// `sluice bench --collect ID --redis URL [--report DIR] [--collect-timeout D] [--quiet]`:
/// waits for the agents of run ID, merges what they publish and prints (and writes) the run's
/// summary as one `sluice bench` does. Returns the exit code.
int runCollectCommand(const QString& runId, const QString& redisUrl, const QString& reportDir,
                      const QString& timeoutText, bool quiet);

} // namespace sluice
