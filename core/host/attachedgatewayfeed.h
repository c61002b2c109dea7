#pragma once

#include "core/host/attachclient.h"
#include "core/host/gatewayfeed.h"

namespace sluice {

/// The GatewayFeed of a gateway followed through its admin API (Gateway →
/// Attach…, --attach): the AttachClient's answers as the plain values every
/// gateway view takes, so the Clients, Keys, Overhead and Request detail views
/// work attached as they do in process. Lives in the client's thread (the GUI
/// thread); does not own the client, which must outlive it.
class AttachedGatewayFeed final : public GatewayFeed {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AttachedGatewayFeed)

public:
    explicit AttachedGatewayFeed(AttachClient* client, QObject* parent = nullptr);

    bool live() const override;
    QString baseUrl() const override;
    QString description() const override;
    void applyLimits(const QJsonObject& change) override;
    void fetchRequest(std::uint64_t id) override;

private:
    AttachClient* m_client;
    bool m_live = false;
};

} // namespace sluice
