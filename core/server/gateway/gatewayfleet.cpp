// GatewayServer's part in a fleet of gateways (a FleetBoard, Redis in `sluice gateway --redis`):
// its requests' changes go to the board, and the admin API answers for the others' requests too.
#include "core/fleetboard.h"
#include "core/server/gateway/gatewayserver.h"
#include "core/server/httpresponder.h"

#include <QJsonDocument>
#include <QUrlQuery>

namespace sluice {

void GatewayServer::setFleet(std::unique_ptr<FleetBoard> board) {
    m_fleet = std::move(board);
    if (!m_fleet) {
        return;
    }
    m_engine->setIdBase(m_fleet->idBase());
    m_engine->setPublishPositions(true);
    // What the others still hold in their own queues counts in every waiting request's place.
    m_engine->setHeldElsewhere([this](const QString& queue, std::int64_t order) {
        return m_fleet ? m_fleet->heldAhead(queue, order) : std::uint64_t{0};
    });
    m_fleet->setListener([this](const QJsonArray& requests) { onFleetRequests(requests); });
}

void GatewayServer::publishToFleet(const QList<RequestUpdate>& updates) {
    if (!m_fleet || updates.isEmpty()) {
        return;
    }
    // What /admin/requests/{id} answers here, so another gateway answers the same; the
    // positions come from the batch (one walk of the queue), not a search per request.
    const Nanos now = m_engine->clock().now();
    QJsonArray requests;
    for (const RequestUpdate& u : updates) {
        if (const auto status = m_engine->status(u.id, u.position, u.fleetPosition)) {
            requests.append(gateway::requestStatusJson(*status, now));
        } else if (const QJsonObject json = requestJson(u.id); !json.isEmpty()) {
            requests.append(json);
        } else {
            requests.append(gateway::updateJson(u));
        }
    }
    m_fleet->publish(requests);
}

void GatewayServer::onFleetRequests(const QJsonArray& requests) {
    std::erase_if(m_eventSubscribers, [](const QPointer<HttpResponder>& r) { return !r; });
    if (m_eventSubscribers.empty()) {
        return;
    }
    QByteArray out;
    for (const QJsonValue& r : requests) {
        out += "event: state\ndata: " + QJsonDocument(r.toObject()).toJson(QJsonDocument::Compact) +
               "\n\n";
    }
    for (const auto& subscriber : m_eventSubscribers) {
        subscriber->write(out);
    }
}

QJsonObject GatewayServer::anyRequestJson(std::uint64_t id) const {
    QJsonObject json = requestJson(id);
    if (!m_fleet) {
        return json;
    }
    if (!json.isEmpty()) {
        json.insert(QStringLiteral("gateway"), m_fleet->processName());
        return json;
    }
    return m_fleet->find(id).value_or(QJsonObject{});
}

QJsonObject GatewayServer::requestListJson(const QByteArray& query) const {
    QJsonObject list = gateway::requestListJson(*m_engine, query);
    if (!m_fleet) {
        return list;
    }
    const QString name = m_fleet->processName();
    QJsonArray requests;
    for (const QJsonValue& v : list.value(QStringLiteral("requests")).toArray()) {
        QJsonObject o = v.toObject();
        o.insert(QStringLiteral("gateway"), name);
        requests.append(o);
    }
    // The others' live requests, filtered as gateway::requestListJson() filters (queued takes
    // waiting_budget in too), after this gateway's own.
    const QString wanted =
        QUrlQuery(QString::fromUtf8(query)).queryItemValue(QStringLiteral("state"));
    for (const QJsonValue& v : m_fleet->live()) {
        const QString state = v.toObject().value(QStringLiteral("state")).toString();
        if (wanted.isEmpty() || wanted == state ||
            (wanted == QLatin1String("queued") && state == QLatin1String("waiting_budget"))) {
            requests.append(v);
        }
    }
    list.insert(QStringLiteral("requests"), requests);
    list.insert(QStringLiteral("count"), requests.size());
    return list;
}

} // namespace sluice
