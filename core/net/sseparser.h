#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <vector>

namespace sluice {

/// One dispatched server-sent event. Fields stay bytes: the parser never decodes, so a UTF-8
/// character split across network reads is whole again by the time anyone looks at `data`.
struct SseEvent {
    QByteArray event; ///< empty means the default type, "message"
    QByteArray data;  ///< the event's data lines joined with '\n'
    QByteArray id;    ///< the last event id seen so far (it carries over between events)
};

/// Incremental `text/event-stream` parser following the WHATWG server-sent events rules, fed
/// in whatever chunks the network delivers. Both OpenAI (`data: {...}` … `data: [DONE]`) and
/// Anthropic (`event: …` / `data: {...}` pairs) streams come through it.
///
/// Each byte is scanned once: a line split over many reads is not rescanned, and complete
/// lines inside one read are parsed in place without copying.
class SseParser {
public:
    /// Feeds the next bytes; appends every event completed by them to `out`.
    void feed(QByteArrayView bytes, std::vector<SseEvent>& out);

    /// True when the stream so far ends mid-event: bytes of an unfinished line, or field lines
    /// not yet dispatched by a blank line. Checked at end of body to tell a cut stream from a
    /// finished one. Also true after an overflow, since that stream did not end cleanly.
    bool hasPartial() const;

    /// Comment lines (":" keep-alive pings) seen so far.
    int comments() const { return m_comments; }

    /// True once a line, or the joined data of one event, grew past maxLineBytes. The parser
    /// then drops its buffers and ignores all further input, so a hostile or broken server
    /// cannot make it buffer without end.
    bool overflowed() const { return m_overflowed; }

    /// Bound for one line and for one event's joined data; default 16 MiB.
    void setMaxLineBytes(qsizetype n) { m_maxLineBytes = n; }
    qsizetype maxLineBytes() const { return m_maxLineBytes; }

    /// Back to the state of a fresh parser (keeps maxLineBytes), for reuse on a new stream.
    void reset();

private:
    void takeLine(QByteArrayView line, std::vector<SseEvent>& out);
    void dispatch(std::vector<SseEvent>& out);
    void overflow();

    QByteArray m_line; // bytes of the current line that arrived in earlier feeds (no CR/LF)
    QByteArray m_data;
    QByteArray m_eventType;
    QByteArray m_lastId;
    qsizetype m_maxLineBytes = 16 * 1024 * 1024;
    int m_comments = 0;
    int m_bomMatched = 0;     // leading bytes that matched the UTF-8 BOM so far
    bool m_started = false;   // past the point where a BOM could be
    bool m_skipLf = false;    // the last line ended in CR: a following LF belongs to it
    bool m_hasData = false;   // a data field was seen for the pending event
    bool m_hasFields = false; // any field line since the last dispatch
    bool m_overflowed = false;
};

} // namespace sluice
