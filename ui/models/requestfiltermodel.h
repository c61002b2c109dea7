#pragma once

#include "core/net/requestengine.h"

#include <QPointer>
#include <QSortFilterProxyModel>

namespace sluice {

class RequestTableModel;

/// Filters a RequestTableModel by state group and sorts it by RequestTableModel::SortRole.
/// Against a RequestTableModel source, filtering and comparing read the rows directly instead
/// of through QVariant, and equal keys keep the model's (arrival) order.
///
/// Dynamic sort/filter stays on (the Qt default): turned off, rows would not leave the state
/// filters as they change ("Active" would keep finished requests), and re-sorting 100k rows in
/// full costs 40-160 ms, too much to do per batch. What a batch costs (bench_requestmodel,
/// QTableView, 100k rows, 1,000 requests/s, ~400 updates per batch):
/// - unsorted (sort column -1, the default), any filter, or sorted on a column that follows
///   arrival (Id): about 5 ms. The source's one removal and one insertion stay one each.
/// - sorted on a column that changes (Latency, TTFT, State): 70 ms and more. QSortFilterProxyModel
///   (Qt 6.4) rebuilds its O(rows) mapping for each row it moves or removes out of order, and
///   the view relayouts for each resulting signal (~100 rowsRemoved and ~75 layoutChanged per
///   batch). Such a sort suits a paused or small table; for live sorting of a big one, use
///   a batch-aware sorting proxy (one layoutChanged per batch) instead.
class RequestFilterModel final : public QSortFilterProxyModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestFilterModel)

public:
    enum class Filter {
        All,
        Active,   ///< queued, waiting for budget, in flight, streaming, retrying
        Queued,   ///< queued, waiting for budget
        InFlight, ///< in flight, streaming
        Retrying,
        Done,
        Failed, ///< failed, rejected, timed out, cancelled
    };
    Q_ENUM(Filter)

    explicit RequestFilterModel(QObject* parent = nullptr);
    ~RequestFilterModel() override;

    void setFilter(Filter f);
    Filter filter() const { return m_filter; }
    /// Translated, for a combo box.
    static QString filterName(Filter f);
    /// Whether `state` passes `f`.
    static bool accepts(Filter f, RequestState state);

    void setSourceModel(QAbstractItemModel* model) override;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
    Filter m_filter = Filter::All;
    QPointer<RequestTableModel> m_requests; ///< the source, when it is one (fast paths)
};

} // namespace sluice
