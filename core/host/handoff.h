#pragma once

#include <QObject>

#include <type_traits>
#include <utility>

#if defined(__SANITIZE_THREAD__)
#define SLUICE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SLUICE_TSAN 1
#endif
#endif

#ifdef SLUICE_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace sluice {

/// For ThreadSanitizer (no-ops elsewhere): everything this thread did before
/// handOffRelease(token) happens before what a thread does after a handOffAcquire(token) that
/// follows it. Only for an order something TSan cannot see already gives (Qt's locks and
/// queues, a detached thread's end), named where it is used.
inline void handOffRelease([[maybe_unused]] const void* token) {
#ifdef SLUICE_TSAN
    __tsan_release(const_cast<void*>(token));
#endif
}
inline void handOffAcquire([[maybe_unused]] const void* token) {
#ifdef SLUICE_TSAN
    __tsan_acquire(const_cast<void*>(token));
#endif
}

/// A function handed to another thread through Qt's posted-event queue (a queued
/// QMetaObject::invokeMethod), with the hand-off told to ThreadSanitizer.
///
/// What orders the posting thread's writes (the captures, the slot object Qt wraps the function
/// in) before the receiving thread's reads is the lock of Qt's posted-event queue. Qt is not
/// built with TSan and that lock is a futex TSan does not see, so without help every posted call
/// would be reported as a race on its own captures. A HandOff releases on its own address once
/// it is in place (the last thing written before Qt takes the slot object) and acquires on it
/// before the function runs; it releases again when the function returns and acquires before it
/// is destroyed, since the last of the posting call and the event to let go of Qt's slot object
/// destroys it, in its own thread (or the receiver's, dropping a call unrun when it is deleted
/// first). That is exactly the order the queue and the slot object's count give, no more: races
/// inside the function stay visible.
///
/// Outside TSan builds it is the function itself, moved. Used by WorkerThread::post() and for
/// every call a worker hands back to its owner's thread (see the hosts).
template <typename F> class HandOff {
public:
    explicit HandOff(F f)
        : m_f(std::move(f)) {
        release();
    }
    HandOff(const HandOff& other)
        : m_f(other.m_f) {
        release();
    }
    HandOff(HandOff&& other) noexcept(std::is_nothrow_move_constructible_v<F>)
        : m_f(std::move(other.m_f)) {
        release();
    }
    HandOff& operator=(const HandOff&) = delete;
    HandOff& operator=(HandOff&&) = delete;
    /// Acquires first: a call dropped unrun destroys its captures in the receiving thread.
    ~HandOff() { acquire(); }

    /// Releases again when done: Qt's slot object is shared by the event and the posting call,
    /// and whichever lets go last destroys it (and the captures), in either thread.
    decltype(auto) operator()() {
        acquire();
        struct Done {
            HandOff* self;
            ~Done() { self->release(); }
        } done{this};
        return m_f();
    }

private:
    void release() { handOffRelease(this); }
    void acquire() { handOffAcquire(this); }

    F m_f;
};

template <typename F> HandOff<std::decay_t<F>> handOff(F&& f) {
    return HandOff<std::decay_t<F>>(std::forward<F>(f));
}

/// Runs `f` in `receiver`'s thread, after what was posted there before (queued; returns at once;
/// dropped, unrun, when the receiver is deleted first), its captures handed off. Thread-safe.
template <typename F> void handOffTo(QObject* receiver, F&& f) {
    QMetaObject::invokeMethod(receiver, handOff(std::forward<F>(f)), Qt::QueuedConnection);
}

} // namespace sluice
