#pragma once

// Qt Test's QVERIFY/QCOMPARE `return;` on failure, which a coroutine cannot do. These are QCoro's
// own test macros (qcoro/tests/testobject.h, not installed with the library): the same checks,
// ending the coroutine with `co_return`. A test function runs its coroutine to the end with
// QCoro::waitFor() and then asks QTest::currentTestFailed() nothing more: a failed check has
// already been recorded.
#include <QTest>

#define QCORO_VERIFY(statement)                                                                    \
    do {                                                                                           \
        if (!QTest::qVerify(static_cast<bool>(statement), #statement, "", __FILE__, __LINE__)) {   \
            co_return;                                                                             \
        }                                                                                          \
    } while (false)

#define QCORO_VERIFY2(statement, description)                                                      \
    do {                                                                                           \
        if (!QTest::qVerify(static_cast<bool>(statement), #statement, (description), __FILE__,     \
                            __LINE__)) {                                                           \
            co_return;                                                                             \
        }                                                                                          \
    } while (false)

#define QCORO_COMPARE(actual, expected)                                                            \
    do {                                                                                           \
        if (!QTest::qCompare(actual, expected, #actual, #expected, __FILE__, __LINE__)) {          \
            co_return;                                                                             \
        }                                                                                          \
    } while (false)

#define QCORO_FAIL(message)                                                                        \
    do {                                                                                           \
        QTest::qFail(static_cast<const char*>(message), __FILE__, __LINE__);                       \
        co_return;                                                                                 \
    } while (false)
