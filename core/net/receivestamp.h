#pragma once

#include <QtGlobal>

namespace sluice {

/// When bytes waiting on a plain-TCP socket reached this machine, from the kernel's own receive
/// stamp (SO_TIMESTAMPNS), so a busy client does not count its own delay in reading them as the
/// server's latency. Linux only; elsewhere enableReceiveStamps() is false and peekStamped()
/// finds nothing.
///
/// Thread-safe (plain syscalls on the descriptor); the caller owns the socket.

/// Asks the kernel to stamp what arrives on `fd` from now on; false when it cannot.
bool enableReceiveStamps(qintptr fd);

struct PeekedBytes {
    qint64 size = 0;      ///< bytes copied (not consumed); <= 0: none (drained, closed, failed)
    qint64 arrivedNs = 0; ///< when the newest of them arrived, steady_clock ns; 0: unknown
};

/// Copies up to `max` waiting bytes into `data` without consuming them, with their arrival
/// time. The caller then reads exactly `size` bytes through its socket as usual, so the socket's
/// own state (Qt's read notifier, its view of the peer's close) stays its own.
PeekedBytes peekStamped(qintptr fd, char* data, qint64 max);

} // namespace sluice
