#pragma once

#include "core/server/httpresponder.h"
#include "core/server/mock/mockprotocol.h"
#include "core/server/mock/mockticker.h"
#include "core/server/mock/replywriter.h"

#include <QObject>
#include <QPointer>

#include <random>

namespace sluice::mock {

/// How a reply breaks off halfway on purpose (a fault), if it does.
enum class Cut : std::uint8_t {
    None,
    ErrorEvent, ///< streaming: an error event instead of the rest; whole: a cut fixed body (FIN)
    Reset,      ///< half the reply, then the connection is reset (RST)
    Truncate,   ///< chunked: half the reply, then FIN without the final zero-length chunk
};

/// How an exchange ended, for the server's counters.
struct ExchangeOutcome {
    /// "200", "500", ..., or "reset", "stall", "client_closed", "reset_midstream", "truncated"
    QByteArray status;
    int outputTokens = 0;
};

/// One chat request being answered: waits for a service slot, then emits its reply on a timer
/// (time to first token, then one token per tpot, each with jitter), streaming or whole.
/// Owned by MockServer; emits finished() exactly once, after which the server deletes it.
class MockExchange final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MockExchange)

public:
    struct Plan {
        ChatRequest request;
        QByteArray id;
        HttpHeaders headers;    ///< rate-limit and request-id headers for the response
        int outputTokens = 1;   ///< planned length (already capped by max_tokens)
        bool truncated = false; ///< capped by max_tokens: finish_reason length / max_tokens
        Cut cut = Cut::None;
        int ttftMs = 0;
        int tpotMs = 0;
        double jitter = 0;
        std::uint64_t seed = 0; ///< this reply's own random source (words, jitter)
        bool stamp = false;     ///< add the server's own times to content events
        qint64 arrivedNs = 0;   ///< the request's arrival (HttpRequest::arrivedNs), 0 unknown
    };

    MockExchange(Plan plan, HttpResponder* responder, MockTicker* ticker, QObject* parent);

    /// Called once the server grants a service slot.
    void start();
    bool started() const { return m_started; }

Q_SIGNALS:
    void finished(sluice::mock::MockExchange* self, const sluice::mock::ExchangeOutcome& outcome);

private:
    void emitNextToken();
    void finishStream();
    void finishWhole();
    void failMidstream();
    /// Ends a Cut::Reset or Cut::Truncate reply after what was written.
    void breakOff();
    void complete(QByteArray status);
    Nanos jittered(int ms);
    void scheduleAt(Nanos due, void (MockExchange::*step)());

    Plan m_plan;
    Nanos m_arrivedAt{0};
    QPointer<HttpResponder> m_responder;
    ReplyWriter m_writer;
    std::mt19937_64 m_rng;
    MockTicker* m_ticker;
    Nanos m_nextDue{0};
    quint64 m_ticket = 0; ///< bumped to cancel a scheduled step
    int m_sent = 0;
    bool m_started = false;
    bool m_done = false;
};

} // namespace sluice::mock
