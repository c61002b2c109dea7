#include "core/net/chunkscan.h"

namespace sluice {

namespace {

constexpr int kMaxDepth = 32;

/// A cursor over the event's bytes. Every step either moves past well-formed JSON or fails;
/// a failure means "not sure", never "invalid": the caller then parses the event in full.
class Scanner {
public:
    explicit Scanner(QByteArrayView json)
        : m_p(json.data())
        , m_end(json.data() + json.size()) {}

    bool atEnd() {
        skipSpace();
        return m_p == m_end;
    }

    bool take(char c) {
        skipSpace();
        if (m_p != m_end && *m_p == c) {
            ++m_p;
            return true;
        }
        return false;
    }

    char peek() {
        skipSpace();
        return m_p == m_end ? '\0' : *m_p;
    }

    /// A string without escapes, control or non-ASCII bytes; its bytes without the quotes.
    bool string(QByteArrayView* out) {
        if (!take('"')) {
            return false;
        }
        const char* const from = m_p;
        while (m_p != m_end) {
            const auto c = static_cast<unsigned char>(*m_p);
            if (c == '"') {
                *out = QByteArrayView(from, m_p);
                ++m_p;
                return true;
            }
            if (c == '\\' || c < 0x20 || c >= 0x80) {
                return false;
            }
            ++m_p;
        }
        return false;
    }

    /// A JSON integer of at most 15 digits (exact as the double a JSON document keeps).
    bool integer(std::int64_t* out) {
        skipSpace();
        const bool negative = m_p != m_end && *m_p == '-';
        const char* digits = m_p + (negative ? 1 : 0);
        const char* q = digits;
        std::int64_t value = 0;
        while (q != m_end && *q >= '0' && *q <= '9') {
            value = value * 10 + (*q - '0');
            ++q;
        }
        const auto count = q - digits;
        if (count == 0 || count > 15 || (count > 1 && *digits == '0')) {
            return false;
        }
        if (q != m_end && (*q == '.' || *q == 'e' || *q == 'E')) {
            return false;
        }
        m_p = q;
        *out = negative ? -value : value;
        return true;
    }

    /// Moves past any value, checking its grammar.
    bool skipValue(int depth = 0) {
        if (depth > kMaxDepth) {
            return false;
        }
        switch (peek()) {
        case '"': {
            QByteArrayView s;
            return string(&s);
        }
        case '{':
            ++m_p;
            if (take('}')) {
                return true;
            }
            do {
                QByteArrayView key;
                if (!string(&key) || !take(':') || !skipValue(depth + 1)) {
                    return false;
                }
            } while (take(','));
            return take('}');
        case '[':
            ++m_p;
            if (take(']')) {
                return true;
            }
            do {
                if (!skipValue(depth + 1)) {
                    return false;
                }
            } while (take(','));
            return take(']');
        case 't':
            return literal("true");
        case 'f':
            return literal("false");
        case 'n':
            return literal("null");
        default:
            return number();
        }
    }

    bool literal(QByteArrayView word) {
        skipSpace();
        if (QByteArrayView(m_p, m_end).startsWith(word)) {
            m_p += word.size();
            return true;
        }
        return false;
    }

private:
    void skipSpace() {
        while (m_p != m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t')) {
            ++m_p;
        }
    }

    static bool digit(const char* p, const char* end) { return p != end && *p >= '0' && *p <= '9'; }

    // -?(0|[1-9][0-9]*)(\.[0-9]+)? (exponents are left to the full parser)
    bool number() {
        const char* q = m_p;
        if (q != m_end && *q == '-') {
            ++q;
        }
        if (!digit(q, m_end)) {
            return false;
        }
        if (*q == '0') {
            ++q;
        } else {
            while (digit(q, m_end)) {
                ++q;
            }
        }
        if (q != m_end && *q == '.') {
            ++q;
            if (!digit(q, m_end)) {
                return false;
            }
            while (digit(q, m_end)) {
                ++q;
            }
        }
        if (q != m_end && (*q == 'e' || *q == 'E')) {
            return false; // a range the full parser may judge otherwise
        }
        m_p = q;
        return true;
    }

    const char* m_p;
    const char* const m_end;
};

/// estimateTokens() (core/net/tokenestimate) over ASCII text given in parts, as if joined.
class AsciiTokens {
public:
    void add(QByteArrayView text) {
        for (const char ch : text) {
            const auto c = static_cast<unsigned char>(ch);
            const bool alnum =
                (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (alnum) {
                if (m_run == 0) {
                    ++m_tokens;
                }
                m_run = (m_run + 1) % 4;
            } else {
                m_run = 0;
                if (c != ' ' && (c < 0x09 || c > 0x0d)) {
                    ++m_tokens;
                }
            }
        }
    }
    int tokens() const { return m_tokens; }

private:
    int m_tokens = 0;
    int m_run = 0;
};

/// A text field's value: a string (its bytes) or null (empty).
bool textValue(Scanner& s, QByteArrayView* out) {
    if (s.peek() == 'n') {
        *out = {};
        return s.literal("null");
    }
    return s.string(out);
}

/// choices[0].delta: the three text fields, each at most once.
bool scanDelta(Scanner& s, QByteArrayView text[3]) {
    if (!s.take('{')) {
        return false;
    }
    if (s.take('}')) {
        return true;
    }
    bool seen[3] = {false, false, false};
    do {
        QByteArrayView key;
        if (!s.string(&key) || !s.take(':')) {
            return false;
        }
        const int field = key == "content"             ? 0
                          : key == "reasoning_content" ? 1
                          : key == "reasoning"         ? 2
                                                       : -1;
        if (field < 0) {
            if (!s.skipValue(2)) {
                return false;
            }
            continue;
        }
        if (seen[field] || !textValue(s, &text[field])) {
            return false;
        }
        seen[field] = true;
    } while (s.take(','));
    return s.take('}');
}

/// The "choices" array: its first element must be an object with an object "delta" (or none).
bool scanChoices(Scanner& s, QByteArrayView text[3]) {
    if (!s.take('[')) {
        return false;
    }
    if (s.take(']')) {
        return true;
    }
    if (!s.take('{')) {
        return false;
    }
    if (!s.take('}')) {
        bool sawDelta = false;
        do {
            QByteArrayView key;
            if (!s.string(&key) || !s.take(':')) {
                return false;
            }
            if (key == "delta") {
                if (sawDelta || !scanDelta(s, text)) {
                    return false;
                }
                sawDelta = true;
            } else if (!s.skipValue(2)) {
                return false;
            }
        } while (s.take(','));
        if (!s.take('}')) {
            return false;
        }
    }
    while (s.take(',')) {
        if (!s.skipValue(1)) {
            return false;
        }
    }
    return s.take(']');
}

} // namespace

std::optional<OpenAiChunkFacts> scanOpenAiChunk(QByteArrayView json) {
    Scanner s(json);
    if (!s.take('{')) {
        return std::nullopt;
    }
    OpenAiChunkFacts facts;
    QByteArrayView text[3];
    bool sawUsage = false, sawSent = false, sawArrived = false;
    if (!s.take('}')) {
        do {
            QByteArrayView key;
            if (!s.string(&key) || !s.take(':')) {
                return std::nullopt;
            }
            bool ok = true;
            if (key == "choices") {
                ok = !facts.hasChoices && scanChoices(s, text);
                facts.hasChoices = true;
            } else if (key == "usage") {
                ok = !sawUsage && s.literal("null"); // usage counts are read by the full parse
                sawUsage = true;
            } else if (key == "error") {
                ok = false;
            } else if (key == "x_sent_ns" || key == "x_arrived_ns") {
                const bool sent = key == "x_sent_ns";
                bool& seen = sent ? sawSent : sawArrived;
                const char c = s.peek();
                std::int64_t value = -1;
                if (seen) {
                    ok = false;
                } else if (c == '-' || (c >= '0' && c <= '9')) {
                    ok = s.integer(&value);
                    if (sent) {
                        facts.sentNs = value;
                    } else {
                        facts.arrivedNs = value;
                    }
                } else {
                    ok = s.skipValue(1); // not a number: as if absent
                }
                seen = true;
            } else {
                ok = s.skipValue(1);
            }
            if (!ok) {
                return std::nullopt;
            }
        } while (s.take(','));
        if (!s.take('}')) {
            return std::nullopt;
        }
    }
    if (!s.atEnd() || (!facts.hasChoices && !sawUsage)) {
        return std::nullopt;
    }
    AsciiTokens tokens;
    for (const QByteArrayView part : text) {
        tokens.add(part);
        facts.hasText = facts.hasText || !part.isEmpty();
    }
    facts.textTokens = tokens.tokens();
    return facts;
}

} // namespace sluice
