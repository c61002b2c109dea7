#pragma once

#include <QStringList>

namespace sluice {

/// `sluice stats`, `sluice config get|set|show` and `sluice monitor`: clients of a running
/// gateway's admin API (--gateway URL, else $SLUICE_GATEWAY, else http://127.0.0.1:8080;
/// --admin-token T, else $SLUICE_ADMIN_TOKEN). Exit codes: 0 done, 1 the gateway could not be
/// reached or refused, 2 bad arguments.
int runStatsCommand(const QStringList& arguments);
int runConfigCommand(const QStringList& arguments);
int runMonitorCommand(const QStringList& arguments);

} // namespace sluice
