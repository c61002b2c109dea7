#pragma once

#include <QStringList>

namespace sluice {

/// `sluice bench`: a headless benchmark run with a live terminal view, a final summary, an
/// optional report directory, and exit codes 0 (passed), 1 (the run failed: nothing succeeded or
/// the report could not be written), 2 (bad arguments or scenario), 3 (an SLO failed).
int runBenchCommand(const QStringList& arguments);

} // namespace sluice
