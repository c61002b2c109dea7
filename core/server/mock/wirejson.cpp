#include "core/server/mock/wirejson.h"

#include <QJsonDocument>

namespace sluice::mock {

QByteArray jsonString(QByteArrayView utf8) {
    QByteArray out;
    out.reserve(utf8.size() + 2);
    out += '"';
    for (const char ch : utf8) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                static const char hex[] = "0123456789abcdef";
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xF];
            } else {
                out += ch;
            }
        }
    }
    out += '"';
    return out;
}

QByteArray compact(const QJsonObject& o) {
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray sseData(const QByteArray& json) {
    return "data: " + json + "\n\n";
}

QByteArray sseEvent(QByteArrayView event, const QByteArray& json) {
    return "event: " + event.toByteArray() + "\ndata: " + json + "\n\n";
}

} // namespace sluice::mock
