#include "core/server/mock/mockexchange.h"

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

MockExchange::MockExchange(Plan plan, HttpResponder* responder, QObject* parent)
    : QObject(parent)
    , m_plan(std::move(plan))
    , m_responder(responder)
    , m_writer(m_plan.request, m_plan.id, QDateTime::currentSecsSinceEpoch())
    , m_rng(m_plan.seed) {
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(responder, &HttpResponder::clientGone, this, [this] {
        m_timer.stop();
        complete("client_closed");
    });
}

int MockExchange::jittered(int ms) {
    if (m_plan.jitter <= 0 || ms <= 0) {
        return ms;
    }
    std::uniform_real_distribution<double> factor(1.0 - m_plan.jitter, 1.0 + m_plan.jitter);
    return std::max(0, static_cast<int>(std::lround(ms * factor(m_rng))));
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
    const bool anthropic = m_plan.request.provider == Provider::Anthropic;
    if (m_plan.request.stream) {
        m_responder->beginChunked(200, streamHeaders(m_plan.headers));
        m_responder->write(anthropic ? m_writer.anthropicStart() : m_writer.openAiRoleChunk());
        connect(&m_timer, &QTimer::timeout, this, &MockExchange::emitNextToken);
        m_timer.start(jittered(m_plan.ttftMs));
        return;
    }
    // A whole reply is sent when the last token would have been generated.
    int total = jittered(m_plan.ttftMs);
    for (int i = 1; i < m_plan.outputTokens; ++i) {
        total += jittered(m_plan.tpotMs);
    }
    connect(&m_timer, &QTimer::timeout, this, &MockExchange::finishWhole);
    m_timer.start(total);
}

void MockExchange::emitNextToken() {
    if (m_done || !m_responder) {
        return;
    }
    if (m_plan.midstreamFault && m_sent >= std::max(1, m_plan.outputTokens / 2)) {
        failMidstream();
        return;
    }
    const QByteArray token = outputToken(m_plan.seed, m_sent);
    m_responder->write(m_plan.request.provider == Provider::Anthropic
                           ? m_writer.anthropicDelta(token)
                           : m_writer.openAiContentChunk(token));
    ++m_sent;
    if (m_sent >= m_plan.outputTokens && !m_plan.midstreamFault) {
        finishStream();
        return;
    }
    m_timer.start(jittered(m_plan.tpotMs));
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
    if (m_plan.midstreamFault) {
        // The body is announced whole but cut off halfway: a broken upstream.
        m_responder->beginFixed(200, headers, body.size());
        m_responder->write(body.left(body.size() / 2));
        m_responder->closeConnection();
        m_sent = m_plan.outputTokens / 2;
        complete("200");
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

void MockExchange::complete(QByteArray status) {
    if (m_done) {
        return;
    }
    m_done = true;
    m_timer.stop();
    Q_EMIT finished(this, ExchangeOutcome{std::move(status), m_sent, m_plan.midstreamFault});
}

} // namespace sluice::mock
