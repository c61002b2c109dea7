#include "core/server/mock/mockconfig.h"

#include <QJsonValue>
#include <QStringList>

#include <array>
#include <cmath>
#include <limits>

namespace sluice {

namespace {

struct FaultField {
    const char* key;
    double MockFaults::*member;
};

constexpr std::array<FaultField, 9> kFaultFields{{
    {"500", &MockFaults::error500},
    {"503", &MockFaults::error503},
    {"529", &MockFaults::overloaded},
    {"reset", &MockFaults::reset},
    {"stall", &MockFaults::stall},
    {"midstream", &MockFaults::midstream},
    {"quota", &MockFaults::quota},
    {"reset_midstream", &MockFaults::resetMidstream},
    {"truncate", &MockFaults::truncate},
}};

Error invalid(const char* field, QString message) {
    return Error::invalid(QLatin1String(field), std::move(message));
}

Result<void> readInteger(const QJsonObject& json, const char* key, std::int64_t min,
                         std::int64_t max, std::int64_t* out) {
    const QJsonValue v = json.value(QLatin1String(key));
    if (v.isUndefined()) {
        return {};
    }
    const double d = v.toDouble(std::numeric_limits<double>::quiet_NaN());
    if (!v.isDouble() || !std::isfinite(d) || d != std::floor(d)) {
        return invalid(key, QStringLiteral("expected an integer"));
    }
    if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
        return invalid(
            key,
            QStringLiteral("%1 is out of range [%2, %3]").arg(d, 0, 'g', 17).arg(min).arg(max));
    }
    *out = static_cast<std::int64_t>(d);
    return {};
}

template <typename T>
Result<void> readInt(const QJsonObject& json, const char* key, std::int64_t min, std::int64_t max,
                     T* out) {
    std::int64_t v = static_cast<std::int64_t>(*out);
    if (auto read = readInteger(json, key, min, max, &v); !read) {
        return read;
    }
    *out = static_cast<T>(v);
    return {};
}

Result<void> readShare(const QJsonValue& v, const QString& name, double* out) {
    if (v.isUndefined()) {
        return {};
    }
    if (!v.isDouble() || !std::isfinite(v.toDouble()) || v.toDouble() < 0 || v.toDouble() > 1) {
        return Error::invalid(name, QStringLiteral("expected a share between 0 and 1"));
    }
    *out = v.toDouble();
    return {};
}

} // namespace

QJsonObject MockConfig::toJson() const {
    QJsonObject faultsJson;
    for (const FaultField& f : kFaultFields) {
        faultsJson.insert(QLatin1String(f.key), faults.*f.member);
    }
    return QJsonObject{
        {QStringLiteral("rpm"), static_cast<double>(rpm)},
        {QStringLiteral("tpm"), static_cast<double>(tpm)},
        {QStringLiteral("capacity"), capacity},
        {QStringLiteral("queue_limit"), queueLimit},
        {QStringLiteral("ttft_ms"), ttftMs},
        {QStringLiteral("tpot_ms"), tpotMs},
        {QStringLiteral("jitter"), jitter},
        {QStringLiteral("tokens_min"), tokensMin},
        {QStringLiteral("tokens_max"), tokensMax},
        {QStringLiteral("seed"), static_cast<double>(seed)},
        {QStringLiteral("stall_ms"), stallMs},
        {QStringLiteral("stamp"), stamp},
        {QStringLiteral("per_key"), perKey},
        {QStringLiteral("faults"), faultsJson},
    };
}

Result<void> MockConfig::apply(const QJsonObject& json) {
    static const QStringList known = {
        QStringLiteral("rpm"),         QStringLiteral("tpm"),        QStringLiteral("capacity"),
        QStringLiteral("queue_limit"), QStringLiteral("ttft_ms"),    QStringLiteral("tpot_ms"),
        QStringLiteral("jitter"),      QStringLiteral("tokens_min"), QStringLiteral("tokens_max"),
        QStringLiteral("seed"),        QStringLiteral("stall_ms"),   QStringLiteral("faults"),
        QStringLiteral("stamp"),       QStringLiteral("per_key"),
    };
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (!known.contains(it.key())) {
            return Error::invalid(it.key(), QStringLiteral("unknown setting (known: %1)")
                                                .arg(known.join(QStringLiteral(", "))));
        }
    }
    MockConfig next = *this;
    constexpr std::int64_t kMaxRate = 1'000'000'000'000LL;
    constexpr std::int64_t kMaxMs = 3'600'000;
    if (auto read = readInt(json, "rpm", 0, kMaxRate, &next.rpm); !read) {
        return read;
    }
    if (auto read = readInt(json, "tpm", 0, kMaxRate, &next.tpm); !read) {
        return read;
    }
    if (auto read = readInt(json, "capacity", 1, 1'000'000, &next.capacity); !read) {
        return read;
    }
    if (auto read = readInt(json, "queue_limit", 0, 10'000'000, &next.queueLimit); !read) {
        return read;
    }
    if (auto read = readInt(json, "ttft_ms", 0, kMaxMs, &next.ttftMs); !read) {
        return read;
    }
    if (auto read = readInt(json, "tpot_ms", 0, kMaxMs, &next.tpotMs); !read) {
        return read;
    }
    if (auto read = readInt(json, "tokens_min", 1, 1'000'000, &next.tokensMin); !read) {
        return read;
    }
    if (auto read = readInt(json, "tokens_max", 1, 1'000'000, &next.tokensMax); !read) {
        return read;
    }
    if (auto read = readInt(json, "stall_ms", 0, kMaxMs, &next.stallMs); !read) {
        return read;
    }
    if (auto read = readInt(json, "seed", 0, std::int64_t{1} << 53, &next.seed); !read) {
        return read;
    }
    if (json.contains(QStringLiteral("stamp"))) {
        if (!json.value(QStringLiteral("stamp")).isBool()) {
            return invalid("stamp", QStringLiteral("expected true or false"));
        }
        next.stamp = json.value(QStringLiteral("stamp")).toBool();
    }
    if (json.contains(QStringLiteral("per_key"))) {
        if (!json.value(QStringLiteral("per_key")).isBool()) {
            return invalid("per_key", QStringLiteral("expected true or false"));
        }
        next.perKey = json.value(QStringLiteral("per_key")).toBool();
    }
    if (json.contains(QStringLiteral("jitter"))) {
        const QJsonValue v = json.value(QStringLiteral("jitter"));
        if (!v.isDouble() || v.toDouble() < 0 || v.toDouble() > 1) {
            return invalid("jitter", QStringLiteral("expected a fraction between 0 and 1"));
        }
        next.jitter = v.toDouble();
    }
    if (json.contains(QStringLiteral("faults"))) {
        const QJsonValue v = json.value(QStringLiteral("faults"));
        if (!v.isObject()) {
            return invalid("faults", QStringLiteral("expected an object such as {\"500\": 0.05}"));
        }
        const QJsonObject f = v.toObject();
        for (auto it = f.begin(); it != f.end(); ++it) {
            bool found = false;
            for (const FaultField& field : kFaultFields) {
                if (it.key() == QLatin1String(field.key)) {
                    found = true;
                    if (auto read = readShare(it.value(), QStringLiteral("faults.") + it.key(),
                                              &(next.faults.*field.member));
                        !read) {
                        return read;
                    }
                }
            }
            if (!found) {
                QStringList names;
                for (const FaultField& field : kFaultFields) {
                    names << QLatin1String(field.key);
                }
                return Error::invalid(QStringLiteral("faults.") + it.key(),
                                      QStringLiteral("unknown fault (known: %1)")
                                          .arg(names.join(QStringLiteral(", "))));
            }
        }
    }
    if (auto valid = next.validate(); !valid) {
        return valid;
    }
    *this = next;
    return {};
}

Result<void> MockConfig::validate() const {
    if (rpm < 0) {
        return invalid("rpm", QStringLiteral("must not be negative"));
    }
    if (tpm < 0) {
        return invalid("tpm", QStringLiteral("must not be negative"));
    }
    if (capacity < 1) {
        return invalid("capacity", QStringLiteral("must be at least 1"));
    }
    if (queueLimit < 0) {
        return invalid("queue_limit", QStringLiteral("must not be negative"));
    }
    if (ttftMs < 0) {
        return invalid("ttft_ms", QStringLiteral("must not be negative"));
    }
    if (tpotMs < 0) {
        return invalid("tpot_ms", QStringLiteral("must not be negative"));
    }
    if (jitter < 0 || jitter > 1) {
        return invalid("jitter", QStringLiteral("must be between 0 and 1"));
    }
    if (tokensMin < 1) {
        return invalid("tokens_min", QStringLiteral("must be at least 1"));
    }
    if (tokensMax < tokensMin) {
        return invalid("tokens_max",
                       QStringLiteral("%1 is below tokens_min %2").arg(tokensMax).arg(tokensMin));
    }
    if (stallMs < 0) {
        return invalid("stall_ms", QStringLiteral("must not be negative"));
    }
    if (faults.total() > 1.0 + 1e-9) {
        return invalid("faults",
                       QStringLiteral("the shares add up to %1, more than 1").arg(faults.total()));
    }
    return {};
}

} // namespace sluice
