#include "core/server/gateway/proxyexchange.h"

#include "core/server/gateway/gatewayserver.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace sluice {

QByteArray providerErrorBody(ApiFormat format, const QString& type, const QString& message) {
    const QJsonObject error{{QStringLiteral("type"), type}, {QStringLiteral("message"), message}};
    QJsonObject body;
    if (format == ApiFormat::Anthropic) {
        body = QJsonObject{{QStringLiteral("type"), QStringLiteral("error")},
                           {QStringLiteral("error"), error}};
    } else {
        QJsonObject e = error;
        e.insert(QStringLiteral("code"), type);
        e.insert(QStringLiteral("param"), QJsonValue::Null);
        body = QJsonObject{{QStringLiteral("error"), e}};
    }
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

ProxyExchange::ProxyExchange(GatewayServer& gateway, HttpResponder* responder, ApiFormat format,
                             bool stream)
    : m_gateway(gateway)
    , m_responder(responder)
    , m_format(format)
    , m_stream(stream) {}

HttpHeaders ProxyExchange::ownHeaders() const {
    HttpHeaders h{{"x-sluice-request-id", QByteArray::number(m_id)}};
    h += m_gateway.limitHeaders(m_apiKey, m_model, m_client);
    return h;
}

void ProxyExchange::beginQueueStatus() {
    if (!m_responder || m_early || m_status != 0) {
        return;
    }
    m_early = true;
    m_status = 200;
    HttpHeaders h = ownHeaders();
    h.emplace_back("content-type", "text/event-stream; charset=utf-8");
    h.emplace_back("cache-control", "no-cache");
    h.emplace_back("x-accel-buffering", "no");
    m_responder->beginChunked(200, h);
}

void ProxyExchange::queueStatus(std::int64_t ahead, Nanos eta) {
    if (!m_responder || !m_early) {
        return;
    }
    QByteArray line = ": queued " + QByteArray::number(ahead) + " ahead";
    if (eta.count() > 0) {
        line += ", eta " + QByteArray::number(static_cast<double>(eta.count()) / 1e9, 'f', 1) + 's';
    }
    m_responder->write(line + "\n\n");
}

void ProxyExchange::streamFailure(const QByteArray& body) {
    // The caller already has a 200: the official SDKs raise an SSE error event as an API error
    // (OpenAI: a data line with "error"; Anthropic: event: error).
    m_responder->write(m_format == ApiFormat::Anthropic
                           ? QByteArrayLiteral("event: error\ndata: ") + body + "\n\n"
                           : QByteArrayLiteral("data: ") + body + "\n\n");
    m_responder->end();
}

namespace {

// `ours` wins over a header of the same name in `theirs` (our limits, our cache policy).
HttpHeaders merged(HttpHeaders theirs, const HttpHeaders& ours) {
    for (const auto& header : ours) {
        // A plain reference, not a structured binding: clang before 16 cannot capture those.
        const QByteArray& name = header.first;
        theirs.removeIf(
            [&name](const auto& h) { return h.first.compare(name, Qt::CaseInsensitive) == 0; });
    }
    return theirs + ours;
}

} // namespace

void ProxyExchange::onHeaders(int status, const HeaderPairs& headers) {
    if (m_early) {
        return; // our 200 and event-stream headers went out while it waited
    }
    m_status = status;
    if (!m_responder) {
        return;
    }
    HttpHeaders own = ownHeaders();
    if (m_stream) {
        // Nothing between us and the caller may hold events back.
        own.emplace_back("cache-control", "no-cache");
        own.emplace_back("x-accel-buffering", "no");
    }
    m_responder->beginChunked(status, merged(headers, own));
}

void ProxyExchange::onBytes(const QByteArray& bytes) {
    if (m_responder) {
        m_responder->write(bytes);
    }
}

int ProxyExchange::finish(const RequestRecord& r) {
    m_id = r.id; // also when refused inside submit(), before setId()
    if (!m_responder) {
        return 0; // the caller left; the engine was told to cancel
    }
    if (r.committed) {
        const bool whole =
            r.state == RequestState::Done || r.failure.kind == FailureKind::Malformed;
        if (whole) {
            m_responder->end(); // a malformed answer is still the upstream's: passed on as is
            return m_status;
        }
        // The upstream broke mid-answer: say so and end uncleanly, never with a clean [DONE].
        if (m_stream) {
            const QByteArray body =
                providerErrorBody(m_format, QStringLiteral("upstream_error"),
                                  QStringLiteral("the upstream answer broke off: ") + r.reason);
            m_responder->write(m_format == ApiFormat::Anthropic
                                   ? QByteArrayLiteral("event: error\ndata: ") + body + "\n\n"
                                   : QByteArrayLiteral("data: ") + body + "\n\n");
        }
        m_responder->closeConnection();
        return m_status;
    }
    return answerFailure(r);
}

int ProxyExchange::finishWhole(const RequestRecord& r, const WholeAnswer& answer) {
    m_id = r.id;
    if (!m_responder) {
        return 0; // the caller left; the engine was told to cancel
    }
    const bool whole =
        r.committed && (r.state == RequestState::Done || r.failure.kind == FailureKind::Malformed);
    if (!whole) {
        return answerFailure(r);
    }
    m_status = answer.status;
    m_responder->respond(answer.status, answer.headers, answer.body);
    return m_status;
}

void WholeAnswer::onHeaders(int s, const HeaderPairs& h) {
    status = s;
    headers = merged(h, m_exchange.ownHeaders());
}

int ProxyExchange::answerFailure(const RequestRecord& r) {
    HttpHeaders h = ownHeaders();
    h.emplace_back("content-type", "application/json");
    if (r.status >= 400 && !r.errorBody.isEmpty() && r.state != RequestState::Done) {
        // The upstream's own answer, status, headers and body as they were.
        if (m_early) {
            streamFailure(r.errorBody);
        } else {
            m_responder->respond(r.status, merged(r.errorHeaders, ownHeaders()), r.errorBody);
        }
        return r.status;
    }
    const bool anthropic = m_format == ApiFormat::Anthropic;
    int status = 502;
    QString type = anthropic ? QStringLiteral("api_error") : QStringLiteral("upstream_error");
    QString message = r.reason;
    bool retryAfter = false;
    switch (r.failure.kind) {
    case FailureKind::QueueFull:
    case FailureKind::Deadline:
    case FailureKind::CircuitOpen: {
        // Overload, said honestly: when to come back, from the real state.
        status = m_gateway.config().rejectStatus;
        if (status == 503 && anthropic) {
            status = 529;
        }
        type = status == 429 ? (anthropic ? QStringLiteral("rate_limit_error")
                                          : QStringLiteral("rate_limit_exceeded"))
                             : (anthropic ? QStringLiteral("overloaded_error")
                                          : QStringLiteral("server_overloaded"));
        message = QStringLiteral("Sluice gateway: ") + r.reason;
        retryAfter = true;
        break;
    }
    case FailureKind::TooLarge:
        status = 400;
        type = QStringLiteral("invalid_request_error");
        message = QStringLiteral("Sluice gateway: ") + r.reason;
        break;
    case FailureKind::TimeoutBeforeHeaders:
    case FailureKind::TimeoutMidStream:
        status = 504;
        message = QStringLiteral("Sluice gateway: the upstream did not answer in time (") +
                  r.reason + QLatin1Char(')');
        break;
    default:
        if (r.state == RequestState::Cancelled) {
            status = 503;
            retryAfter = true;
        }
        message = QStringLiteral("Sluice gateway: the upstream failed: ") + r.reason;
        break;
    }
    if (retryAfter) {
        const Nanos wait = m_gateway.retryAfter();
        const qint64 ms =
            std::max<qint64>(1, std::llround(static_cast<double>(wait.count()) / 1e6));
        h.emplace_back("retry-after", QByteArray::number((ms + 999) / 1000));
        h.emplace_back("retry-after-ms", QByteArray::number(ms));
    }
    if (m_early) {
        streamFailure(providerErrorBody(m_format, type, message));
    } else {
        m_responder->respond(status, h, providerErrorBody(m_format, type, message));
    }
    return status;
}

} // namespace sluice
