#include "app/flagtable.h"

#include "core/goduration.h"

#include <QJsonArray>

#include <cmath>

namespace sluice::cli {

namespace {

QJsonValue numberOrText(const QString& text) {
    bool ok = false;
    const double v = text.trimmed().toDouble(&ok);
    return ok && std::isfinite(v) ? QJsonValue(v) : QJsonValue(text);
}

Error syntax(QString message) {
    return Error::invalid({}, std::move(message));
}

// `value` placed at a dotted path: "profile.rate" and 5 give {"profile": {"rate": 5}}.
QJsonObject nest(const QString& path, const QJsonValue& value) {
    if (path.isEmpty()) {
        return value.toObject();
    }
    const QStringList keys = path.split(QLatin1Char('.'));
    QJsonValue v = value;
    for (qsizetype i = keys.size() - 1; i >= 0; --i) {
        v = QJsonObject{{keys.at(i), v}};
    }
    return v.toObject();
}

// Whether `json` holds a value at `field` ("mock.faults.500", "slo[1]", "changes[0].at"); a
// list on the way holds all of its elements' fields.
bool holds(const QJsonObject& json, const QString& field) {
    if (field.isEmpty()) {
        return false;
    }
    QJsonValue v = json;
    for (QString key : field.split(QLatin1Char('.'))) {
        key = key.section(QLatin1Char('['), 0, 0);
        if (v.isArray()) {
            return true;
        }
        if (!v.isObject() || !v.toObject().contains(key)) {
            return false;
        }
        v = v.toObject().value(key);
    }
    return true;
}

} // namespace

QJsonObject deepMerge(QJsonObject base, const QJsonObject& overlay) {
    for (auto it = overlay.begin(); it != overlay.end(); ++it) {
        const QJsonValue old = base.value(it.key());
        if (old.isObject() && it.value().isObject()) {
            base.insert(it.key(), deepMerge(old.toObject(), it.value().toObject()));
        } else if (old.isArray() && it.value().isArray()) {
            QJsonArray list = old.toArray();
            for (const QJsonValue& item : it.value().toArray()) {
                list.append(item);
            }
            base.insert(it.key(), list);
        } else {
            base.insert(it.key(), it.value());
        }
    }
    return base;
}

void FlagTable::addTo(QCommandLineParser& parser) const {
    for (const FlagSpec& f : m_flags) {
        QString help = f.help;
        if (!f.path.isEmpty()) {
            help += QStringLiteral(" [%1]").arg(f.path);
        }
        QCommandLineOption option(f.name, help);
        if (!f.valueName.isEmpty()) {
            option.setValueName(f.valueName);
        }
        parser.addOption(option);
    }
}

Result<QJsonObject> FlagTable::overlayOf(const FlagSpec& flag, const QStringList& values) const {
    QJsonObject out = flag.also;
    const QStringList used = flag.repeatable ? values : values.mid(values.size() - 1);
    QJsonArray list;
    for (const QString& text : used) {
        auto value = flag.convert(text);
        if (!value) {
            return value.error();
        }
        if (flag.repeatable) {
            list.append(*value);
        } else {
            out = deepMerge(out, nest(flag.path, *value));
        }
    }
    if (flag.repeatable) {
        out = deepMerge(out, nest(flag.path, list));
    }
    return out;
}

Result<QJsonObject> FlagTable::overlay(const QCommandLineParser& parser) const {
    QJsonObject out;
    for (const FlagSpec& f : m_flags) {
        if (!parser.isSet(f.name)) {
            continue;
        }
        const QStringList values =
            f.valueName.isEmpty() ? QStringList{QString()} : parser.values(f.name);
        auto one = overlayOf(f, values);
        if (!one) {
            const QString value = f.valueName.isEmpty() ? QString() : values.last();
            return Error::invalid(QStringLiteral("--%1 '%2'").arg(f.name, value),
                                  one.error().message);
        }
        out = deepMerge(out, *one);
    }
    return out;
}

QString FlagTable::blame(const Error& error, const QCommandLineParser& parser) const {
    // The last flag given that set the field: it is the one that won the merge.
    for (auto it = m_flags.rbegin(); it != m_flags.rend(); ++it) {
        if (!parser.isSet(it->name)) {
            continue;
        }
        const QStringList values =
            it->valueName.isEmpty() ? QStringList{QString()} : parser.values(it->name);
        const auto one = overlayOf(*it, values);
        if (one && holds(*one, error.field)) {
            const QString flag = QStringLiteral("--") + it->name;
            return it->valueName.isEmpty() || it->repeatable
                       ? flag + QStringLiteral(": ") + error.text()
                       : QStringLiteral("%1 '%2': %3").arg(flag, values.last(), error.text());
        }
    }
    return {};
}

const FlagSpec* FlagTable::flagFor(const QString& field) const {
    if (field.isEmpty()) {
        return nullptr;
    }
    for (const FlagSpec& f : m_flags) {
        if (f.path == field) {
            return &f;
        }
    }
    return nullptr;
}

FlagConvert number() {
    return [](const QString& text) -> Result<QJsonValue> { return numberOrText(text); };
}

FlagConvert text() {
    return [](const QString& text) -> Result<QJsonValue> { return QJsonValue(text); };
}

FlagConvert constant(QJsonValue value) {
    return [value](const QString&) -> Result<QJsonValue> { return value; };
}

FlagConvert fraction() {
    return [](const QString& text) -> Result<QJsonValue> {
        QString t = text.trimmed();
        if (t.endsWith(QLatin1Char('%'))) {
            bool ok = false;
            const double v = t.chopped(1).toDouble(&ok);
            if (ok && std::isfinite(v)) {
                return QJsonValue(v / 100);
            }
        }
        return numberOrText(text);
    };
}

FlagConvert range(QString minKey, QString maxKey) {
    return [minKey, maxKey](const QString& text) -> Result<QJsonValue> {
        const QStringList p = text.split(QStringLiteral(".."));
        if (p.size() > 2) {
            return syntax(QStringLiteral("expected N or MIN..MAX"));
        }
        return QJsonValue(
            QJsonObject{{minKey, numberOrText(p.first())}, {maxKey, numberOrText(p.last())}});
    };
}

FlagConvert milliseconds() {
    return [](const QString& text) -> Result<QJsonValue> {
        const auto d = parseGoDuration(text.trimmed().toUtf8());
        if (!d || d->count() < 0) {
            return syntax(
                QStringLiteral("expected a duration with a unit, like 200ms, 1.5s or 2m"));
        }
        return QJsonValue(
            static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(*d).count()));
    };
}

FlagConvert parts(QStringList keys, int required, QString form) {
    return [keys, required, form](const QString& text) -> Result<QJsonValue> {
        const QStringList p = text.split(QLatin1Char(':'));
        if (p.size() < required || p.size() > keys.size()) {
            return syntax(QStringLiteral("expected %1").arg(form));
        }
        QJsonObject o;
        for (qsizetype i = 0; i < p.size(); ++i) {
            o.insert(keys.at(i), numberOrText(p.at(i)));
        }
        return QJsonValue(o);
    };
}

FlagConvert pairs(QString form) {
    const FlagConvert share = fraction();
    return [share, form](const QString& text) -> Result<QJsonValue> {
        QJsonObject o;
        const QStringList items = text.split(QLatin1Char(','), Qt::SkipEmptyParts);
        for (const QString& item : items) {
            const qsizetype eq = item.indexOf(QLatin1Char('='));
            if (eq <= 0) {
                return syntax(QStringLiteral("expected %1").arg(form));
            }
            o.insert(item.left(eq).trimmed(), *share(item.mid(eq + 1)));
        }
        if (o.isEmpty()) {
            return syntax(QStringLiteral("expected %1").arg(form));
        }
        return QJsonValue(o);
    };
}

} // namespace sluice::cli
