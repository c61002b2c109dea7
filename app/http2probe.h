#pragma once

#include "core/net/llmformat.h"

#include <QByteArray>
#include <QString>
#include <QUrl>

#include <optional>

namespace sluice {

/// Before a `--http2` run: one request to `base` over HTTP/2 (h2c with prior knowledge for
/// http://, ALPN for https://), bounded to 5 s. Returns why HTTP/2 cannot be used (a server
/// that only speaks HTTP/1.1 answers h2c with garbage or a closed connection), or nothing when
/// it works. Any HTTP status proves the protocol; the answer itself is not judged.
std::optional<QString> probeHttp2(const QUrl& base, ApiFormat format, const QByteArray& apiKey);

} // namespace sluice
