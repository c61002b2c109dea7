#include "core/engine/resourceguard.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace sluice {

namespace {

constexpr double kSaturatedProcessShare = 0.9; // of all cores
constexpr double kSaturatedSystemCpu = 0.95;

std::optional<std::string> readFile(const std::string& path) {
    // /proc files report a size of 0, so read the stream to its end rather than by size.
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        return std::nullopt;
    }
    return std::move(text).str();
}

std::vector<std::string_view> splitWhitespace(std::string_view text) {
    std::vector<std::string_view> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) {
            ++i;
        }
        const std::size_t start = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n') {
            ++i;
        }
        if (i > start) {
            tokens.push_back(text.substr(start, i - start));
        }
    }
    return tokens;
}

std::optional<std::uint64_t> toNumber(std::string_view token) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (ec != std::errc() || end != token.data() + token.size()) {
        return std::nullopt;
    }
    return value;
}

std::vector<std::string_view> lines(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        out.push_back(text.substr(0, nl));
        if (nl == std::string_view::npos) {
            break;
        }
        text.remove_prefix(nl + 1);
    }
    return out;
}

/// utime + stime in clock ticks from /proc/self/stat. The command name (field 2) is in
/// parentheses and may itself contain spaces and parentheses, so fields are counted from the
/// last ')'.
std::optional<std::uint64_t> parseProcessTicks(std::string_view text) {
    const std::size_t close = text.rfind(')');
    if (close == std::string_view::npos) {
        return std::nullopt;
    }
    const auto fields = splitWhitespace(text.substr(close + 1));
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    constexpr std::size_t kUtime = 14 - 3;
    constexpr std::size_t kStime = 15 - 3;
    if (fields.size() <= kStime) {
        return std::nullopt;
    }
    const auto utime = toNumber(fields[kUtime]);
    const auto stime = toNumber(fields[kStime]);
    if (!utime || !stime) {
        return std::nullopt;
    }
    return *utime + *stime;
}

struct SystemCpu {
    std::uint64_t busy = 0;
    std::uint64_t total = 0;
    int cores = 0;
};

/// The aggregate "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal
/// [guest guest_nice]. Guest time is already included in user and nice, so it is not added again.
std::optional<SystemCpu> parseSystemCpu(std::string_view text) {
    std::optional<SystemCpu> result;
    int cores = 0;
    for (const std::string_view line : lines(text)) {
        const auto fields = splitWhitespace(line);
        if (fields.empty() || fields[0].substr(0, 3) != "cpu") {
            continue;
        }
        if (fields[0].size() > 3) {
            cores += (fields[0][3] >= '0' && fields[0][3] <= '9') ? 1 : 0;
            continue;
        }
        constexpr std::size_t kIdle = 4;
        constexpr std::size_t kIowait = 5;
        constexpr std::size_t kLastCounted = 8; // steal
        if (fields.size() <= kIdle) {
            return std::nullopt;
        }
        SystemCpu cpu;
        std::uint64_t idle = 0;
        for (std::size_t i = 1; i < fields.size() && i <= kLastCounted; ++i) {
            const auto value = toNumber(fields[i]);
            if (!value) {
                return std::nullopt;
            }
            cpu.total += *value;
            idle += (i == kIdle || i == kIowait) ? *value : 0;
        }
        cpu.busy = cpu.total - idle;
        result = cpu;
    }
    if (result) {
        result->cores = cores;
    }
    return result;
}

/// Value of "Key:   123 kB" in /proc/meminfo or /proc/self/status, in bytes.
std::optional<std::int64_t> parseKbField(std::string_view text, std::string_view key) {
    for (const std::string_view line : lines(text)) {
        if (line.size() <= key.size() || line.substr(0, key.size()) != key ||
            line[key.size()] != ':') {
            continue;
        }
        const auto fields = splitWhitespace(line.substr(key.size() + 1));
        if (fields.empty()) {
            return std::nullopt;
        }
        const auto value = toNumber(fields[0]);
        if (!value) {
            return std::nullopt;
        }
        const bool kb = fields.size() > 1 && fields[1] == "kB";
        return static_cast<std::int64_t>(*value) * (kb ? 1024 : 1);
    }
    return std::nullopt;
}

} // namespace

ResourceGuard::ResourceGuard(ResourceGuardConfig config, const Clock& clock, std::string procRoot)
    : m_config(config)
    , m_clock(clock)
    , m_procRoot(std::move(procRoot)) {
#if defined(__unix__) || defined(__APPLE__)
    m_ticksPerSecond = sysconf(_SC_CLK_TCK);
    m_pageSize = sysconf(_SC_PAGESIZE);
#else
    m_ticksPerSecond = 100;
    m_pageSize = 4096;
#endif
    m_ticksPerSecond = m_ticksPerSecond > 0 ? m_ticksPerSecond : 100;
    m_pageSize = m_pageSize > 0 ? m_pageSize : 4096;
}

ResourceSample ResourceGuard::sample() {
    const Nanos now = m_clock.now();
    ResourceSample s;
    bool complete = true;

    // Process CPU: ticks used since the last sample over the wall time since it.
    const auto selfStat = readFile(m_procRoot + "/self/stat");
    const auto ticks = selfStat ? parseProcessTicks(*selfStat) : std::nullopt;
    if (ticks) {
        const Nanos elapsed = now - m_processAt;
        if (m_haveProcess && elapsed <= Nanos{0}) {
            s.processCpu = m_last.processCpu; // no time has passed: nothing new to say
        } else {
            if (m_haveProcess && *ticks >= m_processTicks) {
                const double cpuSeconds = static_cast<double>(*ticks - m_processTicks) /
                                          static_cast<double>(m_ticksPerSecond);
                s.processCpu = cpuSeconds / std::chrono::duration<double>(elapsed).count();
            }
            m_haveProcess = true;
            m_processTicks = *ticks;
            m_processAt = now;
        }
    } else {
        complete = false;
    }

    // Resident set: statm (pages) is one short line; status (VmRSS) where statm is missing.
    const auto statm = readFile(m_procRoot + "/self/statm");
    const auto statmFields = statm ? splitWhitespace(*statm) : std::vector<std::string_view>{};
    const auto residentPages =
        statmFields.size() > 1 ? toNumber(statmFields[1]) : std::optional<std::uint64_t>{};
    if (residentPages) {
        s.processRssBytes = static_cast<std::int64_t>(*residentPages) * m_pageSize;
    } else {
        const auto status = readFile(m_procRoot + "/self/status");
        const auto rss = status ? parseKbField(*status, "VmRSS") : std::nullopt;
        if (rss) {
            s.processRssBytes = *rss;
        } else {
            complete = false;
        }
    }

    // System CPU: busy jiffies over all jiffies, across all cores, since the last sample.
    const auto stat = readFile(m_procRoot + "/stat");
    const auto cpu = stat ? parseSystemCpu(*stat) : std::nullopt;
    if (cpu) {
        if (m_haveSystem && cpu->total == m_systemTotal) {
            s.systemCpu = m_last.systemCpu;
        } else {
            if (m_haveSystem && cpu->total > m_systemTotal && cpu->busy >= m_systemBusy) {
                const double busy = static_cast<double>(cpu->busy - m_systemBusy);
                const double total = static_cast<double>(cpu->total - m_systemTotal);
                s.systemCpu = std::clamp(busy / total, 0.0, 1.0);
            }
            m_haveSystem = true;
            m_systemBusy = cpu->busy;
            m_systemTotal = cpu->total;
        }
        s.cores = cpu->cores;
    } else {
        complete = false;
    }
    if (s.cores <= 0) {
        s.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    }

    const auto meminfo = readFile(m_procRoot + "/meminfo");
    const auto total = meminfo ? parseKbField(*meminfo, "MemTotal") : std::nullopt;
    auto available = meminfo ? parseKbField(*meminfo, "MemAvailable") : std::nullopt;
    if (meminfo && !available) {
        // Kernels before 3.14 have no MemAvailable; free + buffers + page cache is the classic
        // approximation.
        const auto memFree = parseKbField(*meminfo, "MemFree");
        const auto buffers = parseKbField(*meminfo, "Buffers");
        const auto cached = parseKbField(*meminfo, "Cached");
        if (memFree && buffers && cached) {
            available = *memFree + *buffers + *cached;
        }
    }
    if (total && available && *total > 0) {
        s.memTotalBytes = *total;
        s.memAvailableBytes = std::min(*available, *total);
        s.systemMem =
            1.0 - static_cast<double>(s.memAvailableBytes) / static_cast<double>(s.memTotalBytes);
    } else {
        complete = false;
    }

    s.valid = complete;
    m_last = s;
    updatePaused();
    return s;
}

bool ResourceGuard::clientSaturated() const {
    return m_last.valid && (m_last.processCpu >= kSaturatedProcessShare * m_last.cores ||
                            m_last.systemCpu >= kSaturatedSystemCpu);
}

void ResourceGuard::setConfig(ResourceGuardConfig config) {
    m_config = config;
    updatePaused();
}

void ResourceGuard::updatePaused() {
    if (!m_config.pauseAdmission || !m_last.valid) {
        m_paused = false;
        return;
    }
    const std::pair<double, double> watched[] = {
        {m_last.processCpu, m_config.maxProcessCpu},
        {m_last.systemCpu, m_config.maxSystemCpu},
        {m_last.systemMem, m_config.maxSystemMem},
    };
    bool anyOver = false;
    bool allWellBelow = true;
    for (const auto& [value, threshold] : watched) {
        if (threshold <= 0) {
            continue;
        }
        anyOver = anyOver || value >= threshold;
        allWellBelow = allWellBelow && value < m_config.resumeBelow * threshold;
    }
    m_paused = m_paused ? !allWellBelow : anyOver;
}

} // namespace sluice
