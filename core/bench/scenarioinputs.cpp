// BenchScenario's inputs from files: prompts (JSON lines) and keys (one per line), and the
// generated prompt used when no file is given.
#include "core/bench/scenario.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace sluice {

Result<QList<QList<ChatMessage>>> BenchScenario::readPrompts(const QString& path) {
    const auto invalid = [](QString message) { return Error::invalid({}, std::move(message)); };
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error{Error::Kind::Io,
                     {},
                     QStringLiteral("cannot read %1: %2").arg(path, file.errorString())};
    }
    QList<QList<ChatMessage>> prompts;
    int line = 0;
    while (!file.atEnd()) {
        const QByteArray text = file.readLine().trimmed();
        ++line;
        if (text.isEmpty()) {
            continue;
        }
        QJsonParseError parseError{};
        // A bare string is not a JSON document for QJsonDocument: wrap it in an array.
        const QJsonDocument doc = QJsonDocument::fromJson("[" + text + "]", &parseError);
        if (parseError.error != QJsonParseError::NoError) {
            return invalid(QStringLiteral("%1 line %2: not JSON (%3)")
                               .arg(path)
                               .arg(line)
                               .arg(parseError.errorString()));
        }
        const QJsonValue v = doc.array().at(0);
        QList<ChatMessage> messages;
        if (v.isString()) {
            messages.append(ChatMessage{QStringLiteral("user"), v.toString()});
        } else if (v.isObject() && v.toObject().value(QStringLiteral("prompt")).isString()) {
            messages.append(ChatMessage{QStringLiteral("user"),
                                        v.toObject().value(QStringLiteral("prompt")).toString()});
        } else if (v.isObject() && v.toObject().value(QStringLiteral("messages")).isArray()) {
            for (const QJsonValue& m : v.toObject().value(QStringLiteral("messages")).toArray()) {
                const QJsonObject mo = m.toObject();
                if (!mo.value(QStringLiteral("role")).isString() ||
                    !mo.value(QStringLiteral("content")).isString()) {
                    return invalid(
                        QStringLiteral("%1 line %2: each message needs string 'role' and 'content'")
                            .arg(path)
                            .arg(line));
                }
                messages.append(ChatMessage{mo.value(QStringLiteral("role")).toString(),
                                            mo.value(QStringLiteral("content")).toString()});
            }
        }
        if (messages.isEmpty()) {
            return invalid(QStringLiteral("%1 line %2: expected a string, {\"prompt\": ...} or "
                                          "{\"messages\": [...]}")
                               .arg(path)
                               .arg(line));
        }
        prompts.append(messages);
    }
    if (prompts.isEmpty()) {
        return invalid(QStringLiteral("%1: no prompts in the file").arg(path));
    }
    return prompts;
}

Result<QList<QByteArray>> BenchScenario::readKeys(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error{Error::Kind::Io,
                     {},
                     QStringLiteral("cannot read %1: %2").arg(path, file.errorString())};
    }
    QList<QByteArray> keys;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        if (!line.isEmpty() && !line.startsWith('#')) {
            keys.append(line);
        }
    }
    if (keys.isEmpty()) {
        return Error::invalid({}, QStringLiteral("%1: no keys in the file").arg(path));
    }
    return keys;
}

QList<ChatMessage> BenchScenario::generatedPrompt(int tokens, std::uint64_t index) {
    // Under the documented tokenizer each word of up to 4 letters is one token and a message
    // adds 3; words vary with the index so a server cannot cache one prompt.
    static const char* const kWords[] = {"time", "flow", "gate", "lock", "tide", "pool", "rate",
                                         "wave", "mill", "weir", "dam",  "sea",  "bank", "reed"};
    QString text;
    const int words = std::max(1, tokens - 3);
    std::uint64_t x = index * 0x9E3779B97F4A7C15ULL + 1;
    for (int i = 0; i < words; ++i) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        if (i > 0) {
            text += QLatin1Char(' ');
        }
        text += QLatin1String(kWords[(x * 0x2545F4914F6CDD1DULL >> 60) % 14]);
    }
    return {ChatMessage{QStringLiteral("user"), text}};
}

} // namespace sluice
