// Fuzzes how a provider's response is read: streamed chunks (OpenAI and Anthropic SSE), whole
// JSON bodies, usage, and error bodies. Any bytes must give a verdict, never a crash.

#include "core/net/errorbody.h"
#include "core/net/llmformat.h"
#include "tests/fuzz/fuzzinput.h"

#include <cstdlib>

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::FuzzInput in(data, size);
    const std::uint8_t mode = in.byte();
    const std::uint8_t split = in.byte();
    const QByteArrayView body = in.rest();

    const ApiFormat format = (mode & 1) ? ApiFormat::Anthropic : ApiFormat::OpenAi;
    const bool stream = (mode & 2) != 0;
    ResponseReader reader(format, stream);
    if (mode & 4) {
        reader.setContentType(stream ? "text/event-stream" : "application/json");
    }
    int chunks = 0;
    fuzz::feedInPieces(body, split, [&](QByteArrayView piece) {
        const int n = reader.feed(piece);
        if (n < 0) {
            std::abort();
        }
        chunks += n;
    });
    reader.finish();
    if (reader.contentChunks() < chunks || reader.body().size() > 1024 * 1024 + 64 * 1024) {
        std::abort();
    }
    (void)reader.malformed().size();
    (void)reader.streamError().size();
    (void)reader.estimatedCompletionTokens();

    const ProviderError error = parseErrorBody(body);
    (void)isQuotaError(error);
    return 0;
}
