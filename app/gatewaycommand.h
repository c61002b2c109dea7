#pragma once

#include <QStringList>

namespace sluice {

/// `sluice gateway`: the local rate-limiting gateway in front of a provider. Exit codes: 0 after
/// SIGINT/SIGTERM, 1 cannot listen, 2 bad arguments or config.
int runGatewayCommand(const QStringList& arguments);

} // namespace sluice
