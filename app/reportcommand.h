#pragma once

#include <QStringList>

namespace sluice {

/// `sluice report A B`: compares two report directories in one HTML file. Exit codes: 0 written,
/// 1 the file could not be written, 2 bad arguments or an unreadable report.
int runReportCommand(const QStringList& arguments);

} // namespace sluice
