#pragma once

#include "core/result.h"
#include "core/server/gateway/gatewayconfig.h"

#include <QList>
#include <QString>
#include <QUrl>

namespace sluice {

/// What *Gateway → Start here…* asks for (and `--gateway`, and demo 5): where to listen, the
/// provider behind it (the built-in mock or a URL), where its keys come from, and its clients.
struct GatewayStartOptions {
    enum class Keys { PassThrough, Environment, File };

    QString listen = QStringLiteral("127.0.0.1:8080"); ///< HOST:PORT (port 0: any free one)
    bool mock = true;                                  ///< the built-in mock is the upstream
    QString upstream;                                  ///< base URL when not the mock
    QString format = QStringLiteral("openai");
    Keys keys = Keys::PassThrough;
    QString keyEnv;   ///< a variable holding one key, or several separated by commas
    QString keysFile; ///< one key a line (KEY [MODEL,MODEL])
    QString clientsFile;
    QList<GatewayClient> clients; ///< given directly (demos, tests); the file wins when set
    int maxConcurrent = 100;
    int queueSize = 1000;
};

/// The gateway's config from the options; `mockBase` is the built-in mock's base URL (empty
/// when it is not running). Errors name the field the dialog shows ("listen", "upstream",
/// "keys", "clients").
Result<GatewayConfig> makeGatewayConfig(const GatewayStartOptions& options, const QUrl& mockBase);

} // namespace sluice
