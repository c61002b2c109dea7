#pragma once

#include "core/net/requestengine.h"

#include <QPointer>
#include <QSortFilterProxyModel>

namespace sluice {

class RequestTableModel;

/// Filters a RequestTableModel by state group and sorts it by RequestTableModel::SortRole.
///
/// Dynamic sort/filter is on (the Qt default), so rows move and (dis)appear as the engine's
/// batches change them. What that costs per batch, with the source's batching:
/// - unsorted (sort column -1, the default): mapping is by filter only; a batch is one removal
///   and one insertion of contiguous rows, plus a filter check of each changed row;
/// - sorted: each inserted row is placed by binary search and each dataChanged run is
///   re-sorted (a layoutChanged when order changes), so the cost grows with the runs per batch
///   (a handful, see RequestTableModel::apply) and with the removed rows scattered through the
///   sorted order, each removal being O(rows) in the proxy's mapping.
/// bench_requestmodel measures both. Against a RequestTableModel source, filtering and
/// comparing read the rows directly instead of through QVariant, and equal keys keep the
/// model's (arrival) order.
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
