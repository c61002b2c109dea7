#pragma once

#include "core/bench/benchrunner.h"

#include <QString>

namespace sluice {

/// The columns of the terminal: $COLUMNS when set, else the terminal's own width (ioctl), else
/// 80. Read at every line, so a resized terminal is followed.
int terminalColumns();

/// One progress line of `sluice bench` that fits `width` columns. Fields are dropped in order
/// of importance when the line would not fit (the percentiles first, then the rates; progress,
/// ok, errors and the leading failure reason stay longest), so an update never wraps into a
/// scrolling log.
QString liveLine(const BenchProgress& progress, int width);

} // namespace sluice
