// Fuzzes the server-sent events parser: any byte stream, split across reads in many ways, must
// give the same events as when fed whole, and never overrun the line bound.

#include "core/net/sseparser.h"
#include "tests/fuzz/fuzzinput.h"

#include <cstdlib>

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::FuzzInput in(data, size);
    const std::uint8_t split = in.byte();
    const std::uint8_t bound = in.byte();
    const QByteArrayView stream = in.rest();
    // A small line bound now and then, so the overflow path is reached too.
    const qsizetype maxLine = bound < 32 ? 1 + bound * 8 : 16 * 1024 * 1024;

    SseParser whole;
    whole.setMaxLineBytes(maxLine);
    std::vector<SseEvent> wholeEvents;
    whole.feed(stream, wholeEvents);

    SseParser pieces;
    pieces.setMaxLineBytes(maxLine);
    std::vector<SseEvent> pieceEvents;
    fuzz::feedInPieces(stream, split,
                       [&](QByteArrayView piece) { pieces.feed(piece, pieceEvents); });

    if (whole.overflowed() != pieces.overflowed() || whole.comments() != pieces.comments()) {
        std::abort();
    }
    // After an overflow the two may have dispatched different prefixes; before, never.
    if (!whole.overflowed()) {
        if (wholeEvents.size() != pieceEvents.size() || whole.hasPartial() != pieces.hasPartial()) {
            std::abort();
        }
        for (std::size_t i = 0; i < wholeEvents.size(); ++i) {
            const SseEvent& a = wholeEvents[i];
            const SseEvent& b = pieceEvents[i];
            if (a.event != b.event || a.data != b.data || a.id != b.id) {
                std::abort();
            }
        }
    }
    for (const SseEvent& e : wholeEvents) {
        if (e.data.size() > maxLine || e.event.size() > maxLine) {
            std::abort();
        }
    }
    pieces.reset();
    if (pieces.hasPartial() || pieces.overflowed()) {
        std::abort();
    }
    return 0;
}
