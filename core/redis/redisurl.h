#pragma once

#include "core/result.h"

#include <QString>

namespace sluice {

/// Where a Redis server is and how to log in: `redis://[[user]:password@]host[:port][/db]`, or
/// `rediss://` for TLS. The password is kept for AUTH and never shown: display() masks it.
struct RedisUrl {
    bool tls = false;
    QString host;
    quint16 port = 6379;
    QString user;     ///< empty: AUTH with the password alone (the "default" user)
    QString password; ///< empty: no AUTH
    int db = 0;

    /// Parses a URL; the error names the part that is wrong ("redis url: port", ...).
    static Result<RedisUrl> parse(const QString& text);
    /// The URL with the password masked, for logs and stats.
    QString display() const;
};

} // namespace sluice
