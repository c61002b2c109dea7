#pragma once

#include "core/engine/admissiongate.h"
#include "core/engine/clock.h"
#include "core/fleetboard.h"
#include "core/host/workerthread.h"
#include "core/result.h"
#include "core/server/gateway/gatewayconfig.h"

#include <QJsonObject>
#include <QObject>

#include <functional>
#include <memory>

namespace sluice {

class GatewayServer;

/// The gateway (a GatewayServer and its RequestEngine) on a worker thread of its own, driven
/// from the thread that owns the host without ever blocking it: start() and stop() return at
/// once and report through signals. `sluice gateway` runs it from its main thread; the console
/// can run one beside its mock. Lives in (and is called from) one thread; its signals are
/// emitted there.
class GatewayHost final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayHost)

public:
    enum class State { Stopped, Starting, Running, Stopping };

    explicit GatewayHost(QObject* parent = nullptr);
    /// Closes the gateway in its thread (what is in flight ends) and joins the thread.
    ~GatewayHost() override;

    /// Listens on the config's address and port in the worker thread and returns at once:
    /// started(port) or failed(error) follows. Refused here, with nothing emitted, when not
    /// stopped.
    Result<void> start(const GatewayConfig& config);
    /// Closes the listening socket and every connection, and ends every request in flight
    /// (each in exactly one terminal state). stopped() follows.
    void stop();

    /// Makes the gateway's shared admission gate (`--redis`): called in the worker thread with
    /// the engine's clock, before the gateway listens. Set before start().
    using GateFactory = std::function<std::unique_ptr<AdmissionGate>(const Clock& clock)>;
    void setGateFactory(GateFactory factory) { m_gateFactory = std::move(factory); }
    /// Makes the board the gateway shares its requests on with other gateways (`--redis`):
    /// called in the worker thread before the gateway listens. Set before start().
    using FleetFactory = std::function<std::unique_ptr<FleetBoard>()>;
    void setFleetFactory(FleetFactory factory) { m_fleetFactory = std::move(factory); }

    State state() const { return m_state; }
    bool running() const { return m_state == State::Running; }
    /// The port listened on while running, else 0.
    quint16 port() const { return m_port; }
    /// The config given to start(); live changes arrive through configChanged().
    const GatewayConfig& config() const { return m_config; }

    /// Runs `f` with the gateway in its thread, when it runs (queued, in order, returns at
    /// once). `f` must not keep the reference, and hands results back by value, queued.
    void post(std::function<void(GatewayServer&)> f);

Q_SIGNALS:
    void started(quint16 port);
    /// Listening failed (a port taken, say): kind Unavailable, field "listen".
    void failed(const sluice::Error& error);
    void stopped();
    /// The limits changed through the admin API.
    void configChanged(const sluice::GatewayConfig& config);
    /// An alarm the operator must see (a key the provider refused, retired from the pool).
    void alarm(const QString& message);

private:
    void onStarted(quint16 port);
    void onFailed(const Error& error);
    void onStopped();

    State m_state = State::Stopped;
    quint16 m_port = 0;
    GatewayConfig m_config;
    GateFactory m_gateFactory;
    FleetFactory m_fleetFactory;
    /// Touched only in the worker thread (inside m_worker.post()); a child of its context().
    GatewayServer* m_server = nullptr;
    /// Last member: destroyed (the thread joined) before the members its posted code uses.
    WorkerThread m_worker;
};

} // namespace sluice
