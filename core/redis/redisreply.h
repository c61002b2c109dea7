#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <cstdint>
#include <optional>

struct redisReader;

namespace sluice {

/// One RESP2 reply as a value: nil, a status ("OK"), an error ("ERR ..."), an integer, a bulk
/// string or an array of replies. Copied freely; built by RedisReplyReader.
struct RedisReply {
    enum class Type { Nil, Status, Error, Integer, String, Array };
    Type type = Type::Nil;
    QByteArray text;        ///< Status, Error, String
    std::int64_t integer{}; ///< Integer
    QList<RedisReply> elements;

    bool isNil() const { return type == Type::Nil; }
    bool isError() const { return type == Type::Error; }
    /// A bulk string or an integer read as a number (Redis returns numbers both ways).
    std::int64_t toInt(bool* ok = nullptr) const;
    /// "OK"-style status or string text.
    QByteArray toBytes() const {
        return type == Type::Integer ? QByteArray::number(integer) : text;
    }

    static RedisReply error(QByteArray message) {
        RedisReply r;
        r.type = Type::Error;
        r.text = std::move(message);
        return r;
    }
};

/// Turns the bytes a Redis server sends into RedisReply values, in order. hiredis's redisReader
/// parses the protocol; the reply objects are built straight into RedisReply by functions of our
/// own, so nothing is allocated ahead of the bytes that fill it (hiredis's own objects allocate
/// an array's whole slot table from its header: "*2000000000\r\n" would ask for 16 GB).
///
/// Errors: malformed input is Error::Kind::Invalid with field "redis protocol" and hiredis's
/// text; after one, the reader stays failed (the stream cannot be resynchronised).
///
/// Threading: none of its own; use from one thread at a time. Not copyable.
class RedisReplyReader {
public:
    RedisReplyReader();
    ~RedisReplyReader();
    RedisReplyReader(const RedisReplyReader&) = delete;
    RedisReplyReader& operator=(const RedisReplyReader&) = delete;

    /// Appends bytes as they arrived (any split). Fails once the stream is known bad.
    Result<void> feed(QByteArrayView bytes);
    /// The next whole reply, std::nullopt when more bytes are needed, or the protocol error.
    Result<std::optional<RedisReply>> next();
    bool failed() const;

private:
    redisReader* m_reader;
};

} // namespace sluice
