#pragma once

#include "core/result.h"

#include <QString>

#include <optional>

namespace sluice::host {

/// A validator's answer as a Result, whichever shape it comes in: the layers below are moving
/// from "an optional message means failure" to Result<void>. The message text is kept as is.
inline Result<void> validated(Result<void> result) {
    return result;
}

inline Result<void> validated(const std::optional<QString>& failure) {
    if (failure) {
        return Error{Error::Kind::Invalid, {}, *failure};
    }
    return {};
}

} // namespace sluice::host
