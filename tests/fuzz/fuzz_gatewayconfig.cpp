// Fuzzes the gateway's config JSON: a --config file (apply) and POST /admin/config (applyLimits).
// Bad input must come back as an error naming the field; a config that validates must survive
// its own JSON.

#include "core/server/gateway/gatewayconfig.h"

#include <QJsonDocument>

#include <cstdlib>

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const QByteArray bytes(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    const QJsonObject json = QJsonDocument::fromJson(bytes).object();

    GatewayConfig file;
    if (file.apply(json).ok() && file.validate().ok()) {
        (void)QJsonDocument(file.toJson()).toJson();
    }
    GatewayConfig live;
    const GatewayConfig before = live;
    if (!live.applyLimits(json).ok()) {
        // Nothing changes when any field is invalid.
        if (live.maxConcurrent != before.maxConcurrent || live.rpm != before.rpm ||
            live.tpm != before.tpm || live.queueSize != before.queueSize ||
            live.retries != before.retries || live.version != before.version) {
            std::abort();
        }
    }
    (void)live.validate();
    (void)live.upstreamFor(bytes.left(64), bytes.mid(64, 64));
    return 0;
}
