#pragma once

#include <cstdint>
#include <vector>

namespace sluice {

/// Counts events per whole second for the last `seconds` seconds, in a fixed ring: memory does
/// not grow with time. Seconds are absolute (e.g. Unix seconds) so several series line up.
class PerSecondSeries {
public:
    explicit PerSecondSeries(int seconds = 300);

    void add(std::int64_t second, std::int64_t amount = 1);
    /// Counts for the `size()` seconds ending at `nowSecond`, oldest first; quiet seconds are 0.
    std::vector<std::int64_t> values(std::int64_t nowSecond) const;
    int size() const { return static_cast<int>(m_counts.size()); }
    void reset();

private:
    std::vector<std::int64_t> m_counts;
    std::vector<std::int64_t> m_stamp;
};

} // namespace sluice
