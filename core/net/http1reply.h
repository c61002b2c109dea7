#pragma once

#include "core/net/nativereply.h"

namespace sluice {

class Http1Connection;

/// The answer to one request sent by Http1Pool (see NativeReply for the signals and ownership).
/// abort() hands the request back to its connection, which closes the socket if the request was
/// under way (HTTP/1.1 cannot cancel one request and keep the connection).
class Http1Reply final : public NativeReply {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Http1Reply)

public:
    Http1Reply(const QNetworkRequest& request, const QByteArray& method, const QByteArray& body,
               QObject* parent)
        : NativeReply(request, method, body, parent) {}
    ~Http1Reply() override { releaseConnection(true); }

    /// The connection carrying this request, or null while waiting or once finished.
    Http1Connection* connection() const { return m_connection; }
    void setConnection(Http1Connection* connection) { m_connection = connection; }
    /// Set once the request went a second time after a reused connection failed under it.
    bool retried() const { return m_retried; }
    void setRetried() { m_retried = true; }

private:
    void releaseConnection(bool abandon) override;

    Http1Connection* m_connection = nullptr;
    bool m_retried = false;
};

} // namespace sluice
