#pragma once

#include "core/engine/clock.h"
#include "core/goduration.h"
#include "core/result.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <cmath>
#include <optional>

namespace sluice {

// Reads typed fields of one JSON object, naming "prefix.field" in every error. The first error
// wins; later reads still run but change nothing that is reported. Errors go to an Error: its
// field the JSON path, its message the rest.
class Fields {
public:
    Fields(const QJsonObject& o, QString prefix, Error* error)
        : m_o(o)
        , m_prefix(std::move(prefix))
        , m_result(error) {}

    QString name(const QString& key) const {
        return m_prefix.isEmpty() ? key : m_prefix + QLatin1Char('.') + key;
    }
    bool has(const QString& key) const { return m_o.contains(key); }
    bool fail(const QString& key, const QString& what) {
        if (m_result && m_result->message.isEmpty()) {
            *m_result = Error::invalid(name(key), what);
        }
        return false;
    }
    /// Records `inner`, an error from a nested object's own reader, under `key` ("mock" and
    /// "rpm" give "mock.rpm").
    bool fail(const QString& key, const Error& inner) {
        const QString field = inner.field.isEmpty() ? name(key)
                              : inner.field.startsWith(QLatin1Char('['))
                                  ? name(key) + inner.field
                                  : name(key) + QLatin1Char('.') + inner.field;
        if (m_result && m_result->message.isEmpty()) {
            *m_result = Error{inner.kind, field, inner.message};
        }
        return false;
    }
    bool number(const QString& key, double* out, double min, double max) {
        if (!has(key)) {
            return true;
        }
        const QJsonValue v = m_o.value(key);
        if (!v.isDouble() || !std::isfinite(v.toDouble()) || v.toDouble() < min ||
            v.toDouble() > max) {
            return fail(key, QStringLiteral("must be a number in [%1, %2]").arg(min).arg(max));
        }
        *out = v.toDouble();
        return true;
    }
    template <typename Int> bool integer(const QString& key, Int* out, double min, double max) {
        double d = static_cast<double>(*out);
        if (!number(key, &d, min, max)) {
            return false;
        }
        if (has(key) && d != std::floor(d)) {
            return fail(key, QStringLiteral("must be a whole number"));
        }
        *out = static_cast<Int>(d);
        return true;
    }
    bool boolean(const QString& key, bool* out) {
        if (!has(key)) {
            return true;
        }
        if (!m_o.value(key).isBool()) {
            return fail(key, QStringLiteral("must be true or false"));
        }
        *out = m_o.value(key).toBool();
        return true;
    }
    bool string(const QString& key, QString* out) {
        if (!has(key)) {
            return true;
        }
        if (!m_o.value(key).isString()) {
            return fail(key, QStringLiteral("must be a string"));
        }
        *out = m_o.value(key).toString();
        return true;
    }
    /// "30s", "1.5m", "250ms". A bare number is refused (as on the command line: "5" could be
    /// seconds or milliseconds) unless `bareSeconds`, for JSON that Sluice itself writes as
    /// seconds; 0 is always accepted.
    bool duration(const QString& key, Nanos* out, Nanos max = std::chrono::hours(24),
                  bool bareSeconds = false) {
        if (!has(key)) {
            return true;
        }
        const QJsonValue v = m_o.value(key);
        std::optional<Nanos> d;
        if (v.isDouble() && std::isfinite(v.toDouble()) && v.toDouble() >= 0 &&
            (bareSeconds || v.toDouble() == 0)) {
            d = Nanos{static_cast<Nanos::rep>(v.toDouble() * 1e9)};
        } else if (v.isString()) {
            d = parseGoDuration(v.toString().toUtf8());
        }
        if (!d || d->count() < 0 || *d > max) {
            return fail(key, QStringLiteral("must be a duration with a unit, like \"30s\" or "
                                            "\"250ms\" (at most %1 h)")
                                 .arg(std::chrono::duration_cast<std::chrono::hours>(max).count()));
        }
        *out = *d;
        return true;
    }
    bool object(const QString& key, QJsonObject* out) {
        if (!has(key)) {
            return true;
        }
        if (!m_o.value(key).isObject()) {
            return fail(key, QStringLiteral("must be an object"));
        }
        *out = m_o.value(key).toObject();
        return true;
    }
    /// Refuses fields this object does not know: a typo must not be silently ignored.
    bool only(const QStringList& known) {
        for (auto it = m_o.begin(); it != m_o.end(); ++it) {
            if (!known.contains(it.key())) {
                return fail(it.key(), QStringLiteral("unknown field (known: %1)")
                                          .arg(known.join(QStringLiteral(", "))));
            }
        }
        return true;
    }

private:
    const QJsonObject& m_o;
    QString m_prefix;
    Error* m_result = nullptr;
};

} // namespace sluice
