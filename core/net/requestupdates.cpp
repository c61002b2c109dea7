#include "core/net/requestupdates.h"

#include <utility>

namespace sluice {

void RequestUpdates::ended(RequestUpdate final) {
    m_dirty.erase(final.id);
    m_final.push_back(std::move(final));
}

} // namespace sluice
