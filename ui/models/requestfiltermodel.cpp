#include "ui/models/requestfiltermodel.h"

#include "ui/models/requesttablemodel.h"

namespace sluice {

RequestFilterModel::RequestFilterModel(QObject* parent)
    : QSortFilterProxyModel(parent) {
    setSortRole(RequestTableModel::SortRole);
    setDynamicSortFilter(true);
}

RequestFilterModel::~RequestFilterModel() = default;

void RequestFilterModel::setSourceModel(QAbstractItemModel* model) {
    m_requests = qobject_cast<RequestTableModel*>(model);
    QSortFilterProxyModel::setSourceModel(model);
}

void RequestFilterModel::setFilter(Filter f) {
    if (f == m_filter) {
        return;
    }
    m_filter = f;
    invalidateFilter();
}

QString RequestFilterModel::filterName(Filter f) {
    switch (f) {
    case Filter::All:
        return tr("All");
    case Filter::Active:
        return tr("Active");
    case Filter::Queued:
        return tr("Queued");
    case Filter::InFlight:
        return tr("In flight");
    case Filter::Retrying:
        return tr("Retrying");
    case Filter::Done:
        return tr("Done");
    case Filter::Failed:
        return tr("Failed");
    }
    return {};
}

bool RequestFilterModel::accepts(Filter f, RequestState state) {
    switch (f) {
    case Filter::All:
        return true;
    case Filter::Active:
        return !isTerminal(state);
    case Filter::Queued:
        return state == RequestState::Queued || state == RequestState::WaitingBudget;
    case Filter::InFlight:
        return state == RequestState::InFlight || state == RequestState::Streaming;
    case Filter::Retrying:
        return state == RequestState::Retrying;
    case Filter::Done:
        return state == RequestState::Done;
    case Filter::Failed:
        return isTerminal(state) && state != RequestState::Done;
    }
    return false;
}

bool RequestFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    if (m_filter == Filter::All) {
        return true;
    }
    if (m_requests && m_requests == sourceModel()) {
        return accepts(m_filter, m_requests->stateAt(sourceRow));
    }
    const QVariant state = sourceModel()
                               ->index(sourceRow, RequestTableModel::State, sourceParent)
                               .data(RequestTableModel::StateRole);
    return state.isValid() && accepts(m_filter, static_cast<RequestState>(state.toInt()));
}

bool RequestFilterModel::lessThan(const QModelIndex& left, const QModelIndex& right) const {
    if (m_requests && m_requests == sourceModel() && sortRole() == RequestTableModel::SortRole) {
        const qint64 l = m_requests->sortKey(left.row(), left.column());
        const qint64 r = m_requests->sortKey(right.row(), right.column());
        // Ties in arrival order (reversed when descending), whatever the previous sort was.
        return l < r || (l == r && left.row() < right.row());
    }
    return QSortFilterProxyModel::lessThan(left, right);
}

} // namespace sluice
