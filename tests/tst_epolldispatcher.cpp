// EpollDispatcher as the application's event dispatcher: timers, sockets, posted events from
// other threads, deferred deletes and nested loops behave as under Qt's own dispatcher.

#include "core/net/epolldispatcher.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>

using namespace sluice;

namespace {

/// A loop, and a queued call that marks `ran` and quits it; run() says whether it ended before
/// a 5 s guard (the test fails rather than hangs).
struct PostedQuit {
    QEventLoop loop;
    bool ran = false;

    void post() {
        QMetaObject::invokeMethod(
            &loop,
            [this] {
                ran = true;
                loop.quit();
            },
            Qt::QueuedConnection);
    }
    bool run() {
        QTimer guard;
        guard.setSingleShot(true);
        QObject::connect(&guard, &QTimer::timeout, &loop, &QEventLoop::quit);
        guard.start(5000);
        loop.exec();
        return guard.isActive();
    }
};

} // namespace

class TstEpollDispatcher : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void isInstalled() {
        QVERIFY(qobject_cast<EpollDispatcher*>(QAbstractEventDispatcher::instance()));
    }

    void singleShotFiresOnTime() {
        QElapsedTimer clock;
        clock.start();
        QTimer timer;
        timer.setSingleShot(true);
        timer.setTimerType(Qt::PreciseTimer);
        QSignalSpy fired(&timer, &QTimer::timeout);
        timer.start(30);
        QVERIFY(timer.remainingTime() > 0);
        QVERIFY(fired.wait(2000));
        QVERIFY2(clock.elapsed() >= 30, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(fired.count(), 1);
        QVERIFY(!timer.isActive());
    }

    void repeatingTimerAndStop() {
        QTimer timer;
        int ticks = 0;
        connect(&timer, &QTimer::timeout, this, [&] {
            if (++ticks == 3) {
                timer.stop();
            }
        });
        timer.start(5);
        QTRY_COMPARE_WITH_TIMEOUT(ticks, 3, 2000);
        QVERIFY(!timer.isActive());
        QTimer later; // a stopped timer stays stopped while others run
        later.setSingleShot(true);
        QSignalSpy spy(&later, &QTimer::timeout);
        later.start(30);
        QVERIFY(spy.wait(2000));
        QCOMPARE(ticks, 3);
    }

    void timersFireInOrder() {
        QList<int> order;
        QTimer::singleShot(40, Qt::PreciseTimer, this, [&] { order << 40; });
        QTimer::singleShot(10, Qt::PreciseTimer, this, [&] { order << 10; });
        QTimer::singleShot(25, Qt::CoarseTimer, this, [&] { order << 25; });
        QTRY_COMPARE_WITH_TIMEOUT(order.size(), 3, 2000);
        QCOMPARE(order, (QList<int>{10, 25, 40}));
    }

    void deletedTimerObjectNeverFires() {
        auto* timer = new QTimer;
        bool fired = false;
        connect(timer, &QTimer::timeout, this, [&] { fired = true; });
        timer->start(5);
        delete timer;
        QTimer done;
        done.setSingleShot(true);
        QSignalSpy spy(&done, &QTimer::timeout);
        done.start(30);
        QVERIFY(spy.wait(2000));
        QVERIFY(!fired);
    }

    void postFromAnotherThreadWakesTheLoop() {
        PostedQuit post;
        QThread* thread = QThread::create([&post] { post.post(); });
        thread->start();
        const bool inTime = post.run();
        thread->wait();
        delete thread;
        QVERIFY(post.ran);
        QVERIFY(inTime);
    }

    void postFromTheLoopsOwnThreadDoesNotSleep() {
        // A post from the loop's own thread writes no eventfd: one made at aboutToBlock, after
        // the posted events were sent, must still keep the wait from sleeping.
        PostedQuit post;
        QMetaObject::Connection once;
        once = connect(QAbstractEventDispatcher::instance(),
                       &QAbstractEventDispatcher::aboutToBlock, this, [&] {
                           disconnect(once);
                           post.post();
                       });
        const bool inTime = post.run();
        QVERIFY(post.ran);
        QVERIFY(inTime);
    }

    void processEventsCountsAPostFromItsOwnThread() {
        // As the eventfd it no longer writes would: a turn that sends a post made from this
        // thread reports work done, so processEvents(flags, maximum time) keeps going.
        QCoreApplication::processEvents(); // this thread's dispatcher has run
        bool ran = false;
        QMetaObject::invokeMethod(
            this, [&ran] { ran = true; }, Qt::QueuedConnection);
        QVERIFY(QAbstractEventDispatcher::instance()->processEvents(QEventLoop::AllEvents));
        QVERIFY(ran);
    }

    void deleteLaterRuns() {
        QPointer<QObject> object = new QObject;
        object->deleteLater();
        QTRY_VERIFY_WITH_TIMEOUT(object.isNull(), 2000);
    }

    void nestedLoopRunsTimers() {
        QEventLoop outer;
        bool innerDone = false;
        QTimer::singleShot(1, this, [&] {
            QEventLoop inner;
            QTimer::singleShot(10, &inner, [&] {
                innerDone = true;
                inner.quit();
            });
            inner.exec();
            outer.quit();
        });
        QTimer::singleShot(5000, &outer, &QEventLoop::quit);
        outer.exec();
        QVERIFY(innerDone);
    }

    void loopbackSocketsExchangeData() {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        QList<QTcpSocket*> clients;
        QByteArray echoed;
        connect(&server, &QTcpServer::newConnection, this, [&] {
            while (QTcpSocket* s = server.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [s] { s->write(s->readAll()); });
            }
        });
        constexpr int kSockets = 50;
        int received = 0;
        for (int i = 0; i < kSockets; ++i) {
            auto* c = new QTcpSocket(this);
            clients << c;
            connect(c, &QTcpSocket::connected, c,
                    [c, i] { c->write("hello " + QByteArray::number(i) + '\n'); });
            connect(c, &QTcpSocket::readyRead, c, [c, &received, &echoed, i] {
                const QByteArray line = c->readAll();
                if (i == 7) {
                    echoed = line;
                }
                ++received;
            });
            c->connectToHost(QHostAddress::LocalHost, server.serverPort());
        }
        QTRY_COMPARE_WITH_TIMEOUT(received, kSockets, 5000);
        QCOMPARE(echoed, QByteArray("hello 7\n"));
        // The server closes one: its client hears of it.
        QSignalSpy closed(clients.first(), &QTcpSocket::disconnected);
        const QList<QTcpSocket*> accepted = server.findChildren<QTcpSocket*>();
        QCOMPARE(accepted.size(), kSockets);
        for (QTcpSocket* s : accepted) {
            if (s->peerPort() == clients.first()->localPort()) {
                s->close();
            }
        }
        QVERIFY(closed.wait(2000));
        qDeleteAll(clients);
    }
};

int main(int argc, char** argv) {
    QCoreApplication::setEventDispatcher(new EpollDispatcher);
    QCoreApplication app(argc, argv);
    TstEpollDispatcher test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_epolldispatcher.moc"
