#include "core/goduration.h"

#include <cmath>
#include <cstdint>
#include <limits>

namespace sluice {

namespace {

// Writes v / 10^prec with trailing fractional zeros (and a bare '.') removed, like Go's fmtFrac
// followed by fmtInt.
QByteArray fixedPoint(std::uint64_t v, int prec) {
    QByteArray frac;
    bool print = false;
    for (int i = 0; i < prec; ++i) {
        const auto digit = static_cast<char>(v % 10);
        print = print || digit != 0;
        if (print) {
            frac.prepend(static_cast<char>('0' + digit));
        }
        v /= 10;
    }
    QByteArray out = QByteArray::number(static_cast<qulonglong>(v));
    if (!frac.isEmpty()) {
        out += '.';
        out += frac;
    }
    return out;
}

} // namespace

QByteArray formatGoDuration(Nanos d) {
    const std::int64_t ns = d.count();
    if (ns == 0) {
        return QByteArrayLiteral("0s");
    }
    const bool negative = ns < 0;
    std::uint64_t u =
        negative ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
    QByteArray out;
    if (u < 1'000'000'000ULL) {
        if (u < 1'000ULL) {
            out = QByteArray::number(static_cast<qulonglong>(u)) + "ns";
        } else if (u < 1'000'000ULL) {
            out = fixedPoint(u, 3) + "\xC2\xB5s"; // µs, as Go writes it
        } else {
            out = fixedPoint(u, 6) + "ms";
        }
    } else {
        QByteArray seconds = fixedPoint(u % 60'000'000'000ULL, 9);
        std::uint64_t minutes = u / 60'000'000'000ULL;
        out = seconds + 's';
        if (minutes > 0) {
            out.prepend(QByteArray::number(static_cast<qulonglong>(minutes % 60)) + 'm');
            const std::uint64_t hours = minutes / 60;
            if (hours > 0) {
                out.prepend(QByteArray::number(static_cast<qulonglong>(hours)) + 'h');
            }
        }
    }
    if (negative) {
        out.prepend('-');
    }
    return out;
}

std::optional<Nanos> parseGoDuration(QByteArrayView text) {
    QByteArrayView s = text.trimmed();
    if (s.isEmpty()) {
        return std::nullopt;
    }
    bool negative = false;
    if (s.front() == '-' || s.front() == '+') {
        negative = s.front() == '-';
        s = s.sliced(1);
    }
    if (s == "0") {
        return Nanos{0};
    }
    if (s.isEmpty()) {
        return std::nullopt;
    }
    long double total = 0;
    while (!s.isEmpty()) {
        qsizetype i = 0;
        while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) {
            ++i;
        }
        if (i == 0) {
            return std::nullopt;
        }
        bool ok = false;
        const double number = s.first(i).toDouble(&ok);
        if (!ok || s.first(i).count('.') > 1) {
            return std::nullopt;
        }
        s = s.sliced(i);
        qsizetype j = 0;
        while (j < s.size() && !((s[j] >= '0' && s[j] <= '9') || s[j] == '.')) {
            ++j;
        }
        const QByteArrayView unit = s.first(j);
        s = s.sliced(j);
        long double scale = 0;
        if (unit == "ns") {
            scale = 1;
        } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
            scale = 1e3;
        } else if (unit == "ms") {
            scale = 1e6;
        } else if (unit == "s") {
            scale = 1e9;
        } else if (unit == "m") {
            scale = 60e9;
        } else if (unit == "h") {
            scale = 3600e9;
        } else {
            return std::nullopt;
        }
        total += static_cast<long double>(number) * scale;
    }
    if (total > static_cast<long double>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
    }
    const auto ns = static_cast<std::int64_t>(std::llround(static_cast<double>(total)));
    return Nanos{negative ? -ns : ns};
}

} // namespace sluice
