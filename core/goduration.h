#pragma once

#include "core/engine/clock.h"

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

namespace sluice {

/// Formats a duration the way Go's time.Duration.String() does, as OpenAI's
/// x-ratelimit-reset-* headers carry it: "6m0s", "1.5s", "12ms", "350µs", "0s".
QByteArray formatGoDuration(Nanos d);

/// Parses a Go-style duration ("6m0s", "1.5s", "12ms", "20us", "1h2m"). A bare "0" is zero.
/// Returns nothing for anything else (empty text, a number without a unit, unknown units).
std::optional<Nanos> parseGoDuration(QByteArrayView text);

} // namespace sluice
