#pragma once

#include "core/host/workerthread.h"
#include "core/result.h"
#include "core/server/mock/mockconfig.h"

#include <QJsonObject>
#include <QObject>
#include <QUrl>

namespace sluice {

class MockServer;

/// The built-in mock LLM server (MockServer) on a worker thread of its own, driven from the
/// thread that owns the host without ever blocking it: start() and stop() return at once and
/// report through signals. Lives in (and is called from) one thread; its signals are emitted
/// there.
class MockHost final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MockHost)

public:
    enum class State { Stopped, Starting, Running, Stopping };

    explicit MockHost(QObject* parent = nullptr);
    /// Closes the server in its thread (what is in flight is cut off) and joins the thread.
    ~MockHost() override;

    /// Starts listening on 127.0.0.1:`port` (0 picks a free one) in the worker thread and
    /// returns at once: started(port) or failed(error) follows. An invalid config (the error
    /// names the field) or a host that is not stopped is refused here, and nothing is emitted.
    Result<void> start(const MockConfig& config, quint16 port = 0);
    /// Closes the server; connections in flight are cut off. stopped() follows.
    void stop();

    State state() const { return m_state; }
    bool running() const { return m_state == State::Running; }
    /// The port listened on while running, else 0.
    quint16 port() const { return m_port; }
    /// http://127.0.0.1:PORT/v1 while running, else empty.
    QUrl baseUrl() const;
    MockConfig config() const { return m_config; }
    /// Validates at once (the error names the field, and nothing changes), then applies in the
    /// worker thread while traffic flows; waiting requests are re-evaluated there.
    Result<void> setConfig(const MockConfig& config);
    /// How often stats() reports while running (default 500 ms; 0 = never). From the next start.
    void setStatsInterval(int ms) { m_statsIntervalMs = ms; }

Q_SIGNALS:
    void started(quint16 port);
    /// Listening failed (a port taken, say): kind Unavailable, field "port".
    void failed(const sluice::Error& error);
    void stopped();
    /// The server's GET /mock/stats, every stats interval while it runs.
    void stats(const QJsonObject& stats);

private:
    void onStarted(quint16 port);
    void onFailed(const Error& error);
    void onStopped();

    State m_state = State::Stopped;
    quint16 m_port = 0;
    MockConfig m_config;
    int m_statsIntervalMs = 500;
    /// Touched only in the worker thread (inside m_worker.post()); a child of its context().
    MockServer* m_server = nullptr;
    /// Last member: destroyed (the thread joined) before the members its posted code uses.
    WorkerThread m_worker;
};

} // namespace sluice
