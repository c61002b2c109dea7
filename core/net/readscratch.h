#pragma once

#include <QtGlobal>

#include <memory>

namespace sluice {

/// The buffer a socket reader parses from: one per thread, lent for the length of one read and
/// parse, so a thousand idle connections hold no read buffers of their own. The parser copies
/// what it keeps; nothing may point into the buffer after the loan ends.
///
/// Re-entrant: a loan taken while the thread's buffer is out (a handler that reads another
/// socket from inside a parse) gets a buffer of its own for its length.
class ReadScratch {
public:
    static constexpr qint64 kSize = 64 * 1024;

    ReadScratch() {
        if (!t_lent) {
            t_lent = true;
            m_data = t_buffer;
        } else {
            m_own = std::make_unique<char[]>(kSize);
            m_data = m_own.get();
        }
    }
    ~ReadScratch() {
        if (!m_own) {
            t_lent = false;
        }
    }
    ReadScratch(const ReadScratch&) = delete;
    ReadScratch& operator=(const ReadScratch&) = delete;

    char* data() const { return m_data; }

private:
    static inline thread_local char t_buffer[kSize];
    static inline thread_local bool t_lent = false;
    char* m_data = nullptr;
    std::unique_ptr<char[]> m_own;
};

} // namespace sluice
