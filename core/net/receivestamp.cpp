#include "core/net/receivestamp.h"

#include <algorithm>

#ifdef Q_OS_LINUX
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#endif

namespace sluice {

#ifdef Q_OS_LINUX

namespace {

qint64 nanos(clockid_t clock) {
    timespec t{};
    clock_gettime(clock, &t);
    return static_cast<qint64>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

} // namespace

bool enableReceiveStamps(qintptr fd) {
    const int on = 1;
    return fd >= 0 &&
           ::setsockopt(static_cast<int>(fd), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
}

PeekedBytes peekStamped(qintptr fd, char* data, qint64 max) {
    PeekedBytes out;
    if (fd < 0 || max <= 0) {
        return out;
    }
    iovec io{data, static_cast<std::size_t>(max)};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr m{};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(static_cast<int>(fd), &m, MSG_PEEK | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    out.size = n;
    if (n <= 0) {
        return out;
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            timespec ts{};
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            const qint64 real = static_cast<qint64>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
            // The stamp is wall-clock time: carried onto the steady clock through the two
            // clocks' readings now (microseconds apart), never later than now.
            const qint64 steadyNow = nanos(CLOCK_MONOTONIC);
            const qint64 arrived = real - (nanos(CLOCK_REALTIME) - steadyNow);
            if (real > 0 && arrived > 0) {
                out.arrivedNs = std::min(arrived, steadyNow);
            }
        }
    }
    return out;
}

#else

bool enableReceiveStamps(qintptr) {
    return false;
}

PeekedBytes peekStamped(qintptr, char*, qint64) {
    return {};
}

#endif

} // namespace sluice
