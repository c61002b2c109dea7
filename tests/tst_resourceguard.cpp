#include "core/engine/resourceguard.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <ctime>
#include <unistd.h>

using namespace sluice;
using namespace std::chrono_literals;

namespace {

const long kTicks = sysconf(_SC_CLK_TCK);
const long kPage = sysconf(_SC_PAGESIZE);

// A /proc tree in a temporary directory, rewritten between samples.
class FakeProc {
public:
    FakeProc() { QDir(m_dir.path()).mkpath(QStringLiteral("self")); }

    bool isValid() const { return m_dir.isValid(); }
    std::string root() const { return m_dir.path().toStdString(); }

    // Process CPU as whole CPU-seconds, so the figures are exact whatever CLK_TCK is.
    void setProcess(qint64 cpuSeconds, const QString& comm = QStringLiteral("sluice")) {
        const qint64 utime = cpuSeconds * kTicks;
        write(QStringLiteral("self/stat"),
              QStringLiteral("4242 (%1) R 1 4242 4242 0 -1 4194304 1234 0 0 0 %2 %3 0 0 20 0 9 0 "
                             "777 123456789 2500 18446744073709551615 1 1 0 0 0 0 0 4096 17 "
                             "0 0 0 0 0 0\n")
                  .arg(comm)
                  .arg(utime / 3)
                  .arg(utime - utime / 3));
    }

    void setRssPages(qint64 pages) {
        write(QStringLiteral("self/statm"), QStringLiteral("9000 %1 300 50 0 2000 0\n").arg(pages));
    }

    // Cumulative jiffies of the aggregate cpu line; `cores` per-cpu lines follow (their values
    // are never read).
    struct Cpu {
        qint64 user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
               steal = 0, guest = 0, guestNice = 0;
    };
    void setCpu(const Cpu& c, int cores = 4) {
        QString text = QStringLiteral("cpu  %1 %2 %3 %4 %5 %6 %7 %8 %9 %10\n")
                           .arg(c.user)
                           .arg(c.nice)
                           .arg(c.system)
                           .arg(c.idle)
                           .arg(c.iowait)
                           .arg(c.irq)
                           .arg(c.softirq)
                           .arg(c.steal)
                           .arg(c.guest)
                           .arg(c.guestNice);
        for (int i = 0; i < cores; ++i) {
            text += QStringLiteral("cpu%1 1 2 3 4 5 6 7 8 0 0\n").arg(i);
        }
        text += QStringLiteral("intr 12345 0 0\nctxt 99999\nbtime 1700000000\nprocesses 42\n");
        write(QStringLiteral("stat"), text);
    }

    void setMem(qint64 totalKb, qint64 availableKb) {
        write(QStringLiteral("meminfo"), QStringLiteral("MemTotal:       %1 kB\n"
                                                        "MemFree:         1000 kB\n"
                                                        "MemAvailable:   %2 kB\n"
                                                        "Buffers:          200 kB\n"
                                                        "Cached:          3000 kB\n")
                                             .arg(totalKb)
                                             .arg(availableKb));
    }

    void write(const QString& name, const QString& text) {
        QFile file(m_dir.filePath(name));
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(text.toUtf8());
    }

    void remove(const QString& name) { QVERIFY(QFile::remove(m_dir.filePath(name))); }

private:
    QTemporaryDir m_dir;
};

// A complete tree: 16 GB, 25% available, 250 resident pages, 4 cores, nothing used yet.
void fillDefaults(FakeProc& proc) {
    proc.setProcess(0);
    proc.setRssPages(250);
    proc.setCpu({});
    proc.setMem(16'000'000, 4'000'000);
}

// Sets the system CPU of the next interval to busy/1000 by adding jiffies to the cumulative
// counters.
void addSystemCpu(FakeProc& proc, FakeProc::Cpu& cpu, qint64 busy) {
    cpu.user += busy;
    cpu.idle += 1000 - busy;
    proc.setCpu(cpu);
}

} // namespace

class TestResourceGuard final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void firstSampleHasMemoryNotCpu();
    void cpuDeltasAreExact_data();
    void cpuDeltasAreExact();
    void commandNameWithSpacesAndParens_data();
    void commandNameWithSpacesAndParens();
    void noTimeOrNoJiffiesRepeatsLastFigure();
    void memoryFallbacks();
    void pauseHysteresis();
    void pauseOnMemoryAndProcessCpu();
    void noPauseUnlessEnabled();
    void clientSaturated();
    void missingFilesAreInvalid_data();
    void missingFilesAreInvalid();
    void realProcWorks();
};

void TestResourceGuard::initTestCase() {
    QVERIFY(kTicks > 0);
    QVERIFY(kPage > 0);
}

void TestResourceGuard::firstSampleHasMemoryNotCpu() {
    FakeProc proc;
    QVERIFY(proc.isValid());
    fillDefaults(proc);
    proc.setProcess(1000);
    proc.setCpu({500, 0, 500, 9000});
    ManualClock clock(5s);
    ResourceGuard guard({}, clock, proc.root());
    const ResourceSample s = guard.sample();
    QVERIFY(s.valid);
    QCOMPARE(s.processCpu, 0.0);
    QCOMPARE(s.systemCpu, 0.0);
    QCOMPARE(s.cores, 4);
    QCOMPARE(s.memTotalBytes, qint64(16'000'000) * 1024);
    QCOMPARE(s.memAvailableBytes, qint64(4'000'000) * 1024);
    QCOMPARE(s.systemMem, 0.75);
    QCOMPARE(s.processRssBytes, qint64(250) * kPage);
    QCOMPARE(guard.last().systemMem, 0.75);
}

void TestResourceGuard::cpuDeltasAreExact_data() {
    QTest::addColumn<qint64>("elapsedMs");
    QTest::addColumn<qint64>("cpuSeconds");
    QTest::addColumn<qint64>("user");
    QTest::addColumn<qint64>("system");
    QTest::addColumn<qint64>("idle");
    QTest::addColumn<qint64>("iowait");
    QTest::addColumn<qint64>("steal");
    QTest::addColumn<qint64>("guest");
    QTest::addColumn<double>("processCpu");
    QTest::addColumn<double>("systemCpu");
    QTest::newRow("idle") << qint64(1000) << qint64(0) << qint64(0) << qint64(0) << qint64(400)
                          << qint64(0) << qint64(0) << qint64(0) << 0.0 << 0.0;
    QTest::newRow("two cores busy")
        << qint64(2000) << qint64(4) << qint64(600) << qint64(200) << qint64(1000) << qint64(200)
        << qint64(0) << qint64(0) << 2.0 << 0.4;
    QTest::newRow("iowait is idle, steal is busy")
        << qint64(1000) << qint64(1) << qint64(0) << qint64(0) << qint64(0) << qint64(300)
        << qint64(100) << qint64(0) << 1.0 << 0.25;
    QTest::newRow("guest is inside user, not added again")
        << qint64(1000) << qint64(0) << qint64(100) << qint64(0) << qint64(300) << qint64(0)
        << qint64(0) << qint64(100) << 0.0 << 0.25;
    QTest::newRow("four cores flat out")
        << qint64(250) << qint64(1) << qint64(700) << qint64(300) << qint64(0) << qint64(0)
        << qint64(0) << qint64(0) << 4.0 << 1.0;
}

void TestResourceGuard::cpuDeltasAreExact() {
    QFETCH(qint64, elapsedMs);
    QFETCH(qint64, cpuSeconds);
    QFETCH(qint64, user);
    QFETCH(qint64, system);
    QFETCH(qint64, idle);
    QFETCH(qint64, iowait);
    QFETCH(qint64, steal);
    QFETCH(qint64, guest);
    QFETCH(double, processCpu);
    QFETCH(double, systemCpu);
    FakeProc proc;
    fillDefaults(proc);
    FakeProc::Cpu cpu{12'000, 50, 3'000, 80'000, 900, 10, 20, 5, 0, 0};
    proc.setProcess(100);
    proc.setCpu(cpu);
    ManualClock clock(1h);
    ResourceGuard guard({}, clock, proc.root());
    QVERIFY(guard.sample().valid);

    clock.advance(std::chrono::milliseconds(elapsedMs));
    proc.setProcess(100 + cpuSeconds);
    cpu.user += user;
    cpu.system += system;
    cpu.idle += idle;
    cpu.iowait += iowait;
    cpu.steal += steal;
    cpu.guest += guest;
    proc.setCpu(cpu);
    const ResourceSample s = guard.sample();
    QVERIFY(s.valid);
    QCOMPARE(s.processCpu, processCpu);
    QCOMPARE(s.systemCpu, systemCpu);
}

void TestResourceGuard::commandNameWithSpacesAndParens_data() {
    QTest::addColumn<QString>("comm");
    QTest::newRow("plain") << QStringLiteral("sluice");
    QTest::newRow("spaces") << QStringLiteral("Web Content");
    QTest::newRow("parens") << QStringLiteral("a (b) c");
    QTest::newRow("closing paren and numbers") << QStringLiteral(") 1 2 3 (");
    QTest::newRow("only parens") << QStringLiteral("))((");
}

// The command name is free text in parentheses: a parser splitting on spaces or stopping at the
// first ')' reads the wrong fields.
void TestResourceGuard::commandNameWithSpacesAndParens() {
    QFETCH(QString, comm);
    FakeProc proc;
    fillDefaults(proc);
    proc.setProcess(7, comm);
    ManualClock clock;
    ResourceGuard guard({}, clock, proc.root());
    QVERIFY(guard.sample().valid);
    clock.advance(2s);
    proc.setProcess(10, comm);
    const ResourceSample s = guard.sample();
    QVERIFY(s.valid);
    QCOMPARE(s.processCpu, 1.5);
}

void TestResourceGuard::noTimeOrNoJiffiesRepeatsLastFigure() {
    FakeProc proc;
    fillDefaults(proc);
    FakeProc::Cpu cpu;
    ManualClock clock;
    ResourceGuard guard({}, clock, proc.root());
    guard.sample();
    clock.advance(1s);
    proc.setProcess(1);
    addSystemCpu(proc, cpu, 600);
    QCOMPARE(guard.sample().processCpu, 1.0);
    // Sampled again at once: no wall time and no jiffies have passed, so no division by zero and
    // no made-up zero either.
    const ResourceSample again = guard.sample();
    QCOMPARE(again.processCpu, 1.0);
    QCOMPARE(again.systemCpu, 0.6);
    // The baseline was kept: the next interval is measured from the last real one.
    clock.advance(1s);
    proc.setProcess(3);
    addSystemCpu(proc, cpu, 200);
    const ResourceSample next = guard.sample();
    QCOMPARE(next.processCpu, 2.0);
    QCOMPARE(next.systemCpu, 0.2);
}

void TestResourceGuard::memoryFallbacks() {
    FakeProc proc;
    fillDefaults(proc);
    // No MemAvailable (kernel < 3.14): free + buffers + cached.
    proc.write(QStringLiteral("meminfo"), QStringLiteral("MemTotal: 10000 kB\nMemFree: 1000 kB\n"
                                                         "Buffers: 500 kB\nCached: 2500 kB\n"));
    // No statm: VmRSS from status.
    proc.remove(QStringLiteral("self/statm"));
    proc.write(QStringLiteral("self/status"),
               QStringLiteral("Name:\tsluice\nVmPeak:\t  99999 kB\nVmRSS:\t    4321 kB\n"));
    ManualClock clock;
    ResourceGuard guard({}, clock, proc.root());
    const ResourceSample s = guard.sample();
    QVERIFY(s.valid);
    QCOMPARE(s.memAvailableBytes, qint64(4000) * 1024);
    QCOMPARE(s.systemMem, 0.6);
    QCOMPARE(s.processRssBytes, qint64(4321) * 1024);
}

// System CPU threshold 0.8, resume below 0.9 * 0.8 = 0.72.
void TestResourceGuard::pauseHysteresis() {
    FakeProc proc;
    fillDefaults(proc);
    proc.setMem(1000, 900);
    FakeProc::Cpu cpu;
    ManualClock clock;
    ResourceGuardConfig config;
    config.pauseAdmission = true;
    config.maxSystemCpu = 0.8;
    config.maxSystemMem = 0.95;
    config.resumeBelow = 0.9;
    ResourceGuard guard(config, clock, proc.root());
    guard.sample();
    QVERIFY(!guard.paused());

    struct Step {
        qint64 busy;
        bool paused;
    };
    const Step steps[] = {{500, false}, {790, false}, {800, true}, {790, true},  {730, true},
                          {710, false}, {790, false}, {950, true}, {100, false}, {1000, true}};
    int index = 0;
    for (const Step& step : steps) {
        clock.advance(1s);
        addSystemCpu(proc, cpu, step.busy);
        guard.sample();
        QVERIFY2(guard.paused() == step.paused,
                 qPrintable(QStringLiteral("step %1 (busy %2)").arg(index).arg(step.busy)));
        ++index;
    }
    // Turning the pause off releases at once, without waiting for a sample.
    config.pauseAdmission = false;
    guard.setConfig(config);
    QVERIFY(!guard.paused());
    config.pauseAdmission = true;
    guard.setConfig(config);
    QVERIFY(guard.paused()); // the last sample (100% busy) is still over the threshold
}

void TestResourceGuard::pauseOnMemoryAndProcessCpu() {
    FakeProc proc;
    fillDefaults(proc);
    FakeProc::Cpu cpu;
    ManualClock clock;
    ResourceGuardConfig config;
    config.pauseAdmission = true;
    config.maxProcessCpu = 2.0;
    config.maxSystemCpu = 0; // not watched
    config.maxSystemMem = 0.9;
    config.resumeBelow = 0.9;
    ResourceGuard guard(config, clock, proc.root());

    proc.setMem(1000, 50); // 95% used
    guard.sample();
    QVERIFY(guard.paused());
    proc.setMem(1000, 170); // 83%: below the threshold, not below 0.81
    guard.sample();
    QVERIFY(guard.paused());
    proc.setMem(1000, 200); // 80%
    clock.advance(1s);
    proc.setProcess(2); // 2.0 cores: at the process threshold
    addSystemCpu(proc, cpu, 1000);
    guard.sample();
    QVERIFY(guard.paused()); // memory is fine now, process CPU is not
    clock.advance(1s);
    proc.setProcess(4); // 2.0 cores again
    guard.sample();
    QVERIFY(guard.paused());
    clock.advance(1s);
    proc.setProcess(5); // 1.0 core; system CPU at 100% is not watched
    addSystemCpu(proc, cpu, 1000);
    guard.sample();
    QVERIFY(!guard.paused());
}

void TestResourceGuard::noPauseUnlessEnabled() {
    FakeProc proc;
    fillDefaults(proc);
    proc.setMem(1000, 1);
    FakeProc::Cpu cpu;
    ManualClock clock;
    ResourceGuard guard({}, clock, proc.root());
    guard.sample();
    clock.advance(1s);
    proc.setProcess(4);
    addSystemCpu(proc, cpu, 1000);
    const ResourceSample s = guard.sample();
    QCOMPARE(s.systemCpu, 1.0);
    QVERIFY(!guard.paused());
    QVERIFY(guard.clientSaturated());
}

void TestResourceGuard::clientSaturated() {
    FakeProc proc;
    fillDefaults(proc);
    FakeProc::Cpu cpu;
    ManualClock clock;
    ResourceGuard guard({}, clock, proc.root());
    guard.sample();
    QVERIFY(!guard.clientSaturated());

    // 4 cores: saturated from 3.6 cores of process CPU (0.9 * cores).
    const std::chrono::milliseconds tenth(100);
    clock.advance(tenth * 10);
    proc.setProcess(3);
    addSystemCpu(proc, cpu, 900);
    guard.sample();
    QVERIFY(!guard.clientSaturated());
    // 18 CPU-seconds over 5 s = 3.6 cores.
    clock.advance(tenth * 50);
    proc.setProcess(21);
    addSystemCpu(proc, cpu, 900);
    guard.sample();
    QCOMPARE(guard.last().processCpu, 3.6);
    QVERIFY(guard.clientSaturated());
    // System CPU alone: 0.95 is saturated, 0.94 is not.
    clock.advance(1s);
    addSystemCpu(proc, cpu, 950);
    guard.sample();
    QCOMPARE(guard.last().processCpu, 0.0);
    QVERIFY(guard.clientSaturated());
    clock.advance(1s);
    addSystemCpu(proc, cpu, 940);
    guard.sample();
    QVERIFY(!guard.clientSaturated());
}

void TestResourceGuard::missingFilesAreInvalid_data() {
    QTest::addColumn<QString>("missing");
    QTest::addColumn<QString>("garbage");
    QTest::newRow("self/stat") << QStringLiteral("self/stat") << QString();
    QTest::newRow("self/statm") << QStringLiteral("self/statm") << QString();
    QTest::newRow("stat") << QStringLiteral("stat") << QString();
    QTest::newRow("meminfo") << QStringLiteral("meminfo") << QString();
    QTest::newRow("garbage self/stat") << QString() << QStringLiteral("self/stat");
    QTest::newRow("garbage stat") << QString() << QStringLiteral("stat");
    QTest::newRow("garbage meminfo") << QString() << QStringLiteral("meminfo");
    QTest::newRow("garbage statm") << QString() << QStringLiteral("self/statm");
    QTest::newRow("no tree at all") << QStringLiteral("*") << QString();
}

void TestResourceGuard::missingFilesAreInvalid() {
    QFETCH(QString, missing);
    QFETCH(QString, garbage);
    FakeProc proc;
    fillDefaults(proc);
    proc.setMem(1000, 1); // would pause, were the sample believed
    if (!missing.isEmpty() && missing != QLatin1String("*")) {
        proc.remove(missing);
    }
    if (!garbage.isEmpty()) {
        proc.write(garbage, QStringLiteral("cpu ) x\nMemTotal: lots\n"));
    }
    const std::string root =
        missing == QLatin1String("*") ? proc.root() + "/does-not-exist" : proc.root();
    ManualClock clock;
    ResourceGuardConfig config;
    config.pauseAdmission = true;
    ResourceGuard guard(config, clock, root);
    for (int i = 0; i < 3; ++i) {
        const ResourceSample s = guard.sample();
        QVERIFY(!s.valid);
        QVERIFY(s.cores >= 1);
        QVERIFY(s.processCpu >= 0 && s.systemCpu >= 0 && s.systemMem >= 0);
        QVERIFY(!guard.paused());
        QVERIFY(!guard.clientSaturated());
        clock.advance(1s);
    }
}

void TestResourceGuard::realProcWorks() {
    if (!QFile::exists(QStringLiteral("/proc/self/stat"))) {
        QSKIP("no /proc on this system");
    }
    SteadyClock clock;
    ResourceGuard guard({}, clock);
    const ResourceSample first = guard.sample();
    QVERIFY(first.valid);
    QVERIFY(first.processRssBytes > 0);
    QVERIFY(first.memTotalBytes > 0);
    QVERIFY(first.memAvailableBytes > 0);
    QVERIFY(first.systemMem > 0 && first.systemMem < 1);
    QVERIFY(first.cores >= 1);

    // Burn a measured amount of CPU (not wall time), so the process figure cannot be zero.
    const std::clock_t start = std::clock();
    volatile std::uint64_t sink = 0;
    while (std::clock() - start < CLOCKS_PER_SEC / 10) {
        for (int i = 0; i < 10000; ++i) {
            sink = sink + static_cast<std::uint64_t>(i);
        }
    }
    const ResourceSample second = guard.sample();
    QVERIFY(second.valid);
    QVERIFY2(second.processCpu > 0, qPrintable(QString::number(second.processCpu)));
    QVERIFY2(second.processCpu <= second.cores + 0.5,
             qPrintable(QString::number(second.processCpu)));
    QVERIFY(second.systemCpu >= 0 && second.systemCpu <= 1);
}

QTEST_GUILESS_MAIN(TestResourceGuard)
#include "tst_resourceguard.moc"
