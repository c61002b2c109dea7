#pragma once

#include <QByteArray>
#include <QList>

#include <cstdint>

namespace sluice {

/// One RESP2 reply as a value: nil, a status ("OK"), an error ("ERR ..."), an integer, a bulk
/// string or an array of replies. Copied freely; built from hiredis's reply tree by the client.
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

} // namespace sluice
