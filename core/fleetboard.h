#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <functional>
#include <optional>

namespace sluice {

/// Where every request of a fleet is: the processes sharing one store (gateways sharing limits
/// through Redis) each publish their own requests' changes and read the others', so any of them
/// can answer /admin/requests/{id} and /admin/events for a request of any other.
///
/// A request is published as the JSON its own process answers for /admin/requests/{id}; the
/// board adds "gateway" (the publishing process) and, when read back, "as_of_ms" (how long ago
/// it was read). Request ids are unique across the fleet: each process numbers its requests from
/// its own idBase().
///
/// Threading: the thread of the process's engine; the listener runs there, never inside
/// publish().
class FleetBoard {
public:
    virtual ~FleetBoard() = default;

    /// This process's name in the fleet (what "gateway" says): `host:pid` until the gateway
    /// names itself `host:port` once it listens.
    virtual QString processName() const = 0;
    virtual void setProcessName(const QString& name) = 0;
    /// Request ids of this process start after this: a random multiple of 2^32 below 2^52
    /// (about a million bases), so ids stay exact as JSON numbers and two processes of a fleet
    /// of ten share a base with odds of about one in 20,000.
    virtual std::uint64_t idBase() const = 0;
    /// This process's requests that changed since the last call (their status JSON).
    virtual void publish(const QJsonArray& requests) = 0;
    /// Another process's request as it last published it (nothing when unknown).
    virtual std::optional<QJsonObject> find(std::uint64_t id) const = 0;
    /// The other processes' requests that have not ended, as last published.
    virtual QJsonArray live() const = 0;
    /// The other processes' requests still in their own queue for one shared queue
    /// (`shared_queue`, not yet `at_shared_gate`) that stand ahead of a request at `order` in
    /// the fleet's order (their `fleet_order` is smaller: AdmissionGate::order()).
    virtual std::uint64_t heldAhead(const QString& sharedQueue, std::int64_t order) const = 0;

    /// Called with the other processes' changes as they are read, each with "gateway".
    using Listener = std::function<void(const QJsonArray& requests)>;
    void setListener(Listener listener) { m_listener = std::move(listener); }

protected:
    void tell(const QJsonArray& requests) const {
        if (m_listener && !requests.isEmpty()) {
            m_listener(requests);
        }
    }

private:
    Listener m_listener;
};

} // namespace sluice
