#pragma once

#include "core/net/nativereply.h"

namespace sluice {

class Http2Connection;

/// The answer to one request sent by Http2Pool, one HTTP/2 stream (see NativeReply for the
/// signals and ownership). requestSent comes once the HEADERS frame is written. abort() resets the
/// stream (RST_STREAM CANCEL); the connection and its other streams go on.
class Http2Reply final : public NativeReply {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Http2Reply)

public:
    Http2Reply(const QNetworkRequest& request, const QByteArray& method, const QByteArray& body,
               QObject* parent)
        : NativeReply(request, method, body, parent) {}
    ~Http2Reply() override { releaseConnection(true); }

    /// The connection carrying this request, or null while waiting or once finished.
    Http2Connection* connection() const { return m_connection; }
    void setConnection(Http2Connection* connection) { m_connection = connection; }

private:
    void releaseConnection(bool abandon) override;

    Http2Connection* m_connection = nullptr;
};

} // namespace sluice
