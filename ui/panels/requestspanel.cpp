#include "ui/panels/requestspanel.h"

#include "ui/models/requestfiltermodel.h"
#include "ui/models/requesttablemodel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace sluice {

RequestsPanel::RequestsPanel(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(4, 2, 4, 0);
    bar->addWidget(new QLabel(tr("Show:"), this));
    m_filterCombo = new QComboBox(this);
    m_filterCombo->setObjectName(QStringLiteral("requestFilterCombo"));
    using F = RequestFilterModel::Filter;
    for (F f : {F::All, F::Active, F::Queued, F::InFlight, F::Retrying, F::Done, F::Failed}) {
        m_filterCombo->addItem(RequestFilterModel::filterName(f), static_cast<int>(f));
    }
    m_filterCombo->setToolTip(tr("Filter the requests by state."));
    bar->addWidget(m_filterCombo);
    bar->addStretch(1);
    m_count = new QLabel(this);
    m_count->setObjectName(QStringLiteral("requestCountLabel"));
    bar->addWidget(m_count);
    layout->addLayout(bar);

    m_model = new RequestTableModel(100000, this);
    m_filter = new RequestFilterModel(this);
    m_filter->setSourceModel(m_model);
    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("requestsView"));
    m_view->setModel(m_filter);
    m_view->setSortingEnabled(false);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->verticalHeader()->setVisible(false);
    m_view->verticalHeader()->setDefaultSectionSize(20);
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    layout->addWidget(m_view, 1);

    connect(m_filterCombo, &QComboBox::currentIndexChanged, this, [this] {
        m_filter->setFilter(
            static_cast<RequestFilterModel::Filter>(m_filterCombo->currentData().toInt()));
        updateCount();
    });
    updateCount();
}

void RequestsPanel::apply(const QList<RequestUpdate>& updates) {
    m_model->apply(updates);
    updateCount();
}

void RequestsPanel::clear() {
    m_model->clear();
    updateCount();
}

void RequestsPanel::updateCount() {
    m_count->setText(tr("%1 shown of %2 (last %3 kept)")
                         .arg(m_filter->rowCount())
                         .arg(m_model->rowCount())
                         .arg(m_model->maxRows()));
}

} // namespace sluice
