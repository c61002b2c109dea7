// Requests table cost: a QTableView (1280x800) over RequestFilterModel over RequestTableModel,
// fed like the engine feeds it: `rate` requests/s (default 1,000) as 10 Hz batches, each request
// queued → in flight → streaming → done over ~1 s (2% fail, 1% retry once, 1% rejected at once),
// until the table holds `rows` (default 100,000), then `steady` seconds more (default 30), while
// the oldest rows are dropped.
//
//   bench_requestmodel [--rows N] [--rate R] [--steady S] [--sort COLUMN] [--desc]
//                      [--filter all|active|queued|inflight|retrying|done|failed]
//                      [--prefill N] [--no-vheader] [--no-view]
//
// COLUMN: id, priority, state, attempts, status, ttft, latency (default: none, the model order).
// For experiments: --prefill starts with N finished rows (ids from 1e9, so they sort apart),
// --no-vheader hides the row-number header, --no-view times the models alone.
// Per batch it times apply() plus a forced viewport()->repaint(), so the figure includes what
// the view does about the batch. A 10 ms PreciseTimer probes the event loop: its lateness is
// what the rest of the GUI feels. RSS is VmRSS from /proc/self/status.
// The platform comes from QT_QPA_PLATFORM (offscreen unless set).
#include "ui/models/requestfiltermodel.h"
#include "ui/models/requesttablemodel.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QHeaderView>
#include <QTableView>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <queue>
#include <random>
#include <vector>

using namespace sluice;

namespace {

double threadCpuMs() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double rssMb() {
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly)) {
        return 0;
    }
    for (const QByteArray& line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            return line.mid(6).trimmed().split(' ').value(0).toDouble() / 1024.0;
        }
    }
    return 0;
}

struct Stats {
    std::vector<double> ms;
    void add(double v) { ms.push_back(v); }
    double at(double q) {
        if (ms.empty()) {
            return 0;
        }
        std::sort(ms.begin(), ms.end());
        return ms[std::min(ms.size() - 1,
                           static_cast<std::size_t>(q * static_cast<double>(ms.size())))];
    }
    double max() { return ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()); }
};

/// One scheduled state change.
struct Event {
    double at; ///< seconds since start
    RequestUpdate update;
    bool operator>(const Event& o) const { return at > o.at; }
};

/// Engine-like traffic in wall time: what arrived and what changed since the last batch.
class Feed {
public:
    explicit Feed(double rate)
        : m_rate(rate) {}

    QList<RequestUpdate> batch(double now) {
        QList<RequestUpdate> out;
        const auto due = static_cast<std::uint64_t>(now * m_rate);
        std::int64_t position = 0;
        for (; m_created < due; ++m_created) {
            arrive(now, position++, out);
        }
        while (!m_events.empty() && m_events.top().at <= now) {
            out.push_back(m_events.top().update);
            m_events.pop();
        }
        return out;
    }

private:
    void arrive(double now, std::int64_t position, QList<RequestUpdate>& out) {
        RequestUpdate u;
        u.id = m_created + 1;
        u.priority = static_cast<int>(m_rng() % 3);
        const double roll = uniform(0, 1);
        if (roll < 0.01) {
            u.state = RequestState::Rejected;
            out.push_back(u);
            return;
        }
        u.state = RequestState::Queued;
        u.position = position;
        out.push_back(u);
        u.position = -1;
        double t = now + uniform(0.05, 0.3);
        u.state = RequestState::InFlight;
        u.attempts = 1;
        schedule(t, u);
        if (roll < 0.02) { // one retry
            t += uniform(0.1, 0.2);
            u.state = RequestState::Retrying;
            u.status = 429;
            schedule(t, u);
            t += uniform(0.1, 0.2);
            u.state = RequestState::InFlight;
            u.attempts = 2;
            schedule(t, u);
        }
        const double sent = t;
        t += uniform(0.1, 0.4);
        u.state = RequestState::Streaming;
        u.status = 200;
        u.ttft = Nanos(static_cast<std::int64_t>((t - sent) * 1e9));
        schedule(t, u);
        t = std::max(t + 0.05, now + uniform(0.8, 1.2));
        u.state = roll > 0.98 ? RequestState::Failed : RequestState::Done;
        u.status = u.state == RequestState::Failed ? 500 : 200;
        u.e2e = Nanos(static_cast<std::int64_t>((t - now) * 1e9));
        schedule(t, u);
    }
    void schedule(double at, const RequestUpdate& u) { m_events.push(Event{at, u}); }
    double uniform(double lo, double hi) {
        return std::uniform_real_distribution<double>(lo, hi)(m_rng);
    }

    double m_rate;
    std::uint64_t m_created = 0;
    std::mt19937_64 m_rng{42};
    std::priority_queue<Event, std::vector<Event>, std::greater<>> m_events;
};

int column(const char* name) {
    const char* names[] = {"id", "priority", "state", "attempts", "status", "ttft", "latency"};
    for (int i = 0; i < RequestTableModel::ColumnCount; ++i) {
        if (std::strcmp(name, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

RequestFilterModel::Filter filterFrom(const char* name) {
    using F = RequestFilterModel::Filter;
    const std::pair<const char*, F> filters[] = {
        {"all", F::All},           {"active", F::Active},     {"queued", F::Queued},
        {"inflight", F::InFlight}, {"retrying", F::Retrying}, {"done", F::Done},
        {"failed", F::Failed}};
    for (const auto& [n, f] : filters) {
        if (std::strcmp(name, n) == 0) {
            return f;
        }
    }
    std::fprintf(stderr, "unknown filter %s\n", name);
    std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QApplication app(argc, argv);

    int rows = 100000;
    double rate = 1000;
    double steady = 30;
    int sortColumn = -1;
    const char* sortName = "none";
    const char* filterName = "all";
    Qt::SortOrder order = Qt::AscendingOrder;
    int prefill = 0;
    bool verticalHeader = true;
    bool withView = true;
    for (int i = 1; i < argc; ++i) {
        const bool hasValue = i + 1 < argc;
        if (!std::strcmp(argv[i], "--rows") && hasValue) {
            rows = std::atoi(argv[++i]);
        } else if (!std::strcmp(argv[i], "--rate") && hasValue) {
            rate = std::atof(argv[++i]);
        } else if (!std::strcmp(argv[i], "--steady") && hasValue) {
            steady = std::atof(argv[++i]);
        } else if (!std::strcmp(argv[i], "--sort") && hasValue) {
            sortName = argv[++i];
            sortColumn = column(sortName);
        } else if (!std::strcmp(argv[i], "--desc")) {
            order = Qt::DescendingOrder;
        } else if (!std::strcmp(argv[i], "--filter") && hasValue) {
            filterName = argv[++i];
        } else if (!std::strcmp(argv[i], "--prefill") && hasValue) {
            prefill = std::atoi(argv[++i]);
        } else if (!std::strcmp(argv[i], "--no-vheader")) {
            verticalHeader = false;
        } else if (!std::strcmp(argv[i], "--no-view")) {
            withView = false;
        } else {
            std::fprintf(stderr, "usage: bench_requestmodel [--rows N] [--rate R] [--steady S] "
                                 "[--sort COLUMN] [--desc] [--filter NAME] [--prefill N] "
                                 "[--no-vheader] [--no-view]\n");
            return 2;
        }
    }

    const double rssStart = rssMb();
    RequestTableModel model(rows);
    RequestFilterModel proxy;
    proxy.setSourceModel(&model);
    proxy.setFilter(filterFrom(filterName));
    if (prefill == 0) {
        proxy.sort(sortColumn, order);
    }
    QTableView view;
    view.verticalHeader()->setVisible(verticalHeader);
    if (withView) {
        view.setModel(&proxy);
    }
    view.resize(1280, 800);
    view.show();
    view.viewport()->repaint();
    const double rssEmpty = rssMb(); // window, backing store and fonts, no rows yet
    if (prefill > 0) {               // finished requests, as if the table had been running a while
        std::mt19937_64 rng(7);
        for (int done = 0; done < prefill;) {
            QList<RequestUpdate> batch;
            for (int i = 0; i < 1000 && done < prefill; ++i, ++done) {
                RequestUpdate u;
                u.id = 1'000'000'000ULL + static_cast<std::uint64_t>(done);
                u.state = RequestState::Done;
                u.attempts = 1;
                u.status = 200;
                u.ttft = Nanos(static_cast<std::int64_t>(rng() % 400'000'000));
                u.e2e = Nanos(800'000'000 + static_cast<std::int64_t>(rng() % 400'000'000));
                batch.push_back(u);
            }
            model.apply(batch);
        }
        view.viewport()->repaint();
        if (sortColumn >= 0) { // what clicking a header costs on a full table
            QElapsedTimer sorting;
            sorting.start();
            proxy.sort(sortColumn, order);
            view.viewport()->repaint();
            std::printf("sorting %d rows (click on a header): %.1f ms\n", model.rowCount(),
                        static_cast<double>(sorting.nsecsElapsed()) / 1e6);
        }
    }

    // What the view is told per batch: the proxy's structural signals.
    std::int64_t proxyRemoves = 0, proxyInserts = 0, proxyLayouts = 0, proxyChanges = 0;
    QObject::connect(&proxy, &QAbstractItemModel::rowsRemoved, &app, [&] { ++proxyRemoves; });
    QObject::connect(&proxy, &QAbstractItemModel::rowsInserted, &app, [&] { ++proxyInserts; });
    QObject::connect(&proxy, &QAbstractItemModel::layoutChanged, &app, [&] { ++proxyLayouts; });
    QObject::connect(&proxy, &QAbstractItemModel::dataChanged, &app, [&] { ++proxyChanges; });
    std::int64_t steadyBatches = 0;
    std::int64_t base[4] = {};

    Feed feed(rate);
    Stats fillApply, steadyApply, fillPaint, steadyPaint, drift;
    double maxDrift = 0;
    double fillEnd = -1;
    double rssFull = 0;
    int maxBatch = 0;
    double firstBatch = -1;
    QElapsedTimer clock;
    clock.start();

    // The probe also reads this thread's CPU time: a late tick during which the thread hardly
    // ran was the machine (other processes), not this program.
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    qint64 lastProbe = 0;
    double lastCpu = 0;
    double maxDriftCpu = 0;
    QObject::connect(&probe, &QTimer::timeout, &app, [&] {
        const qint64 now = clock.nsecsElapsed();
        const double cpu = threadCpuMs();
        if (lastProbe) {
            const double late = static_cast<double>(now - lastProbe) / 1e6 - 10.0;
            drift.add(late);
            if (late > maxDrift) {
                maxDrift = late;
                maxDriftCpu = cpu - lastCpu;
            }
        }
        lastProbe = now;
        lastCpu = cpu;
    });
    probe.start(10);

    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    QObject::connect(&tick, &QTimer::timeout, &app, [&] {
        const double now = static_cast<double>(clock.nsecsElapsed()) / 1e9;
        const QList<RequestUpdate> batch = feed.batch(now);
        maxBatch = std::max(maxBatch, static_cast<int>(batch.size()));
        QElapsedTimer t;
        t.start();
        model.apply(batch);
        const double applied = static_cast<double>(t.nsecsElapsed()) / 1e6;
        view.viewport()->repaint();
        const double total = static_cast<double>(t.nsecsElapsed()) / 1e6;
        const bool filling = fillEnd < 0;
        if (firstBatch < 0) { // the first paint loads fonts: shown apart
            firstBatch = total;
            return;
        }
        (filling ? fillApply : steadyApply).add(total);
        (filling ? fillPaint : steadyPaint).add(total - applied);
        steadyBatches += filling ? 0 : 1;
        if (filling && model.rowCount() >= rows) {
            base[0] = proxyRemoves;
            base[1] = proxyInserts;
            base[2] = proxyLayouts;
            base[3] = proxyChanges;
            fillEnd = now;
            rssFull = rssMb();
            std::printf("table full (%d rows) after %.1f s; RSS %.1f MB\n", model.rowCount(), now,
                        rssFull);
            std::fflush(stdout);
        } else if (!filling && now - fillEnd >= steady) {
            app.quit();
        }
    });
    tick.start(100);

    std::printf("bench_requestmodel: platform %s, %d rows, %.0f requests/s in 10 Hz batches, "
                "sort %s%s, filter %s, steady %.0f s\n",
                qPrintable(QGuiApplication::platformName()), rows, rate, sortName,
                order == Qt::DescendingOrder ? " desc" : "", filterName, steady);
    std::fflush(stdout);
    app.exec();

    const auto line = [](const char* what, Stats& s) {
        std::printf("%-40s n=%-5zu p50 %6.2f ms   p95 %6.2f ms   max %6.2f ms\n", what, s.ms.size(),
                    s.at(0.5), s.at(0.95), s.max());
    };
    std::printf("first batch (first paint, fonts): %.2f ms\n", firstBatch);
    line("fill:   apply + repaint per batch", fillApply);
    line("fill:     of which repaint", fillPaint);
    line("steady: apply + repaint per batch", steadyApply);
    line("steady:   of which repaint", steadyPaint);
    std::printf("largest batch: %d updates; rows at end: %d (proxy %d)\n", maxBatch,
                model.rowCount(), proxy.rowCount());
    if (steadyBatches > 0) {
        const auto per = [&](std::int64_t n, std::int64_t b0) {
            return static_cast<double>(n - b0) / static_cast<double>(steadyBatches);
        };
        std::printf("steady: proxy signals per batch: %.1f rowsRemoved, %.1f rowsInserted, "
                    "%.1f layoutChanged, %.1f dataChanged\n",
                    per(proxyRemoves, base[0]), per(proxyInserts, base[1]),
                    per(proxyLayouts, base[2]), per(proxyChanges, base[3]));
    }
    std::printf("event-loop drift (10 ms probe): p99 %.2f ms, max %.2f ms (this thread ran %.1f ms "
                "of that interval)\n",
                drift.at(0.99), maxDrift, maxDriftCpu);
    const double rssEnd = rssMb();
    std::printf("RSS: start %.1f MB, empty view %.1f MB, table full %.1f MB, end %.1f MB\n",
                rssStart, rssEmpty, rssFull, rssEnd);
    const bool ok = std::max(fillApply.max(), steadyApply.max()) < 16.0 && maxDrift < 50.0;
    std::printf("target per batch < 16 ms, drift < 50 ms: %s\n", ok ? "met" : "NOT met");
    return 0;
}
