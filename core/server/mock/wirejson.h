#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>

namespace sluice::mock {

// The bytes of the providers' JSON and server-sent events, written directly: the error bodies
// and the stream chunks are built per token, so they skip QJsonDocument where they can.

/// `utf8` as a JSON string literal, quotes included.
QByteArray jsonString(QByteArrayView utf8);
/// An object as compact JSON.
QByteArray compact(const QJsonObject& o);
/// An SSE event with data only (OpenAI).
QByteArray sseData(const QByteArray& json);
/// An SSE event with a name (Anthropic).
QByteArray sseEvent(QByteArrayView event, const QByteArray& json);

} // namespace sluice::mock
