#pragma once

#include "core/net/llmformat.h"
#include "core/result.h"

#include <QByteArray>
#include <QString>
#include <QUrl>

namespace sluice {

/// Before a `--http2` run: one request to `base` over HTTP/2 (h2c with prior knowledge for
/// http://, ALPN for https://), bounded to 5 s. An error (field `--http2`) says why HTTP/2
/// cannot be used (a server that only speaks HTTP/1.1 answers h2c with garbage or a closed
/// connection). Any HTTP status proves the protocol; the answer itself is not judged.
Result<void> probeHttp2(const QUrl& base, ApiFormat format, const QByteArray& apiKey);

} // namespace sluice
