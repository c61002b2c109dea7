#pragma once

// Rows for the request table's tests: engine-like updates, the filter groups written out as
// sets, and what a model shows (ids and states by row).
#include "ui/models/requestfiltermodel.h"
#include "ui/models/requesttablemodel.h"

#include <QAbstractItemModel>

#include <cstdint>
#include <set>
#include <vector>

namespace sluice::test {

inline constexpr int kStates = 10;

inline RequestUpdate update(std::uint64_t id, RequestState state, std::int64_t position = -1,
                            int attempts = 0, int status = 0, Nanos ttft = {}, Nanos latency = {}) {
    RequestUpdate u;
    u.id = id;
    u.state = state;
    u.position = position;
    u.attempts = attempts;
    u.status = status;
    u.ttft = ttft;
    u.e2e = latency;
    return u;
}

/// The filter groups, written out as sets.
inline std::set<RequestState> filterStates(RequestFilterModel::Filter f) {
    using S = RequestState;
    switch (f) {
    case RequestFilterModel::Filter::All:
        return {S::Queued, S::WaitingBudget, S::InFlight, S::Streaming, S::Retrying,
                S::Done,   S::Failed,        S::Rejected, S::TimedOut,  S::Cancelled};
    case RequestFilterModel::Filter::Active:
        return {S::Queued, S::WaitingBudget, S::InFlight, S::Streaming, S::Retrying};
    case RequestFilterModel::Filter::Queued:
        return {S::Queued, S::WaitingBudget};
    case RequestFilterModel::Filter::InFlight:
        return {S::InFlight, S::Streaming};
    case RequestFilterModel::Filter::Retrying:
        return {S::Retrying};
    case RequestFilterModel::Filter::Done:
        return {S::Done};
    case RequestFilterModel::Filter::Failed:
        return {S::Failed, S::Rejected, S::TimedOut, S::Cancelled};
    }
    return {};
}

inline std::vector<std::uint64_t> ids(const QAbstractItemModel& model) {
    std::vector<std::uint64_t> out;
    for (int r = 0; r < model.rowCount(); ++r) {
        out.push_back(model.index(r, RequestTableModel::Id).data().toString().toULongLong());
    }
    return out;
}

inline RequestState stateOf(const QAbstractItemModel& model, int row) {
    return static_cast<RequestState>(
        model.index(row, RequestTableModel::State).data(RequestTableModel::StateRole).toInt());
}

} // namespace sluice::test
