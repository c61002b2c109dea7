#include "app/commandline.h"

#include <algorithm>

#include "core/goduration.h"

#include <cmath>
#include <cstdio>

namespace sluice::cli {

std::optional<std::int64_t> parseInteger(const QString& flag, const QString& text, std::int64_t min,
                                         std::int64_t max, QString* error) {
    bool ok = false;
    const qlonglong v = text.trimmed().toLongLong(&ok);
    if (!ok) {
        *error = QStringLiteral("%1: '%2' is not a whole number").arg(flag, text);
        return std::nullopt;
    }
    if (v < min || v > max) {
        *error =
            QStringLiteral("%1: %2 is out of range [%3, %4]").arg(flag).arg(v).arg(min).arg(max);
        return std::nullopt;
    }
    return v;
}

std::optional<std::chrono::milliseconds> parseDuration(const QString& flag, const QString& text,
                                                       QString* error) {
    const auto d = parseGoDuration(text.toUtf8());
    if (!d || d->count() < 0) {
        *error = QStringLiteral("%1: '%2' is not a duration (use a unit: 200ms, 1.5s, 2m)")
                     .arg(flag, text);
        return std::nullopt;
    }
    if (*d > std::chrono::hours(1)) {
        *error = QStringLiteral("%1: '%2' is longer than the maximum of 1h").arg(flag, text);
        return std::nullopt;
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

std::optional<double> parseFraction(const QString& flag, const QString& text, QString* error) {
    QString t = text.trimmed();
    double scale = 1;
    if (t.endsWith(QLatin1Char('%'))) {
        t.chop(1);
        scale = 0.01;
    }
    bool ok = false;
    const double v = t.toDouble(&ok) * scale;
    if (!ok || !std::isfinite(v) || v < 0 || v > 1) {
        *error = QStringLiteral("%1: '%2' is not a fraction between 0 and 1 (e.g. 0.1 or 10%)")
                     .arg(flag, text);
        return std::nullopt;
    }
    return v;
}

std::optional<std::pair<int, int>> parseRange(const QString& flag, const QString& text, int min,
                                              int max, QString* error) {
    const QStringList parts = text.split(QStringLiteral(".."));
    if (parts.size() > 2) {
        *error = QStringLiteral("%1: '%2' is not N or MIN..MAX").arg(flag, text);
        return std::nullopt;
    }
    const auto lo = parseInteger(flag, parts.first(), min, max, error);
    if (!lo) {
        return std::nullopt;
    }
    const auto hi = parts.size() == 2 ? parseInteger(flag, parts.last(), min, max, error) : lo;
    if (!hi) {
        return std::nullopt;
    }
    if (*hi < *lo) {
        *error = QStringLiteral("%1: '%2' has MAX below MIN").arg(flag, text);
        return std::nullopt;
    }
    return std::pair<int, int>{static_cast<int>(*lo), static_cast<int>(*hi)};
}

QString lineColumn(const QByteArray& text, qsizetype offset) {
    offset = std::clamp<qsizetype>(offset, 0, text.size());
    const QByteArray head = text.left(offset);
    const qsizetype lastNewline = head.lastIndexOf('\n');
    // Columns count characters, not bytes.
    const qsizetype column = QString::fromUtf8(head.mid(lastNewline + 1)).size() + 1;
    return QStringLiteral("%1:%2").arg(head.count('\n') + 1).arg(column);
}

QString helpFor(const QCommandLineParser& parser, const QString& command) {
    QString help = parser.helpText();
    help.replace(0, help.indexOf(QLatin1Char('\n')),
                 QStringLiteral("Usage: ") + command + QStringLiteral(" [options]"));
    return help;
}

void printError(const QString& text) {
    std::fputs(text.toLocal8Bit().constData(), stderr);
    std::fputc('\n', stderr);
    std::fflush(stderr);
}

void printOut(const QString& text) {
    std::fputs(text.toLocal8Bit().constData(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

} // namespace sluice::cli
