#pragma once

// Helpers shared by the fuzz targets: turn libFuzzer's bytes into the pieces a target feeds.

#include <QByteArray>
#include <QByteArrayView>

#include <cstddef>
#include <cstdint>

namespace sluice::fuzz {

/// Reads a fuzzer input front to back: a few control bytes first, the rest as payload.
class FuzzInput {
public:
    FuzzInput(const std::uint8_t* data, std::size_t size)
        : m_data(reinterpret_cast<const char*>(data))
        , m_size(static_cast<qsizetype>(size)) {}

    /// The next control byte, or 0 once the input is used up.
    std::uint8_t byte() { return m_pos < m_size ? static_cast<std::uint8_t>(m_data[m_pos++]) : 0; }
    /// Everything not yet read.
    QByteArrayView rest() const { return {m_data + m_pos, m_size - m_pos}; }

private:
    const char* m_data;
    qsizetype m_size;
    qsizetype m_pos = 0;
};

/// Cuts `bytes` into pieces whose sizes come from `seed` (1..64 bytes each, cycling), so a
/// parser sees the same stream split across reads in many ways; calls `take` with each piece.
template <typename Take> void feedInPieces(QByteArrayView bytes, std::uint8_t seed, Take take) {
    qsizetype offset = 0;
    std::uint32_t state = seed | 1u;
    while (offset < bytes.size()) {
        state = state * 1103515245u + 12345u;
        const qsizetype n = std::min<qsizetype>(1 + (state >> 16) % 64, bytes.size() - offset);
        take(bytes.sliced(offset, n));
        offset += n;
    }
}

} // namespace sluice::fuzz
