#include "core/host/attachedgatewayfeed.h"

#include <utility>

namespace sluice {

AttachedGatewayFeed::AttachedGatewayFeed(AttachClient* client, QObject* parent)
    : GatewayFeed(parent)
    , m_client(client) {
    connect(client, &AttachClient::snapshot, this, &GatewayFeed::snapshot);
    connect(client, &AttachClient::requestsUpdated, this, &GatewayFeed::requestsUpdated);
    connect(client, &AttachClient::alarm, this, &GatewayFeed::alarm);
    connect(client, &AttachClient::configJson, this, &GatewayFeed::configChanged);
    connect(client, &AttachClient::statsJson, this, [this](const QJsonObject& json) {
        if (auto stats = parseGatewayStats(json)) {
            Q_EMIT statsUpdated(*stats);
        }
    });
    connect(client, &AttachClient::limitsRefused, this,
            [this](const Error& error) { Q_EMIT limitsRefused(error.text()); });
    connect(client, &AttachClient::requestJson, this,
            [this](std::uint64_t id, const QJsonObject& json) {
                if (auto detail = parseGatewayRequest(json)) {
                    Q_EMIT requestDetail(*detail);
                } else {
                    Q_EMIT requestDetailMissing(id);
                }
            });
    connect(client, &AttachClient::requestMissing, this, &GatewayFeed::requestDetailMissing);
    // Only the turns of live: a gateway retried with a backoff goes Connecting → Disconnected
    // again and again, and each would be a marker on the charts. The reason in words is the
    // AttachClient's (detail()), for the status line.
    connect(client, &AttachClient::stateChanged, this,
            [this](AttachClient::State state, const QString& detail) {
                const bool live = state == AttachClient::State::Attached;
                if (live != std::exchange(m_live, live)) {
                    Q_EMIT liveChanged(live, live ? description() : detail);
                }
            });
}

bool AttachedGatewayFeed::live() const {
    return m_client->state() == AttachClient::State::Attached;
}

QString AttachedGatewayFeed::baseUrl() const {
    return m_client->url().toString();
}

QString AttachedGatewayFeed::description() const {
    return tr("attached to %1").arg(baseUrl());
}

void AttachedGatewayFeed::applyLimits(const QJsonObject& change) {
    m_client->postConfig(change);
}

void AttachedGatewayFeed::fetchRequest(std::uint64_t id) {
    m_client->fetchRequest(id);
}

} // namespace sluice
