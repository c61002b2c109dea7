// Fuzzes the mock's config JSON (--config and POST /mock/config): bad input is an error naming
// the field and changes nothing; a valid config reads back equal from its own JSON.

#include "core/server/mock/mockconfig.h"

#include <QJsonDocument>

#include <cstdlib>

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const QByteArray bytes(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    const QJsonObject json = QJsonDocument::fromJson(bytes).object();

    MockConfig config;
    if (!config.apply(json).ok()) {
        if (!(config == MockConfig{})) {
            std::abort();
        }
        return 0;
    }
    if (!config.validate().ok()) {
        return 0;
    }
    MockConfig again;
    if (!again.apply(config.toJson()).ok() || !(again == config)) {
        std::abort();
    }
    return 0;
}
