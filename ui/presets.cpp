#include "ui/presets.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSettings>

namespace sluice {

namespace {

const QString kUserKey = QStringLiteral("presets/user");

QJsonArray userPresets() {
    const QByteArray raw = QSettings().value(kUserKey).toByteArray();
    return QJsonDocument::fromJson(raw).array();
}

void storeUserPresets(const QJsonArray& list) {
    QSettings().setValue(kUserKey, QJsonDocument(list).toJson(QJsonDocument::Compact));
}

} // namespace

QJsonObject ProviderPreset::toJson() const {
    QJsonObject o{{QStringLiteral("name"), name},
                  {QStringLiteral("url"), url},
                  {QStringLiteral("format"), format},
                  {QStringLiteral("key_env"), keyEnv},
                  {QStringLiteral("model"), model}};
    if (mock) {
        o.insert(QStringLiteral("mock"), true);
    }
    if (!note.isEmpty()) {
        o.insert(QStringLiteral("note"), note);
    }
    return o;
}

ProviderPreset ProviderPreset::fromJson(const QJsonObject& o) {
    ProviderPreset p;
    p.name = o.value(QStringLiteral("name")).toString();
    p.mock = o.value(QStringLiteral("mock")).toBool();
    p.url = o.value(QStringLiteral("url")).toString();
    p.format = o.value(QStringLiteral("format")).toString(QStringLiteral("openai"));
    p.keyEnv = o.value(QStringLiteral("key_env")).toString();
    p.model = o.value(QStringLiteral("model")).toString();
    p.note = o.value(QStringLiteral("note")).toString();
    return p;
}

QList<ProviderPreset> loadPresets() {
    QList<ProviderPreset> out;
    QFile file(QStringLiteral(":/sluice/presets.json"));
    if (file.open(QIODevice::ReadOnly)) {
        for (const QJsonValue& v : QJsonDocument::fromJson(file.readAll()).array()) {
            out << ProviderPreset::fromJson(v.toObject());
        }
    }
    for (const QJsonValue& v : userPresets()) {
        ProviderPreset p = ProviderPreset::fromJson(v.toObject());
        if (p.name.isEmpty()) {
            continue;
        }
        p.user = true;
        out << p;
    }
    return out;
}

void saveUserPreset(const ProviderPreset& preset) {
    QJsonArray list = userPresets();
    for (qsizetype i = 0; i < list.size(); ++i) {
        if (list.at(i).toObject().value(QStringLiteral("name")).toString() == preset.name) {
            list.removeAt(i);
            break;
        }
    }
    ProviderPreset p = preset;
    p.mock = false;
    list.append(p.toJson());
    storeUserPresets(list);
}

void removeUserPreset(const QString& name) {
    QJsonArray list = userPresets();
    for (qsizetype i = 0; i < list.size(); ++i) {
        if (list.at(i).toObject().value(QStringLiteral("name")).toString() == name) {
            list.removeAt(i);
            break;
        }
    }
    storeUserPresets(list);
}

} // namespace sluice
