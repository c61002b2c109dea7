// HttpServer when the process runs out of file descriptors: accepting pauses without burning
// CPU, connections already open keep being served, and accepting resumes once descriptors free
// up. (Qt 6.4 pauses a QTcpServer on EMFILE and never resumes it: the server would go deaf.)

#include "core/server/httpresponder.h"
#include "core/server/httpserver.h"
#include "tests/support/httptestclient.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <memory>
#include <vector>

using namespace sluice;
using namespace sluice::test;

namespace {

double processCpuSeconds() {
    timespec t{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

} // namespace

class TestHttpAccept final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void outOfDescriptorsPausesThenResumes();
};

void TestHttpAccept::outOfDescriptorsPausesThenResumes() {
    HttpServer server([](const HttpRequest& r, HttpResponder* w) { w->respond(200, {}, r.path); });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QSignalSpy paused(&server, &HttpServer::acceptPaused);

    // Opened while descriptors last: it must keep being served throughout.
    QTcpSocket early;
    early.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QVERIFY(early.waitForConnected(5000));
    QTRY_COMPARE(server.connectionCount(), 1);

    // Client sockets made now and connected once the process has no descriptor left, so that
    // only the server's accept() fails.
    constexpr int kWaiting = 3;
    std::vector<int> waiting;
    auto closeWaiting = qScopeGuard([&] {
        for (const int fd : waiting) {
            ::close(fd);
        }
    });
    for (int i = 0; i < kWaiting; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        QVERIFY(fd >= 0);
        waiting.push_back(fd);
    }

    // A soft limit at the lowest free descriptor: every lower one is in use, so no new one can
    // be opened. Restored however the test ends.
    rlimit saved{};
    QCOMPARE(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    const int lowestFree = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    QVERIFY(lowestFree >= 0);
    ::close(lowestFree);
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(lowestFree);
    QCOMPARE(::setrlimit(RLIMIT_NOFILE, &low), 0);
    auto restore = qScopeGuard([&] { ::setrlimit(RLIMIT_NOFILE, &saved); });
    const int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int probeErrno = errno;
    if (probe >= 0) {
        ::close(probe);
    }
    QCOMPARE(probe, -1);
    QCOMPARE(probeErrno, EMFILE);

    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server.serverPort());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (const int fd : waiting) {
        const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
        QVERIFY(rc == 0 || errno == EINPROGRESS);
    }

    // Over a bounded stretch while connections cannot be accepted: the open connection is
    // answered, and the process does not spin.
    const double cpuBefore = processCpuSeconds();
    QElapsedTimer wall;
    wall.start();
    QByteArray earlyReply;
    early.write("GET /early HTTP/1.1\r\nHost: a\r\n\r\n");
    QVERIFY(runUntil(
        [&] {
            earlyReply += early.readAll();
            return earlyReply.endsWith("/early") && wall.elapsed() >= 600;
        },
        5000));
    const double cpu = processCpuSeconds() - cpuBefore;
    const double seconds = static_cast<double>(wall.elapsed()) / 1000.0;
    QVERIFY2(earlyReply.startsWith("HTTP/1.1 200 OK\r\n"), earlyReply.constData());
    QVERIFY(server.acceptErrors() >= 1); // it did run out
    QVERIFY2(cpu < 0.25 * seconds,
             qPrintable(QStringLiteral("%1 s CPU in %2 s").arg(cpu).arg(seconds)));
    // Retried on a back-off (every HttpServer::kAcceptRetryMs), not in a loop.
    QVERIFY2(server.acceptErrors() <= 2 + 2 * seconds * 1000 / HttpServer::kAcceptRetryMs,
             QByteArray::number(server.acceptErrors()).constData());
    QCOMPARE(paused.count(), 1); // said once for the whole spell
    QVERIFY(paused.first().first().toString().contains(QStringLiteral("open files")));
    QCOMPARE(server.connectionsAccepted(), 1);

    // Descriptors again: the connections that queued up meanwhile are accepted and served.
    ::setrlimit(RLIMIT_NOFILE, &saved);
    restore.dismiss();
    std::vector<std::unique_ptr<QTcpSocket>> late;
    for (const int fd : waiting) {
        auto socket = std::make_unique<QTcpSocket>();
        QVERIFY(socket->setSocketDescriptor(fd));
        socket->write("GET /late HTTP/1.1\r\nHost: a\r\n\r\n");
        late.push_back(std::move(socket));
    }
    closeWaiting.dismiss(); // the sockets own them now
    std::vector<QByteArray> replies(late.size());
    QVERIFY(runUntil(
        [&] {
            bool all = true;
            for (std::size_t i = 0; i < late.size(); ++i) {
                replies[i] += late[i]->readAll();
                all = all && replies[i].endsWith("/late");
            }
            return all;
        },
        5000));
    QCOMPARE(server.connectionsAccepted(), 1 + kWaiting);
    QTRY_COMPARE(server.connectionCount(), 1 + kWaiting);
}

QTEST_GUILESS_MAIN(TestHttpAccept)
#include "tst_httpaccept.moc"
