#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

namespace sluice {

/// A target people point Sluice at: base URL, API format and the environment variable that
/// holds its key. The built-in list ships in resources/presets.json; users add their own
/// (kept in the settings, never with a key).
struct ProviderPreset {
    QString name;
    bool mock = false; ///< the built-in mock server
    QString url;
    QString format = QStringLiteral("openai");
    QString keyEnv;
    QString model;
    QString note;
    bool user = false;

    QJsonObject toJson() const;
    static ProviderPreset fromJson(const QJsonObject& json);
};

/// The built-in presets followed by the user's.
QList<ProviderPreset> loadPresets();
/// Adds or replaces (by name) a user preset in the settings.
void saveUserPreset(const ProviderPreset& preset);
void removeUserPreset(const QString& name);

} // namespace sluice
