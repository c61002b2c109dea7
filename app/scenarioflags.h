#pragma once

#include "app/flagtable.h"
#include "core/bench/scenario.h"

#include <QCommandLineParser>

namespace sluice::cli {

/// The flags of `sluice bench` that describe the scenario, each with the scenario JSON field
/// it sets (--rate is profile.rate): they become a JSON overlay that BenchScenario::apply()
/// validates, as it validates a --scenario file, so both name the same field in an error.
const FlagTable& scenarioFlags();

/// The scenario of a `sluice bench` command line: the --scenario file (if any), then the
/// flags' overlay, then the key from the environment and the cross-field checks. The error's
/// message is ready to print: it names the file or the flag, and the field.
Result<BenchScenario> scenarioFromCommandLine(const QCommandLineParser& parser);

} // namespace sluice::cli
