#pragma once

#include <QStringList>

namespace sluice {

/// `sluice mock ...`: runs the mock LLM server alone until interrupted (or --exit-after).
/// `arguments` starts with the program name. Returns the process exit code.
int runMockCommand(const QStringList& arguments);

} // namespace sluice
