// Fuzzes the Redis reply path the client reads with (RedisReplyReader: hiredis's redisReader
// building RedisReply values): any byte stream, split across reads in many ways, must give the
// same replies and the same verdict as when fed whole, allocate nothing ahead of the bytes, and
// every reply must come back unchanged after being written out again as RESP.

#include "core/redis/redisreply.h"
#include "tests/fuzz/fuzzinput.h"

#include <cstdlib>
#include <vector>

using namespace sluice;

namespace {

struct Outcome {
    std::vector<RedisReply> replies;
    bool failed = false;
};

// Takes every reply the reader has; false once it reported a protocol error.
bool drain(RedisReplyReader& reader, Outcome& out) {
    for (int i = 0; i < 1 << 20; ++i) {
        Result<std::optional<RedisReply>> next = reader.next();
        if (!next) {
            out.failed = true;
            return false;
        }
        if (!next.value()) {
            return true;
        }
        out.replies.push_back(std::move(*next.value()));
    }
    std::abort(); // more replies than bytes: the reader is looping
}

Outcome readWhole(QByteArrayView bytes) {
    RedisReplyReader reader;
    Outcome out;
    if (!reader.feed(bytes)) {
        out.failed = true;
        return out;
    }
    drain(reader, out);
    return out;
}

Outcome readInPieces(QByteArrayView bytes, std::uint8_t split) {
    RedisReplyReader reader;
    Outcome out;
    fuzz::feedInPieces(bytes, split, [&](QByteArrayView piece) {
        if (out.failed) {
            return;
        }
        if (!reader.feed(piece)) {
            out.failed = true;
            return;
        }
        drain(reader, out);
    });
    return out;
}

bool same(const RedisReply& a, const RedisReply& b) {
    if (a.type != b.type || a.text != b.text || a.integer != b.integer ||
        a.elements.size() != b.elements.size()) {
        return false;
    }
    for (qsizetype i = 0; i < a.elements.size(); ++i) {
        if (!same(a.elements[i], b.elements[i])) {
            return false;
        }
    }
    return true;
}

bool same(const Outcome& a, const Outcome& b) {
    if (a.failed != b.failed || a.replies.size() != b.replies.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.replies.size(); ++i) {
        if (!same(a.replies[i], b.replies[i])) {
            return false;
        }
    }
    return true;
}

void write(const RedisReply& r, QByteArray& out) {
    switch (r.type) {
    case RedisReply::Type::Nil:
        out += "$-1\r\n";
        break;
    case RedisReply::Type::Status:
        out += '+' + r.text + "\r\n";
        break;
    case RedisReply::Type::Error:
        out += '-' + r.text + "\r\n";
        break;
    case RedisReply::Type::Integer:
        out += ':' + QByteArray::number(r.integer) + "\r\n";
        break;
    case RedisReply::Type::String:
        out += '$' + QByteArray::number(r.text.size()) + "\r\n" + r.text + "\r\n";
        break;
    case RedisReply::Type::Array:
        out += '*' + QByteArray::number(r.elements.size()) + "\r\n";
        for (const RedisReply& e : r.elements) {
            write(e, out);
        }
        break;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::FuzzInput in(data, size);
    const std::uint8_t split = in.byte();
    const QByteArrayView stream = in.rest();

    const Outcome whole = readWhole(stream);
    const Outcome pieces = readInPieces(stream, split);
    if (!same(whole, pieces)) {
        std::abort();
    }
    // Written back as RESP, the replies read the same (nothing lost or invented on the way).
    QByteArray again;
    for (const RedisReply& r : whole.replies) {
        write(r, again);
    }
    const Outcome reread = readWhole(again);
    if (reread.failed || reread.replies.size() != whole.replies.size()) {
        std::abort();
    }
    for (std::size_t i = 0; i < whole.replies.size(); ++i) {
        if (!same(whole.replies[i], reread.replies[i])) {
            std::abort();
        }
    }
    return 0;
}
