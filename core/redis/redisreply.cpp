#include "core/redis/redisreply.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <new>

namespace sluice {

std::int64_t RedisReply::toInt(bool* ok) const {
    if (type == Type::Integer) {
        if (ok) {
            *ok = true;
        }
        return integer;
    }
    bool parsed = false;
    const std::int64_t v =
        (type == Type::String || type == Type::Status) ? text.toLongLong(&parsed) : 0;
    if (ok) {
        *ok = parsed;
    }
    return parsed ? v : 0;
}

namespace {

// hiredis calls these as it parses. The root reply is allocated here and owned by the reader
// until redisReaderGetReply hands it out; every nested reply lives inside its parent's
// `elements`. hiredis fills an array's elements in order and links a nested array's children
// while nothing else is appended to that array's parent, so the pointer returned for a nested
// reply stays valid for as long as hiredis uses it. freeObject is only ever called on a root.
RedisReply* place(const redisReadTask* task, RedisReply&& value) {
    if (!task->parent) {
        return new (std::nothrow) RedisReply(std::move(value));
    }
    auto* parent = static_cast<RedisReply*>(task->parent->obj);
    parent->elements.append(std::move(value));
    return &parent->elements.last();
}

RedisReply::Type typeOf(int hiredisType) {
    switch (hiredisType) {
    case REDIS_REPLY_STATUS:
        return RedisReply::Type::Status;
    case REDIS_REPLY_ERROR:
        return RedisReply::Type::Error;
    case REDIS_REPLY_INTEGER:
        return RedisReply::Type::Integer;
    case REDIS_REPLY_STRING:
        return RedisReply::Type::String;
    case REDIS_REPLY_ARRAY:
        return RedisReply::Type::Array;
    default:
        return RedisReply::Type::Nil;
    }
}

void* createString(const redisReadTask* task, char* str, size_t len) {
    RedisReply r;
    r.type = typeOf(task->type);
    r.text = QByteArray(str, static_cast<qsizetype>(len));
    return place(task, std::move(r));
}

void* createArray(const redisReadTask* task, int /*elements: appended as they arrive*/) {
    RedisReply r;
    r.type = RedisReply::Type::Array;
    return place(task, std::move(r));
}

void* createInteger(const redisReadTask* task, long long value) {
    RedisReply r;
    r.type = RedisReply::Type::Integer;
    r.integer = value;
    return place(task, std::move(r));
}

void* createNil(const redisReadTask* task) {
    return place(task, RedisReply{});
}

void freeObject(void* root) {
    delete static_cast<RedisReply*>(root);
}

redisReplyObjectFunctions g_functions{createString, createArray, createInteger, createNil,
                                      freeObject};

Error protocolError(const redisReader* reader) {
    return Error::invalid(QStringLiteral("redis protocol"), QString::fromLatin1(reader->errstr));
}

} // namespace

RedisReplyReader::RedisReplyReader()
    : m_reader(redisReaderCreateWithFunctions(&g_functions)) {
    Q_ASSERT(m_reader);
}

RedisReplyReader::~RedisReplyReader() {
    redisReaderFree(m_reader);
}

bool RedisReplyReader::failed() const {
    return m_reader->err != 0;
}

Result<void> RedisReplyReader::feed(QByteArrayView bytes) {
    if (failed() || redisReaderFeed(m_reader, bytes.data(),
                                    static_cast<std::size_t>(bytes.size())) != REDIS_OK) {
        return protocolError(m_reader);
    }
    return {};
}

Result<std::optional<RedisReply>> RedisReplyReader::next() {
    void* raw = nullptr;
    if (failed() || redisReaderGetReply(m_reader, &raw) != REDIS_OK) {
        return protocolError(m_reader);
    }
    if (!raw) {
        return std::optional<RedisReply>{};
    }
    std::unique_ptr<RedisReply> owned(static_cast<RedisReply*>(raw));
    return std::optional<RedisReply>{std::move(*owned)};
}

} // namespace sluice
