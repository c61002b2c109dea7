#include "core/server/mock/mockexchange.h"

#include "core/server/mock/mockerrors.h"

#include <QDateTime>

#include <algorithm>
#include <cmath>

namespace sluice::mock {

namespace {
HttpHeaders streamHeaders(const HttpHeaders& extra) {
    HttpHeaders h{{"content-type", "text/event-stream; charset=utf-8"},
                  {"cache-control", "no-cache"}};
    h.append(extra);
    return h;
}
} // namespace

MockExchange::MockExchange(Plan plan, HttpResponder* responder, MockTicker* ticker, QObject* parent)
    : QObject(parent)
    , m_plan(std::move(plan))
    , m_responder(responder)
    , m_writer(m_plan.request, m_plan.id, QDateTime::currentSecsSinceEpoch())
    , m_rng(m_plan.seed)
    , m_ticker(ticker) {
    // Stamped events say when the request reached the machine (the kernel's stamp, on the
    // ticker's steady clock), so the server's own TTFT includes its wait to be read.
    m_arrivedAt = ticker->now();
    if (m_plan.arrivedNs > 0 && m_plan.arrivedNs < m_arrivedAt.count()) {
        m_arrivedAt = Nanos{m_plan.arrivedNs};
    }
    connect(responder, &HttpResponder::clientGone, this, [this] { complete("client_closed"); });
}

Nanos MockExchange::jittered(int ms) {
    const Nanos base = std::chrono::milliseconds(ms);
    if (m_plan.jitter <= 0 || ms <= 0) {
        return base;
    }
    std::uniform_real_distribution<double> factor(1.0 - m_plan.jitter, 1.0 + m_plan.jitter);
    return Nanos{
        std::max<std::int64_t>(0, std::llround(static_cast<double>(base.count()) * factor(m_rng)))};
}

void MockExchange::scheduleAt(Nanos due, void (MockExchange::*step)()) {
    m_nextDue = due;
    const quint64 ticket = ++m_ticket;
    m_ticker->schedule(due, this, [this, ticket, step] {
        if (ticket == m_ticket && !m_done) {
            (this->*step)();
        }
    });
}

void MockExchange::start() {
    if (m_started || m_done) {
        return;
    }
    m_started = true;
    if (!m_responder) {
        complete("client_closed");
        return;
    }
    const Nanos now = m_ticker->now();
    if (m_plan.request.stream) {
        // Headers, the opening events and the first token leave together at the first token's
        // time, so time-to-first-byte and time-to-first-token agree for every kind of client.
        scheduleAt(now + jittered(m_plan.ttftMs), &MockExchange::emitNextToken);
        return;
    }
    // A whole reply is sent when the last token would have been generated.
    Nanos total = jittered(m_plan.ttftMs);
    for (int i = 1; i < m_plan.outputTokens; ++i) {
        total += jittered(m_plan.tpotMs);
    }
    scheduleAt(now + total, &MockExchange::finishWhole);
}

void MockExchange::emitNextToken() {
    if (m_done || !m_responder) {
        return;
    }
    if (m_plan.cut != Cut::None && m_sent >= std::max(1, m_plan.outputTokens / 2)) {
        if (m_plan.cut == Cut::ErrorEvent) {
            failMidstream();
        } else {
            breakOff();
        }
        return;
    }
    const bool anthropic = m_plan.request.provider == Provider::Anthropic;
    const QByteArray token = outputToken(m_plan.seed, m_sent);
    QByteArray events =
        anthropic ? m_writer.anthropicDelta(token) : m_writer.openAiContentChunk(token);
    if (m_plan.stamp) {
        // Taken right before the write: the server's own time of this event.
        const qsizetype brace = events.indexOf("data: {");
        if (brace >= 0) {
            events.insert(brace + 7,
                          "\"x_sent_ns\":" + QByteArray::number(m_ticker->now().count()) +
                              ",\"x_arrived_ns\":" + QByteArray::number(m_arrivedAt.count()) + ',');
        }
    }
    if (m_sent == 0) {
        m_responder->beginChunked(200, streamHeaders(m_plan.headers));
        events.prepend(anthropic ? m_writer.anthropicStart() : m_writer.openAiRoleChunk());
    }
    m_responder->write(events);
    ++m_sent;
    if (m_sent >= m_plan.outputTokens && m_plan.cut == Cut::None) {
        finishStream();
        return;
    }
    // Absolute schedule: a late tick does not push every later token back.
    scheduleAt(m_nextDue + jittered(m_plan.tpotMs), &MockExchange::emitNextToken);
}

void MockExchange::finishStream() {
    if (m_plan.request.provider == Provider::Anthropic) {
        m_responder->write(m_writer.anthropicFinish(m_sent, m_plan.truncated));
    } else {
        QByteArray tail = m_writer.openAiFinishChunk(m_plan.truncated);
        if (m_plan.request.includeUsage) {
            tail += m_writer.openAiUsageChunk(m_sent);
        }
        tail += ReplyWriter::openAiDone();
        m_responder->write(tail);
    }
    m_responder->end();
    complete("200");
}

void MockExchange::finishWhole() {
    if (m_done || !m_responder) {
        return;
    }
    QByteArray text;
    for (int i = 0; i < m_plan.outputTokens; ++i) {
        text += outputToken(m_plan.seed, i);
    }
    const bool anthropic = m_plan.request.provider == Provider::Anthropic;
    const QByteArray body =
        anthropic ? m_writer.anthropicMessage(text, m_plan.outputTokens, m_plan.truncated)
                  : m_writer.openAiCompletion(text, m_plan.outputTokens, m_plan.truncated);
    HttpHeaders headers{{"content-type", "application/json"}};
    headers.append(m_plan.headers);
    if (m_plan.cut == Cut::ErrorEvent) {
        // The body is announced whole but cut off halfway: a broken upstream.
        m_responder->beginFixed(200, headers, body.size());
        m_responder->write(body.left(body.size() / 2));
        m_responder->closeConnection();
        m_sent = m_plan.outputTokens / 2;
        complete("200");
        return;
    }
    if (m_plan.cut != Cut::None) {
        // Reset: announced whole, cut halfway by an RST. Truncate: sent chunked, cut halfway
        // without the final chunk.
        if (m_plan.cut == Cut::Reset) {
            m_responder->beginFixed(200, headers, body.size());
        } else {
            m_responder->beginChunked(200, headers);
        }
        m_responder->write(body.left(body.size() / 2));
        m_sent = m_plan.outputTokens / 2;
        breakOff();
        return;
    }
    m_sent = m_plan.outputTokens;
    m_responder->respond(200, headers, body);
    complete("200");
}

void MockExchange::failMidstream() {
    const bool anthropic = m_plan.request.provider == Provider::Anthropic;
    const ApiError error =
        anthropic ? overloadedError(Provider::Anthropic) : serverError(Provider::OpenAI, 500);
    m_responder->write(anthropic ? ReplyWriter::anthropicErrorEvent(error)
                                 : ReplyWriter::openAiErrorEvent(error));
    m_responder->end();
    complete("200");
}

void MockExchange::breakOff() {
    if (m_plan.cut == Cut::Reset) {
        m_responder->resetConnection();
        complete("reset_midstream");
    } else {
        m_responder->closeConnection();
        complete("truncated");
    }
}

void MockExchange::complete(QByteArray status) {
    if (m_done) {
        return;
    }
    m_done = true;
    ++m_ticket;
    Q_EMIT finished(this, ExchangeOutcome{std::move(status), m_sent});
}

} // namespace sluice::mock
