#pragma once

#include "core/net/enginetypes.h"

#include <coroutine>
#include <memory>
#include <optional>
#include <utility>

namespace sluice {

/// The end of one engine request, for a coroutine to co_await:
///
///     RequestEnded ended;
///     engine.submit(std::move(request), ended.completion());
///     const RequestRecord record = co_await ended;
///
/// The engine runs a request's completion exactly once, so a coroutine that awaits it always
/// resumes. It resumes synchronously, inside that completion: the code after the co_await has
/// the Completion's re-entrancy contract (RequestEngine::submit()), and must not destroy the
/// engine (the frame must not own it); nothing waits an event-loop turn, so an answer goes out
/// exactly when a completion-callback one would. RequestEngine::run() adds that turn. When the
/// engine ends the request inside submit() (refused at once) the co_await does not suspend.
///
/// One awaiter per request, awaited by one coroutine at most. Copies share one state with the
/// completion, so a copy can tell whether the request has ended (ended()) after the awaiting
/// coroutine's frame is gone.
class RequestEnded {
public:
    /// For RequestEngine::submit(): stores the record and resumes the awaiting coroutine.
    auto completion() const {
        return [state = m_state](const RequestRecord& record) {
            state->record = record;
            if (const std::coroutine_handle<> waiter = std::exchange(state->waiter, {})) {
                waiter.resume();
            }
        };
    }
    /// The request has ended (its completion ran).
    bool ended() const { return m_state->record.has_value(); }

    bool await_ready() const noexcept { return ended(); }
    void await_suspend(std::coroutine_handle<> waiter) noexcept { m_state->waiter = waiter; }
    RequestRecord await_resume() { return *m_state->record; }

private:
    struct State {
        std::optional<RequestRecord> record;
        std::coroutine_handle<> waiter;
    };
    std::shared_ptr<State> m_state = std::make_shared<State>();
};

} // namespace sluice
