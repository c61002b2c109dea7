#include "core/redis/redisreply.h"

namespace sluice {

std::int64_t RedisReply::toInt(bool* ok) const {
    if (type == Type::Integer) {
        if (ok) {
            *ok = true;
        }
        return integer;
    }
    bool parsed = false;
    const std::int64_t v =
        (type == Type::String || type == Type::Status) ? text.toLongLong(&parsed) : 0;
    if (ok) {
        *ok = parsed;
    }
    return parsed ? v : 0;
}

} // namespace sluice
