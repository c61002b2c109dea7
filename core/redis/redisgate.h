#pragma once

#include "core/engine/admissiongate.h"
#include "core/redis/sharedadmission.h"

#include <QObject>
#include <QTimer>

#include <deque>
#include <map>
#include <memory>
#include <string>

namespace sluice {

/// The engine's admission gate (AdmissionGate) over Redis: SharedAdmission's budgets, leases and
/// failure policy for a RequestEngine. Asks for one scope wait in a line, in order, and only the
/// first of each line asks Redis (again after the wait Redis gave), so a process sends one
/// decision at a time per scope instead of a herd of them.
///
/// Limits come in the engine's clock time; Redis runs in real time, so their periods are divided
/// by the clock's speed (`speed`, 1 for the real clock): a test on a scaled clock shares
/// scaled windows.
///
/// Threading: the engine's thread (create it there). Owns its SharedAdmission and so its
/// connections. Answers run from its timers or Redis's replies, never inside ask().
class RedisGate final : public QObject, public AdmissionGate {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RedisGate)

public:
    explicit RedisGate(SharedAdmissionConfig config, double speed = 1.0, QObject* parent = nullptr);
    ~RedisGate() override;

    std::uint64_t ask(GateAsk ask, Done done) override;
    void withdraw(std::uint64_t ticket) override;
    void settle(const GateAsk& ask, const std::string& lease, std::int64_t usedTokens) override;
    GateStatus status() const override;

    SharedAdmission& shared() { return *m_shared; }

private:
    struct Waiter {
        GateAsk ask;
        Done done;
    };
    struct Line {
        std::deque<std::uint64_t> order;
        bool asking = false;   ///< the first one's question is with Redis
        bool sleeping = false; ///< waiting for the wait Redis gave
    };
    BudgetLimits realTime(const BudgetLimits& limits) const;
    void schedule(const std::string& key);
    void next(const std::string& key);
    void onVerdict(const std::string& key, std::uint64_t ticket, const SharedVerdict& verdict);

    double m_speed;
    std::unique_ptr<SharedAdmission> m_shared;
    std::map<std::uint64_t, Waiter> m_waiters;
    std::map<std::string, Line> m_lines;
    std::uint64_t m_next = 0;
    std::uint64_t m_admitted = 0;
    bool m_closing = false;
};

} // namespace sluice
