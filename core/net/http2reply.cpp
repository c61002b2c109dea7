#include "core/net/http2reply.h"

#include "core/net/http2connection.h"

#include <utility>

namespace sluice {

void Http2Reply::releaseConnection(bool abandon) {
    Http2Connection* connection = std::exchange(m_connection, nullptr);
    if (connection && abandon) {
        connection->abandon(this);
    }
}

} // namespace sluice
