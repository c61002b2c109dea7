#include "core/net/sseparser.h"

#include <utility>

namespace sluice {

namespace {

constexpr char kBom[] = "\xEF\xBB\xBF";
constexpr int kBomSize = 3;

// A line buffer that grew beyond this is released after use instead of kept for the next line.
constexpr qsizetype kKeepCapacity = 64 * 1024;

// First CR or LF in [from, end), or end.
const char* findLineEnd(const char* from, const char* end) {
    while (from != end && *from != '\n' && *from != '\r') {
        ++from;
    }
    return from;
}

} // namespace

void SseParser::feed(QByteArrayView bytes, std::vector<SseEvent>& out) {
    if (m_overflowed) {
        return;
    }
    const char* p = bytes.data();
    const char* const end = p + bytes.size();

    // The BOM may itself arrive split over feeds; bytes that only looked like its start are
    // content and go to the line buffer (they cannot be CR or LF).
    while (!m_started && p != end) {
        if (*p == kBom[m_bomMatched]) {
            ++p;
            m_started = ++m_bomMatched == kBomSize;
        } else {
            m_line.append(kBom, m_bomMatched);
            m_started = true;
        }
    }

    while (p != end) {
        if (m_skipLf) {
            m_skipLf = false;
            if (*p == '\n') {
                ++p;
                continue;
            }
        }
        const char* const eol = findLineEnd(p, end);
        const qsizetype length = m_line.size() + (eol - p);
        if (length > m_maxLineBytes) {
            overflow();
            return;
        }
        if (eol == end) {
            m_line.append(p, eol - p);
            return;
        }
        if (m_line.isEmpty()) {
            takeLine(QByteArrayView(p, eol), out);
        } else {
            m_line.append(p, eol - p);
            takeLine(m_line, out);
            if (m_line.capacity() > kKeepCapacity) {
                m_line = QByteArray();
            } else {
                m_line.resize(0);
            }
        }
        if (m_overflowed) {
            return;
        }
        m_skipLf = *eol == '\r';
        p = eol + 1;
    }
}

void SseParser::takeLine(QByteArrayView line, std::vector<SseEvent>& out) {
    if (line.isEmpty()) {
        dispatch(out);
        return;
    }
    const qsizetype colon = line.indexOf(':');
    if (colon == 0) {
        ++m_comments;
        return;
    }
    m_hasFields = true;
    QByteArrayView field = line;
    QByteArrayView value;
    if (colon > 0) {
        field = line.first(colon);
        value = line.sliced(colon + 1);
        if (value.startsWith(' ')) {
            value = value.sliced(1);
        }
    }
    if (field == "data") {
        const qsizetype joined = m_data.size() + (m_hasData ? 1 : 0) + value.size();
        if (joined > m_maxLineBytes) {
            overflow();
            return;
        }
        if (m_hasData) {
            m_data.append('\n');
        }
        m_data.append(value);
        m_hasData = true;
    } else if (field == "event") {
        m_eventType = value.toByteArray();
    } else if (field == "id") {
        if (!value.contains('\0')) {
            m_lastId = value.toByteArray();
        }
    }
    // "retry" only matters to a browser's own reconnect logic; unknown fields are ignored by
    // the spec.
}

void SseParser::dispatch(std::vector<SseEvent>& out) {
    m_hasFields = false;
    if (!m_hasData) {
        m_eventType.clear();
        return;
    }
    out.push_back(SseEvent{std::exchange(m_eventType, {}), std::exchange(m_data, {}), m_lastId});
    m_hasData = false;
}

void SseParser::overflow() {
    m_overflowed = true;
    m_line = QByteArray();
    m_data = QByteArray();
    m_eventType = QByteArray();
    m_hasData = false;
}

bool SseParser::hasPartial() const {
    return m_overflowed || !m_line.isEmpty() || m_hasFields || (!m_started && m_bomMatched > 0);
}

void SseParser::reset() {
    const qsizetype max = m_maxLineBytes;
    *this = SseParser();
    m_maxLineBytes = max;
}

} // namespace sluice
