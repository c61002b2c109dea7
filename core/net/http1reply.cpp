#include "core/net/http1reply.h"

#include "core/net/http1connection.h"

#include <utility>

namespace sluice {

void Http1Reply::releaseConnection(bool abandon) {
    Http1Connection* connection = std::exchange(m_connection, nullptr);
    if (connection && abandon) {
        connection->abandon(this);
    }
}

} // namespace sluice
