#pragma once

#include <QStringList>

namespace sluice {

/// `sluice demo [--duration 6s] [--concurrency 12]`: starts the built-in mock in-process with a
/// small capacity and rate limit, drives streaming traffic at it for a few seconds and prints,
/// each second, what the server saw. The headless face of `scripts/run`.
int runDemoCommand(const QStringList& arguments);

} // namespace sluice
