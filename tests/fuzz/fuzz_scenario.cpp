// Fuzzes benchmark scenario files: the JSON `sluice bench --scenario` reads. Bad input must come
// back as an error naming the field, leaving the scenario unchanged.

#include "core/bench/scenario.h"

#include <QJsonDocument>
#include <QTemporaryDir>

#include <cstdlib>

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Relative prompts.file / keys.file paths resolve in an empty directory.
    static QTemporaryDir dir;
    const QByteArray bytes(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    const QJsonObject json = QJsonDocument::fromJson(bytes).object();

    BenchScenario scenario;
    const QJsonObject before = scenario.toJson();
    const auto applied = scenario.apply(json, dir.path());
    if (!applied.ok()) {
        if (scenario.toJson() != before) {
            std::abort();
        }
        return 0;
    }
    if (scenario.validate().ok()) {
        (void)engineConfigFor(scenario);
        (void)scenario.maskedKeys();
    }
    (void)QJsonDocument(scenario.toJson()).toJson();
    return 0;
}
