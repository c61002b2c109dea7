#pragma once

#include <QtGlobal>

namespace sluice {

/// What a server's HTTP/2 connections did, counted by the server itself (so a test or a
/// benchmark can check what really arrived, not what a client believes it sent). Owned by the
/// HttpServer; its connections update it, all in the server's thread.
struct Http2Stats {
    qint64 connections = 0;           ///< HTTP/2 connections accepted since start
    int connectionsOpen = 0;          ///< HTTP/2 connections open now
    qint64 streams = 0;               ///< requests (streams) received since start
    int streamsOpen = 0;              ///< streams open now, over all connections
    int peakStreamsOpen = 0;          ///< the most streams open at once, over all connections
    int peakStreamsPerConnection = 0; ///< the most streams open at once on one connection
    qint64 protocolErrors = 0;        ///< connections ended with GOAWAY for bad input
};

} // namespace sluice
