#pragma once

// The upstreams and settings of the fault matrix (tst_faultmatrix): one fault per upstream,
// fast timings, and the upstream's own counters as the truth.

#include "core/net/enginetypes.h"
#include "core/net/requestengine.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/faultserver.h"
#include "tests/support/mockfixture.h"

#include <QJsonObject>
#include <QTest>

#include <cstdio>
#include <memory>

namespace sluice::test {

enum class Fault {
    ResetBeforeHeaders, ///< mock fault "reset"
    ResetMidStream,     ///< mock fault "reset_midstream"
    StallAfterHeaders,  ///< mock fault "stall" (ended by our transfer timeout)
    Garbage,            ///< GarbageServer: bytes that are not HTTP
    TruncatedChunked,   ///< mock fault "truncate"
    SlowDrip,           ///< a slow mock: every gap under the transfer timeout, the whole over it
    Outage5xx,          ///< mock fault "500" on every request
    ConnectionRefused,  ///< nothing listens
};

inline const char* faultName(Fault f) {
    switch (f) {
    case Fault::ResetBeforeHeaders:
        return "reset before headers";
    case Fault::ResetMidStream:
        return "reset mid-stream";
    case Fault::StallAfterHeaders:
        return "stall after headers";
    case Fault::Garbage:
        return "garbage bytes";
    case Fault::TruncatedChunked:
        return "truncated chunked";
    case Fault::SlowDrip:
        return "slow drip";
    case Fault::Outage5xx:
        return "5xx outage";
    case Fault::ConnectionRefused:
        return "connection refused";
    }
    return "?";
}

/// The transfer timeout of every cell: a stall ends by it, a slow drip (a token every 50 ms,
/// 8 of them) never trips it although the whole reply takes longer.
constexpr auto kTransferTimeout = std::chrono::milliseconds(200);
constexpr int kDripGapMs = 50;
constexpr int kRecoveryRequests = 4;

/// Retries with short fake-ish delays and the default 10% budget; a breaker that opens after
/// 10 calls at 50% failures and tries again after 300 ms with 2 probes.
inline void tuneForMatrix(EngineConfig& c) {
    c.retry.maxAttempts = 3;
    c.retry.baseDelay = std::chrono::milliseconds(5);
    c.retry.maxDelay = std::chrono::milliseconds(20);
    c.retry.budgetRatio = 0.1;
    c.retry.budgetFloor = 0;
    c.breaker.windowCalls = 20;
    c.breaker.minimumCalls = 10;
    c.breaker.failureRate = 0.5;
    c.breaker.openDuration = std::chrono::milliseconds(300);
    c.breaker.halfOpenProbes = 2;
    c.transferTimeout = kTransferTimeout;
}

inline EngineConfig matrixEngineConfig() {
    EngineConfig c;
    c.concurrency.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    c.concurrency.initial = 10;
    tuneForMatrix(c);
    return c;
}

/// The gateway's engine gets the same retry delays, breaker and timeout (its retry count stays
/// the gateway's own: 2 retries, as the matrix's engine).
inline void configureGatewayEngine(RequestEngine& engine) {
    EngineConfig c = engine.config();
    tuneForMatrix(c);
    engine.setRetry(c.retry);
    engine.setBreaker(c.breaker);
    engine.setTransferTimeout(c.transferTimeout);
}

/// The upstream of one cell: the mock dialled to the fault, the garbage server, or a port
/// nothing listens on.
class Upstream {
public:
    explicit Upstream(Fault fault)
        : m_fault(fault) {}

    bool start() {
        if (m_fault == Fault::ConnectionRefused) {
            m_refusedPort = refusedPort();
            return m_refusedPort != 0;
        }
        if (m_fault == Fault::Garbage) {
            m_garbage = std::make_unique<GarbageServer>();
            return m_garbage->listen(QHostAddress::LocalHost, 0);
        }
        MockConfig c = unlimitedMock(5, 1, 8);
        c.stallMs = 10'000; // far beyond the transfer timeout: the client must end it
        switch (m_fault) {
        case Fault::ResetBeforeHeaders:
            c.faults.reset = 1;
            break;
        case Fault::ResetMidStream:
            c.faults.resetMidstream = 1;
            break;
        case Fault::StallAfterHeaders:
            c.faults.stall = 1;
            break;
        case Fault::TruncatedChunked:
            c.faults.truncate = 1;
            break;
        case Fault::SlowDrip:
            c.tpotMs = kDripGapMs;
            break;
        case Fault::Outage5xx:
            c.faults.error500 = 1;
            break;
        default:
            break;
        }
        m_mock = std::make_unique<MockServer>(c);
        return m_mock->listen(QHostAddress::LocalHost, 0);
    }

    QUrl baseUrl() const {
        if (m_mock) {
            return m_mock->baseUrl();
        }
        if (m_garbage) {
            return m_garbage->baseUrl();
        }
        return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_refusedPort));
    }
    /// Requests that reached the upstream, by its own count.
    int requestsSeen() const {
        if (m_mock) {
            return m_mock->statsJson().value(QStringLiteral("requests")).toInt();
        }
        return m_garbage ? m_garbage->requests() : 0;
    }
    /// Exchanges the upstream still holds open.
    int inProgress() const {
        if (m_mock) {
            return m_mock->statsJson().value(QStringLiteral("concurrent")).toInt();
        }
        return m_garbage ? m_garbage->open() : 0;
    }
    int byStatus(const QByteArray& key) const {
        return m_mock ? m_mock->statsJson()
                            .value(QStringLiteral("by_status"))
                            .toObject()
                            .value(QString::fromLatin1(key))
                            .toInt()
                      : 0;
    }
    /// The mock's by_status key every request of the cell ends with (empty: not the mock).
    QByteArray faultStatusKey() const {
        switch (m_fault) {
        case Fault::ResetBeforeHeaders:
            return "reset";
        case Fault::ResetMidStream:
            return "reset_midstream";
        case Fault::StallAfterHeaders:
            return "stall";
        case Fault::TruncatedChunked:
            return "truncated";
        case Fault::SlowDrip:
            return "200";
        case Fault::Outage5xx:
            return "500";
        default:
            return {};
        }
    }
    /// Whether the fault can be switched off for a recovery phase (a mock fault).
    bool canHeal() const { return m_mock && m_fault != Fault::SlowDrip; }
    /// The fault is over: every request from now on is answered in full.
    void heal() {
        MockConfig c = m_mock->config();
        c.faults = {};
        QVERIFY(m_mock->setConfig(c).ok());
        m_mock->resetStats();
    }

private:
    Fault m_fault;
    std::unique_ptr<MockServer> m_mock;
    std::unique_ptr<GarbageServer> m_garbage;
    quint16 m_refusedPort = 0;
};

/// One line per cell, for the record (ctest --output-on-failure, or the binary run by hand).
inline void printCell(const char* path, Fault f, int requests, qint64 ok, qint64 failed,
                      const EngineSnapshot& s, int seen, qint64 circuitOpen, bool breakerOpened,
                      qint64 elapsedMs) {
    QString kinds;
    for (const FailureTally::Entry& e : s.failures) {
        kinds += QStringLiteral("%1:%2 ").arg(e.reason.key()).arg(e.count);
    }
    std::printf("CELL %-8s %-22s requests=%d ok=%lld failed=%lld attempts=%lld retries=%lld "
                "upstream_saw=%d amplification=%.2f circuit_open=%lld breaker_opened=%s %lldms "
                "[%s]\n",
                path, faultName(f), requests, static_cast<long long>(ok),
                static_cast<long long>(failed), static_cast<long long>(s.attempts),
                static_cast<long long>(s.retries), seen, static_cast<double>(s.attempts) / requests,
                static_cast<long long>(circuitOpen), breakerOpened ? "yes" : "no",
                static_cast<long long>(elapsedMs), qPrintable(kinds.trimmed()));
    std::fflush(stdout);
}

} // namespace sluice::test
