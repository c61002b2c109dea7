#pragma once

#include "core/net/failurereason.h"

#include <QString>

namespace sluice {

/// A failure reason for people, in the UI's language: the core's English label template
/// translated (context "FailureReason"), the HTTP status filled in, the provider's error type
/// appended as the core's label() does. Empty for FailureKind::None.
QString failureText(const FailureReason& reason);

} // namespace sluice
