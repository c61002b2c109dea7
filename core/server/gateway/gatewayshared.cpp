// GatewayServer's part for limits shared with other processes (an AdmissionGate on the engine,
// Redis in `sluice gateway --redis`): its state in /admin/stats and /metrics, and its alarm.
#include "core/engine/admissiongate.h"
#include "core/server/gateway/gatewayserver.h"
#include "core/server/httpresponder.h"

#include <QDateTime>
#include <QJsonDocument>

namespace sluice {

void GatewayServer::setGate(std::unique_ptr<AdmissionGate> gate) {
    m_engine->setGate(std::move(gate));
    // The gate raises its alarm within a second of losing its store; looking 5 times a second
    // puts it in the alarm list, the events and the log well within that second again.
    m_gateWatch.setInterval(std::chrono::milliseconds(200));
    connect(&m_gateWatch, &QTimer::timeout, this, &GatewayServer::watchGate, Qt::UniqueConnection);
    m_gateWatch.start();
    watchGate();
}

void GatewayServer::watchGate() {
    const AdmissionGate* gate = m_engine ? m_engine->gate() : nullptr;
    if (!gate) {
        return;
    }
    const GateStatus s = gate->status();
    if (s.alarm == m_gateAlarm) {
        return;
    }
    m_gateAlarm = s.alarm;
    const QString message =
        s.alarm ? QStringLiteral("shared limits unreachable (%1): policy '%2' decides")
                      .arg(QString::fromStdString(s.alarmReason), QString::fromStdString(s.policy))
                : QStringLiteral("shared limits reachable again");
    const QJsonObject event{
        {QStringLiteral("kind"),
         s.alarm ? QStringLiteral("shared_down") : QStringLiteral("shared_restored")},
        {QStringLiteral("policy"), QString::fromStdString(s.policy)},
        {QStringLiteral("message"), message},
        {QStringLiteral("at_unix_ms"), static_cast<double>(QDateTime::currentMSecsSinceEpoch())},
    };
    pushAlarm(event, message);
}

void GatewayServer::pushAlarm(const QJsonObject& event, const QString& message) {
    m_alarms.push_back(event);
    while (m_alarms.size() > 100) {
        m_alarms.pop_front();
    }
    const QByteArray sse =
        "event: alarm\ndata: " + QJsonDocument(event).toJson(QJsonDocument::Compact) + "\n\n";
    std::erase_if(m_eventSubscribers, [](const QPointer<HttpResponder>& r) { return !r; });
    for (const auto& subscriber : m_eventSubscribers) {
        subscriber->write(sse);
    }
    Q_EMIT alarm(message);
}

void GatewayServer::addGateStats(QJsonObject& stats) const {
    const AdmissionGate* gate = m_engine ? m_engine->gate() : nullptr;
    if (!gate) {
        return;
    }
    const GateStatus s = gate->status();
    stats.insert(QStringLiteral("shared"),
                 QJsonObject{
                     {QStringLiteral("connected"), s.connected},
                     {QStringLiteral("alarm"), s.alarm},
                     {QStringLiteral("alarm_reason"), QString::fromStdString(s.alarmReason)},
                     {QStringLiteral("mode"), QString::fromStdString(s.mode)},
                     {QStringLiteral("mode_reason"), QString::fromStdString(s.modeReason)},
                     {QStringLiteral("policy"), QString::fromStdString(s.policy)},
                     {QStringLiteral("processes"), s.processes},
                     {QStringLiteral("alarms"), static_cast<double>(s.alarms)},
                     {QStringLiteral("policy_decisions"), static_cast<double>(s.policyDecisions)},
                     {QStringLiteral("waiting"), static_cast<double>(s.waiting)},
                     {QStringLiteral("admitted"), static_cast<double>(s.admitted)},
                 });
}

void GatewayServer::addGateMetrics(QByteArray& out) const {
    const AdmissionGate* gate = m_engine ? m_engine->gate() : nullptr;
    if (!gate) {
        return;
    }
    const GateStatus s = gate->status();
    const auto metric = [&out](const char* name, const char* type, const char* help, double v,
                               const QByteArray& labels = {}) {
        out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n' +
               name + labels + ' ' + QByteArray::number(v, 'g', 12) + '\n';
    };
    metric("sluice_shared_alarm", "gauge",
           "1 while the shared limits' store is unreachable and the failure policy decides.",
           s.alarm ? 1 : 0, "{policy=\"" + QByteArray::fromStdString(s.policy) + "\"}");
    metric("sluice_shared_script_free", "gauge",
           "1 when the store refuses scripts and decisions use WATCH/MULTI.",
           s.mode == "script-free" ? 1 : 0);
    metric("sluice_shared_processes", "gauge", "Processes sharing the limits, last seen.",
           s.processes);
    metric("sluice_shared_alarms_total", "counter", "Times the shared limits' alarm was raised.",
           static_cast<double>(s.alarms));
    metric("sluice_shared_policy_decisions_total", "counter",
           "Admissions decided by the failure policy, without the store.",
           static_cast<double>(s.policyDecisions));
    metric("sluice_shared_waiting", "gauge", "Attempts waiting for the shared limits.",
           static_cast<double>(s.waiting));
}

} // namespace sluice
