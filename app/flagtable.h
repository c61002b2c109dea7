#pragma once

#include "core/result.h"

#include <QCommandLineParser>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

namespace sluice::cli {

/// Turns one flag's text into the JSON value it stands for. A converter checks only the flag's
/// own syntax ("TO:OVER[:STEPS]", "key=share"); values pass on unchanged where JSON can carry
/// them (a number that does not parse stays text), so the command's JSON validator judges a
/// flag and a file field alike and names the same field.
using FlagConvert = std::function<Result<QJsonValue>(const QString& text)>;

/// One command-line flag and the JSON field it overlays.
struct FlagSpec {
    QString name;        ///< "rate" for --rate
    QString path;        ///< the JSON field it sets, dotted ("profile.rate"); "" = the root
    QString valueName;   ///< "r" in the help; empty for a switch (converted from "")
    QString help;        ///< one line; the JSON field is appended
    FlagConvert convert; ///< the flag's text to the value at `path`
    QJsonObject also{};  ///< set as well when the flag is given ({"profile": {"kind": "poisson"}})
    bool repeatable = false; ///< each value appends to a list at `path`
};

/// A command's flags as a table: they are added to the parser and help from it, and the flags
/// given become one JSON object overlaid on the command's JSON (file or defaults), which its
/// own apply() then validates: one validator for files and flags.
class FlagTable {
public:
    explicit FlagTable(std::vector<FlagSpec> flags)
        : m_flags(std::move(flags)) {}

    const std::vector<FlagSpec>& flags() const { return m_flags; }
    /// Adds every flag to `parser`; each help line ends with the JSON field it sets.
    void addTo(QCommandLineParser& parser) const;
    /// The overlay of the flags given, merged in table order (a later flag wins a field both
    /// set). An error is a flag's own syntax; its field names the flag and its text
    /// ("--ramp '10'"), its message what was expected.
    Result<QJsonObject> overlay(const QCommandLineParser& parser) const;
    /// One flag's overlay for `values` (the last one counts unless repeatable).
    Result<QJsonObject> overlayOf(const FlagSpec& flag, const QStringList& values) const;
    /// "--rate 'fast': profile.rate: must be ..." when a flag given set `error.field` (or the
    /// list or object holding it); an empty string when none did.
    QString blame(const Error& error, const QCommandLineParser& parser) const;
    /// The flag that sets exactly `field`, given or not; nullptr when none.
    const FlagSpec* flagFor(const QString& field) const;

private:
    std::vector<FlagSpec> m_flags;
};

/// Merges `overlay` into `base`: objects field by field, anything else replaced.
QJsonObject deepMerge(QJsonObject base, const QJsonObject& overlay);

// Converters.
/// A number; text that is not one passes as text, for the validator to refuse by name.
FlagConvert number();
/// The text as it is (URLs, names, durations such as "30s": the validator parses them).
FlagConvert text();
/// A switch: always `value`.
FlagConvert constant(QJsonValue value);
/// "0.1" or "10%" as 0.1; other text passes as text.
FlagConvert fraction();
/// "N" or "MIN..MAX" as {minKey: MIN, maxKey: MAX} (numbers where they parse).
FlagConvert range(QString minKey, QString maxKey);
/// A duration ("200ms", "1.5s") as whole milliseconds, for fields in ms.
FlagConvert milliseconds();
/// "A:B[:C]" as {keys[0]: A, keys[1]: B, ...}: numbers where they parse, else text; at least
/// `required` parts. `form` names the syntax in the error.
FlagConvert parts(QStringList keys, int required, QString form);
/// "key=share,key=share" as {key: share}; shares as fraction() reads them.
FlagConvert pairs(QString form);

} // namespace sluice::cli
