#pragma once

// Test functions that assert real-time precision (a rate reached within a set time, a schedule
// kept to the millisecond, a server's window counted against the wall clock) say so with
// SLUICE_SKIP_IF_UNTIMED() on their first line. They run everywhere, except where
// SLUICE_SKIP_TIMED=1 is set: scripts/sanitize sets it, because the sanitizers slow every memory
// access (AddressSanitizer 2-3x, ThreadSanitizer 5-15x) and such a check then fails without
// anything being wrong. Their threads and hand-offs are the same as in the functions that still
// run there. A function whose other checks still matter there (a limit never exceeded) asks
// timedTestsSkipped() for the timed check alone.
// SLUICE_SANITIZE_TIMED=1 makes scripts/sanitize leave it unset and run them all.
#include <QTest>

namespace sluice::test {

inline bool timedTestsSkipped() {
    return qEnvironmentVariableIntValue("SLUICE_SKIP_TIMED") == 1;
}

} // namespace sluice::test

#define SLUICE_SKIP_IF_UNTIMED()                                                                   \
    do {                                                                                           \
        if (::sluice::test::timedTestsSkipped()) {                                                 \
            QSKIP("asserts real-time precision; skipped under SLUICE_SKIP_TIMED=1 (a sanitizer's " \
                  "slowdown)");                                                                    \
        }                                                                                          \
    } while (false)
