#pragma once

#include <QByteArray>
#include <QCommandLineParser>
#include <QString>
#include <QStringList>

#include <chrono>
#include <cstdint>
#include <optional>

namespace sluice::cli {

/// Parsing helpers for command-line values; each returns nothing and fills `error` with a
/// message naming the flag and the value when the text is not acceptable.
std::optional<std::int64_t> parseInteger(const QString& flag, const QString& text, std::int64_t min,
                                         std::int64_t max, QString* error);
/// "200ms", "1.5s", "2m", "0". A bare number is refused: units are required.
std::optional<std::chrono::milliseconds> parseDuration(const QString& flag, const QString& text,
                                                       QString* error);
/// "0.1" or "10%".
std::optional<double> parseFraction(const QString& flag, const QString& text, QString* error);
/// "120" or "50..200".
std::optional<std::pair<int, int>> parseRange(const QString& flag, const QString& text, int min,
                                              int max, QString* error);

/// "line:column" (both from 1) of a byte offset in a text, for JSON parse errors.
QString lineColumn(const QByteArray& text, qsizetype offset);

/// The parser's help with its usage line naming the command ("sluice bench [options]"): Qt
/// names the binary as it was typed, often an absolute path.
QString helpFor(const QCommandLineParser& parser, const QString& command);

/// Writes `text` and a newline to stderr / stdout.
void printError(const QString& text);
void printOut(const QString& text);

} // namespace sluice::cli
