#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace sluice {

/// Why something could not be done: a kind a program can branch on, the field or value it is
/// about (a JSON path, a flag, a header), and a message for people. The gateway answers an
/// Invalid error with a 400 naming the field; the CLI prints text() and exits 2.
struct Error {
    enum class Kind {
        Invalid,     ///< bad input: config, scenario, flag, request
        NotFound,    ///< no such thing (an id, a file)
        Io,          ///< a file or socket could not be read or written
        Unavailable, ///< a service is not there (a port taken, a server gone)
        Internal,    ///< a bug: should not happen
    };
    Kind kind = Kind::Invalid;
    QString field;
    QString message;

    /// "field: message", or the message alone.
    QString text() const {
        return field.isEmpty() ? message : field + QStringLiteral(": ") + message;
    }

    static Error invalid(QString field, QString message) {
        return {Kind::Invalid, std::move(field), std::move(message)};
    }
};

/// A value or an Error; must not be dropped unread. C++20 has no std::expected; this is the
/// small part of it Sluice uses.
template <typename T> class [[nodiscard]] Result {
public:
    Result(T value)
        : m_v(std::move(value)) {}
    Result(Error error)
        : m_v(std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T& value() const& { return std::get<0>(m_v); }
    T& value() & { return std::get<0>(m_v); }
    T&& value() && { return std::get<0>(std::move(m_v)); }
    const T& operator*() const& { return value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(m_v); }

private:
    std::variant<T, Error> m_v;
};

/// Success with no value, or an Error.
template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error)
        : m_error(std::move(error))
        , m_failed(true) {}

    bool ok() const { return !m_failed; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return m_error; }

private:
    Error m_error;
    bool m_failed = false;
};

} // namespace sluice
