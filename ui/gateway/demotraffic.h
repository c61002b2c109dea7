#pragma once

#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QUrl>

namespace sluice {

/// Programs that send through a gateway, for demo 5 and screenshots: each a client token, an
/// x-sluice-priority and a number of callers that each send one short chat request after the
/// other (closed loop). Asynchronous on the thread it lives in; stop() aborts what is out.
class DemoTraffic final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DemoTraffic)

public:
    struct Program {
        QString name;
        QByteArray token;
        int priority = 1;
        int callers = 1;
    };

    explicit DemoTraffic(QObject* parent = nullptr);
    ~DemoTraffic() override;

    /// Starts every program's callers against `base` (the gateway, "http://127.0.0.1:8080").
    void start(const QUrl& base, const QList<Program>& programs);
    void stop();
    bool running() const { return m_running; }
    qint64 sent() const { return m_sent; }

private:
    void send(int program, int caller);

    QNetworkAccessManager m_nam;
    QUrl m_endpoint;
    QList<Program> m_programs;
    bool m_running = false;
    qint64 m_sent = 0;
};

} // namespace sluice
