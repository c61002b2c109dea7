// Concurrent streams held by the engine, counted by the server (GET /mock/stats of a separately
// running `sluice mock`), and the engine's memory per 1,000 requests in flight.
//   bench_streams URL [streams]     e.g. bench_streams http://127.0.0.1:18080 5000
#include "core/net/requestengine.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>

#include <sys/resource.h>

#include <cstdio>
#include <fstream>

using namespace sluice;

namespace {

double rssMb() {
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1048576.0;
}

} // namespace

int main(int argc, char** argv) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_streams URL [streams]\n");
        return 2;
    }
    const QUrl base(QString::fromLocal8Bit(argv[1]));
    const int streams = argc > 2 ? std::atoi(argv[2]) : 5000;

    EngineConfig config;
    config.concurrency.algorithm = ConcurrencyConfig::Algorithm::Fixed;
    config.concurrency.initial = streams;
    config.concurrency.max = streams;
    config.queue.capacity = static_cast<std::size_t>(streams);
    config.transferTimeout = std::chrono::seconds(120);
    RequestEngine engine(config);
    QNetworkAccessManager statsClient;

    const double before = rssMb();
    double peakRss = before;
    int serverPeak = 0;
    double heldRss = 0; // when the server first holds every stream, before any answer
    int done = 0;
    int failed = 0;
    for (int i = 0; i < streams; ++i) {
        const EngineRequest r =
            chatRequest(ApiFormat::OpenAi, QUrl(base.toString() + QStringLiteral("/v1")),
                        QByteArrayLiteral("sk-bench-streams-000000"), QStringLiteral("mock-1"),
                        {{QStringLiteral("user"), QStringLiteral("hello")}}, 2);
        engine.submit(r, [&](const RequestRecord& rec) {
            ++done;
            failed += rec.state != RequestState::Done;
            if (done == streams) {
                QTimer::singleShot(200, &app, &QCoreApplication::quit);
            }
        });
    }
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &app, [&] {
        peakRss = std::max(peakRss, rssMb());
        QNetworkReply* reply =
            statsClient.get(QNetworkRequest(QUrl(base.toString() + QStringLiteral("/mock/stats"))));
        QObject::connect(reply, &QNetworkReply::finished, &app, [&, reply] {
            const QJsonObject o = QJsonDocument::fromJson(reply->readAll()).object();
            serverPeak = std::max(serverPeak, o.value(QStringLiteral("concurrent")).toInt());
            if (heldRss == 0 && serverPeak >= streams) {
                heldRss = rssMb();
            }
            reply->deleteLater();
        });
    });
    poll.start(100);
    QTimer::singleShot(180000, &app, &QCoreApplication::quit); // bounded
    app.exec();
    std::printf("streams asked %d, finished %d (failed %d)\n", streams, done, failed);
    std::printf("server-side concurrent peak %d (%.1f%% of asked; target >= 95%%)\n", serverPeak,
                100.0 * serverPeak / streams);
    std::printf("engine RSS %.1f MB before, %.1f MB with all streams waiting for their first byte "
                "(%.1f MB per 1,000), %.1f MB at peak with answers arriving (%.1f MB per 1,000)\n",
                before, heldRss, (heldRss - before) / (streams / 1000.0), peakRss,
                (peakRss - before) / (serverPeak / 1000.0));
    return serverPeak >= streams * 95 / 100 ? 0 : 1;
}
