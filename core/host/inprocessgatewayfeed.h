#pragma once

#include "core/host/gatewayfeed.h"
#include "core/host/gatewayhost.h"

#include <QTimer>

namespace sluice {

/// A gateway the console runs itself (a GatewayHost, on its worker thread), seen as a
/// GatewayFeed: the engine's snapshots and request updates as it emits them, /admin/stats
/// twice a second, the config at every version, request details on demand. Lives in the GUI
/// thread; everything from the gateway's thread arrives as queued value copies.
class InProcessGatewayFeed final : public GatewayFeed {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InProcessGatewayFeed)

public:
    explicit InProcessGatewayFeed(QObject* parent = nullptr);
    /// The host's destructor closes the gateway and joins its thread.
    ~InProcessGatewayFeed() override;

    /// Starts the gateway (refused, naming the field, when the config is invalid or one runs):
    /// started(port) or failed(error) follows.
    Result<void> start(const GatewayConfig& config);
    /// Closes the gateway; every request in flight ends. stopped() follows.
    void stop();
    bool running() const { return m_host.running(); }
    bool starting() const { return m_host.state() == GatewayHost::State::Starting; }
    quint16 port() const { return m_host.port(); }
    GatewayHost::State state() const { return m_host.state(); }
    const GatewayConfig& startConfig() const { return m_host.config(); }

    bool live() const override { return m_host.running(); }
    QString baseUrl() const override;
    QString description() const override;
    void applyLimits(const QJsonObject& change) override;
    void fetchRequest(std::uint64_t id) override;

Q_SIGNALS:
    void started(quint16 port);
    void failed(const sluice::Error& error);
    void stopped();

private:
    void onStarted(quint16 port);
    void pollStats();

    QTimer m_statsTimer;
    bool m_statsPending = false; ///< one /admin/stats at a time: a busy gateway is not flooded
    /// Last member: destroyed first, so its thread is joined before the timer and this object's
    /// queued calls go.
    GatewayHost m_host;
};

} // namespace sluice
