#include "core/redis/redisclient.h"
#include "tests/support/redisserver.h"

#include <QSignalSpy>
#include <QTest>

#include <optional>

using namespace sluice;

namespace {

/// Sends and waits (a test helper only; the client itself never blocks).
std::optional<Result<RedisReply>> call(RedisClient& client, QList<QByteArray> args,
                                       int waitMs = 3000) {
    std::optional<Result<RedisReply>> out;
    client.send(args, [&out](Result<RedisReply> r) { out.emplace(std::move(r)); });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), waitMs); }();
    if (!out) {
        out.emplace(
            Error{Error::Kind::Internal, QStringLiteral("test"), QStringLiteral("no answer")});
    }
    return out;
}

} // namespace

class TestRedisClient : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesUrls_data() {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("error"); // field of the error, empty when valid
        QTest::addColumn<QString>("display");
        QTest::newRow("plain") << "redis://127.0.0.1:7000"
                               << ""
                               << "redis://127.0.0.1:7000/0";
        QTest::newRow("default port") << "redis://localhost"
                                      << ""
                                      << "redis://localhost:6379/0";
        QTest::newRow("user pass db") << "redis://bob:s3cret@127.0.0.1:7000/3"
                                      << ""
                                      << "redis://bob:***@127.0.0.1:7000/3";
        QTest::newRow("password alone") << "redis://:s3cret@127.0.0.1:7000"
                                        << ""
                                        << "redis://:***@127.0.0.1:7000/0";
        QTest::newRow("tls") << "rediss://h:6380"
                             << ""
                             << "rediss://h:6380/0";
        QTest::newRow("scheme") << "http://h:1"
                                << "redis url: scheme"
                                << "";
        QTest::newRow("no host") << "redis://:7000"
                                 << "redis url: host"
                                 << "";
        QTest::newRow("port") << "redis://h:99999"
                              << "redis url: port"
                              << "";
        QTest::newRow("port text") << "redis://h:abc"
                                   << "redis url: port"
                                   << "";
        QTest::newRow("db") << "redis://h:1/x"
                            << "redis url: db"
                            << "";
        QTest::newRow("empty") << ""
                               << "redis url: url"
                               << "";
    }
    void parsesUrls() {
        QFETCH(QString, url);
        QFETCH(QString, error);
        QFETCH(QString, display);
        const auto r = RedisUrl::parse(url);
        if (error.isEmpty()) {
            QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().text()));
            QCOMPARE(r->display(), display);
        } else {
            QVERIFY(!r.ok());
            QCOMPARE(r.error().field, error);
        }
    }
    void passwordIsParsedButNeverDisplayed() {
        const auto r = RedisUrl::parse(QStringLiteral("redis://bob:s3cret@h:1/2"));
        QVERIFY(r.ok());
        QCOMPARE(r->user, QStringLiteral("bob"));
        QCOMPARE(r->password, QStringLiteral("s3cret"));
        QCOMPARE(r->db, 2);
        QVERIFY(!r->display().contains(QStringLiteral("s3cret")));
    }

    // The reply reader the client uses: nested replies byte by byte; a huge array header
    // allocates nothing and waits for its elements; a stream nested too deep fails for good.
    void readerTakesRepliesInAnySplit() {
        const QByteArray stream = "+OK\r\n*3\r\n:7\r\n*2\r\n$3\r\nab\n\r\n$-1\r\n-ERR no\r\n*0\r\n";
        RedisReplyReader reader;
        QList<RedisReply> replies;
        for (char c : stream) {
            QVERIFY(reader.feed(QByteArrayView(&c, 1)).ok());
            for (auto next = reader.next(); next.ok() && next.value(); next = reader.next()) {
                replies.append(*next.value());
            }
        }
        QCOMPARE(replies.size(), 3);
        QCOMPARE(replies[0].type, RedisReply::Type::Status);
        QCOMPARE(replies[0].text, QByteArray("OK"));
        const RedisReply& array = replies[1];
        QCOMPARE(array.elements.size(), 3);
        QCOMPARE(array.elements[0].integer, 7);
        QCOMPARE(array.elements[1].elements.size(), 2);
        QCOMPARE(array.elements[1].elements[0].text, QByteArray("ab\n"));
        QVERIFY(array.elements[1].elements[1].isNil());
        QVERIFY(array.elements[2].isError());
        QCOMPARE(array.elements[2].text, QByteArray("ERR no"));
        QCOMPARE(replies[2].type, RedisReply::Type::Array);
        QVERIFY(replies[2].elements.isEmpty());
    }
    void readerRefusesBadStreams() {
        RedisReplyReader huge;
        QVERIFY(huge.feed("*2000000000\r\n:1\r\n").ok());
        const auto waiting = huge.next();
        QVERIFY(waiting.ok() && !waiting.value());

        RedisReplyReader deep;
        QVERIFY(deep.feed("*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n").ok());
        const auto refused = deep.next();
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().field, QStringLiteral("redis protocol"));
        QVERIFY(deep.failed());
        QVERIFY(!deep.feed("+OK\r\n").ok());

        RedisReplyReader bad;
        QVERIFY(bad.feed("?what\r\n").ok());
        QVERIFY(!bad.next().ok());
    }

    void commandsAndPipelining() {
        SKIP_WITHOUT_REDIS();
        RedisServer server;
        QVERIFY(server.start());
        RedisClient client(server.clientConfig());
        auto set = call(client, {"SET", "k", QByteArray("bin\0ary", 7)});
        QVERIFY(set->ok());
        QCOMPARE(set->value().toBytes(), QByteArray("OK"));
        auto get = call(client, {"GET", "k"});
        QCOMPARE(get->value().text, QByteArray("bin\0ary", 7));
        // 500 commands written back to back; replies come back in order.
        std::vector<std::int64_t> got;
        for (int i = 0; i < 500; ++i) {
            client.send({"INCR", "n"}, [&got](Result<RedisReply> r) {
                got.push_back(r.ok() ? r.value().integer : -1);
            });
        }
        QVERIFY(client.inFlight() > 1);
        QTRY_COMPARE(got.size(), std::size_t(500));
        for (int i = 0; i < 500; ++i) {
            QCOMPARE(got[std::size_t(i)], std::int64_t(i + 1));
        }
        auto arr = call(client, {"MGET", "k", "missing"});
        QCOMPARE(arr->value().elements.size(), qsizetype(2));
        QVERIFY(arr->value().elements[1].isNil());
    }

    void errorRepliesAreResults() {
        SKIP_WITHOUT_REDIS();
        RedisServer server;
        QVERIFY(server.start());
        RedisClient client(server.clientConfig());
        auto r = call(client, {"NOSUCHCOMMAND", "x"});
        QVERIFY(!r->ok());
        QVERIFY(RedisClient::isReplyError(r->error()));
        QVERIFY(r->error().message.startsWith(QStringLiteral("ERR unknown command")));
        QVERIFY(call(client, {"PING"})->ok()); // the connection is fine afterwards
    }

    void authAndSelectOnConnect() {
        SKIP_WITHOUT_REDIS();
        RedisServer server({QStringLiteral("--requirepass"), QStringLiteral("pw")});
        QVERIFY(server.start());
        RedisClientConfig c = server.clientConfig();
        c.url = RedisUrl::parse(QStringLiteral("redis://:pw@127.0.0.1:%1/5").arg(server.port()))
                    .value();
        RedisClient client(c);
        QVERIFY(call(client, {"SET", "in5", "1"})->ok());
        RedisClientConfig c0 = c;
        c0.url.db = 0;
        RedisClient other(c0);
        QVERIFY(call(other, {"GET", "in5"})->value().isNil()); // SELECT 5 took effect
        // A wrong password: an error naming it, no crash, no hang.
        RedisClientConfig bad = c;
        bad.url.password = QStringLiteral("wrong");
        RedisClient refused(bad);
        auto r = call(refused, {"PING"});
        QVERIFY(!r->ok());
        QVERIFY2(r->error().message.contains(QStringLiteral("password")),
                 qPrintable(r->error().message));
    }

    void killedServerFailsWithinTimeoutAndReconnects() {
        SKIP_WITHOUT_REDIS();
        RedisServer server;
        QVERIFY(server.start());
        RedisClient client(server.clientConfig(300));
        QSignalSpy ready(&client, &RedisClient::ready);
        QSignalSpy down(&client, &RedisClient::down);
        QVERIFY(call(client, {"PING"})->ok());
        server.kill();
        QElapsedTimer t;
        t.start();
        auto r = call(client, {"PING"}, 2000);
        QVERIFY(!r->ok());
        QVERIFY(r->error().kind == Error::Kind::Unavailable);
        QVERIFY2(t.elapsed() < 400, qPrintable(QString::number(t.elapsed())));
        QVERIFY(down.count() >= 1);
        // While it is down, commands fail at once (or within the connect timeout).
        t.restart();
        QVERIFY(!call(client, {"PING"}, 2000)->ok());
        QVERIFY(t.elapsed() < 400);
        QVERIFY(server.start());
        QTRY_VERIFY_WITH_TIMEOUT(client.isReady(), 3000);
        QVERIFY(call(client, {"PING"})->ok());
        QVERIFY(ready.count() >= 2);
    }

    void unansweredCommandTimesOut() {
        SKIP_WITHOUT_REDIS();
        RedisServer server;
        QVERIFY(server.start());
        RedisClient client(server.clientConfig(300));
        QElapsedTimer t;
        t.start();
        // The server blocks on this for 2 s: the client gives up at its command timeout.
        auto r = call(client, {"BLPOP", "nothing", "2"}, 2000);
        QVERIFY(!r->ok());
        QVERIFY2(r->error().message.contains(QStringLiteral("no reply within")),
                 qPrintable(r->error().message));
        QVERIFY(t.elapsed() < 1000);
        QTRY_VERIFY_WITH_TIMEOUT(client.isReady(), 3000); // reconnected by itself
        QVERIFY(call(client, {"PING"})->ok());
    }

    void nothingListeningIsAnError() {
        RedisServer server; // never started: its port is free
        RedisClient client(server.clientConfig(300));
        auto r = call(client, {"PING"}, 2000);
        QVERIFY(!r->ok());
        QCOMPARE(r->error().field, QStringLiteral("redis"));
    }

    void destroyingFailsWhatIsPending() {
        SKIP_WITHOUT_REDIS();
        RedisServer server;
        QVERIFY(server.start());
        int failed = 0;
        {
            RedisClient client(server.clientConfig());
            client.send({"BLPOP", "nothing", "1"},
                        [&failed](Result<RedisReply> r) { failed += r.ok() ? 0 : 1; });
        }
        QCOMPARE(failed, 1);
    }
};

QTEST_GUILESS_MAIN(TestRedisClient)
#include "tst_redisclient.moc"
