#include "core/net/precisewake.h"

#include <QSocketNotifier>

#include <algorithm>
#include <cstdint>

#ifdef __linux__
#include <sys/timerfd.h>
#include <unistd.h>
#endif

namespace sluice {

PreciseWake::PreciseWake(QObject* parent)
    : QObject(parent) {
#ifdef __linux__
    m_fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (m_fd >= 0) {
        m_notifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
        connect(m_notifier, &QSocketNotifier::activated, this, &PreciseWake::onReadable);
    }
#endif
}

PreciseWake::~PreciseWake() {
    delete m_notifier; // unregistered while its descriptor is still open
#ifdef __linux__
    if (m_fd >= 0) {
        ::close(m_fd);
    }
#endif
}

void PreciseWake::startAt(Nanos steadyTime) {
#ifdef __linux__
    if (m_fd < 0) {
        return;
    }
    // An all-zero time disarms a timerfd: a time at or before the clock's origin is 1 ns, which
    // has passed, so the timer fires at once as asked.
    const std::int64_t ns = std::max<std::int64_t>(1, steadyTime.count());
    itimerspec spec{};
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    // Setting the time also clears an expiry not read yet, so an earlier arming cannot fire.
    m_armed = ::timerfd_settime(m_fd, TFD_TIMER_ABSTIME, &spec, nullptr) == 0;
#else
    (void)steadyTime;
#endif
}

void PreciseWake::stop() {
    m_armed = false;
#ifdef __linux__
    if (m_fd >= 0) {
        const itimerspec off{};
        ::timerfd_settime(m_fd, 0, &off, nullptr);
    }
#endif
}

void PreciseWake::onReadable() {
#ifdef __linux__
    std::uint64_t expirations = 0;
    // Reading clears the descriptor's readiness (the notifier is level-triggered); EAGAIN means
    // a re-arming cleared it first.
    if (::read(m_fd, &expirations, sizeof expirations) != sizeof expirations) {
        return;
    }
#endif
    if (!m_armed) {
        return;
    }
    m_armed = false;
    Q_EMIT timeout();
}

} // namespace sluice
