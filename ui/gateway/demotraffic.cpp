#include "ui/gateway/demotraffic.h"

#include <QNetworkReply>
#include <QTimer>

namespace sluice {

DemoTraffic::DemoTraffic(QObject* parent)
    : QObject(parent) {}

DemoTraffic::~DemoTraffic() {
    stop();
}

void DemoTraffic::start(const QUrl& base, const QList<Program>& programs) {
    stop();
    m_endpoint = base;
    m_endpoint.setPath(QStringLiteral("/v1/chat/completions"));
    m_programs = programs;
    m_running = true;
    for (int p = 0; p < m_programs.size(); ++p) {
        for (int c = 0; c < m_programs[p].callers; ++c) {
            send(p, c);
        }
    }
}

void DemoTraffic::stop() {
    m_running = false;
    for (QNetworkReply* reply : findChildren<QNetworkReply*>()) {
        reply->abort();
    }
}

void DemoTraffic::send(int program, int caller) {
    if (!m_running) {
        return;
    }
    const Program& p = m_programs.at(program);
    QNetworkRequest request(m_endpoint);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("authorization", "Bearer " + p.token);
    request.setRawHeader("x-sluice-priority", QByteArray::number(p.priority));
    // Qt opens at most six connections per pool: one pool for every six callers.
    request.setPeerVerifyName(QStringLiteral("%1-%2").arg(program).arg(caller / 6));
    const QByteArray body = R"({"model":"gpt-4o-mini","max_tokens":30,)"
                            R"("messages":[{"role":"user","content":"Summarise the day."}]})";
    QNetworkReply* reply = m_nam.post(request, body);
    reply->setParent(this);
    ++m_sent;
    connect(reply, &QNetworkReply::finished, this, [this, reply, program, caller] {
        const bool refused =
            reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() >= 400 ||
            reply->error() != QNetworkReply::NoError;
        reply->deleteLater();
        if (!m_running) {
            return;
        }
        // A refused caller backs off a little before trying again, as a real client would.
        QTimer::singleShot(refused ? 500 : 0, this,
                           [this, program, caller] { send(program, caller); });
    });
}

} // namespace sluice
