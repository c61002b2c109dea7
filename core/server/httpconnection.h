#pragma once

#include "core/server/httprequest.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <functional>

#include <http_parser.h>

class QTcpSocket;

namespace sluice {

class HttpResponder;

/// Limits every connection enforces on what clients send.
struct HttpServerLimits {
    qint64 maxBodyBytes = 8 * 1024 * 1024;
    int idleTimeoutMs = 120'000;
    /// Requests read ahead of the one being answered (pipelining); reading pauses beyond it.
    int maxPipelined = 32;
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponder*)>;

/// One accepted TCP connection: parses requests with http-parser, hands them to the handler one
/// at a time (pipelined requests wait their turn) and writes responses through an HttpResponder.
/// Deletes itself when the socket closes.
class HttpConnection final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpConnection)

public:
    HttpConnection(QTcpSocket* socket, HttpHandler handler, HttpServerLimits limits,
                   QObject* parent);
    ~HttpConnection() override;

    QTcpSocket* socket() const { return m_socket; }

Q_SIGNALS:
    void closed();

private:
    friend class HttpResponder;
    static const http_parser_settings& parserSettings();
    static int onMessageBegin(http_parser* p);
    static int onUrl(http_parser* p, const char* at, size_t len);
    static int onHeaderField(http_parser* p, const char* at, size_t len);
    static int onHeaderValue(http_parser* p, const char* at, size_t len);
    static int onHeadersComplete(http_parser* p);
    static int onBody(http_parser* p, const char* at, size_t len);
    static int onMessageComplete(http_parser* p);

    void readAvailable();
    void parseInbox();
    void dispatchNext();
    void failParse(int status, const QByteArray& message);
    // Called by the responder.
    void writeBytes(const QByteArray& bytes);
    void responseDone(HttpResponder* responder, bool keepAlive);
    void closeAfterWrite();
    void lingerClose();
    void abandon();
    void resetNow();
    void onDisconnected();

    QTcpSocket* m_socket;
    HttpHandler m_handler;
    HttpServerLimits m_limits;
    http_parser m_parser{};
    HttpRequest m_building;
    bool m_inField = false;
    bool m_gone = false;
    bool m_parseFailed = false;
    bool m_closing = false;
    bool m_lingering = false;
    QByteArray m_inbox; ///< received, not yet parsed (the pipeline is full)
    std::deque<HttpRequest> m_pending;
    QPointer<HttpResponder> m_active;
    QTimer m_idle;
    QTimer m_linger;
};

} // namespace sluice
