#include "ui/panels/requestspanel.h"

#include "ui/models/requestfiltermodel.h"
#include "ui/models/requesttablemodel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QResizeEvent>
#include <QScrollBar>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

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
    // Narrow columns sized for their numbers; the reason takes what is left, but never less
    // than it needs to be read (a narrow window scrolls sideways instead).
    QHeaderView* header = m_view->horizontalHeader();
    header->setStretchLastSection(false);
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setMinimumSectionSize(36);
    const QFontMetrics fm(m_view->font());
    for (int c = 0; c < RequestTableModel::ColumnCount; ++c) {
        const QString title = m_model->headerData(c, Qt::Horizontal).toString();
        const QString sample = c == RequestTableModel::State    ? QStringLiteral("queued (#888)")
                               : c == RequestTableModel::Status ? QStringLiteral("circuit open")
                               : c == RequestTableModel::Reason
                                   ? QStringLiteral("HTTP 429 rate_limit")
                                   : QStringLiteral("8888.8");
        header->resizeSection(
            c, std::max(fm.horizontalAdvance(title), fm.horizontalAdvance(sample)) + 16);
    }
    m_reasonWidth = header->sectionSize(RequestTableModel::Reason);
    m_view->viewport()->installEventFilter(this);
    layout->addWidget(m_view, 1);

    // Follow new rows while the view is at the bottom; once the user scrolls away, stay put
    // until they come back to the bottom.
    QScrollBar* scroll = m_view->verticalScrollBar();
    connect(scroll, &QScrollBar::valueChanged, this,
            [this, scroll](int value) { m_follow = value >= scroll->maximum(); });
    connect(scroll, &QScrollBar::rangeChanged, this, [this, scroll](int, int maximum) {
        if (m_follow) {
            scroll->setValue(maximum);
        }
    });

    connect(m_filterCombo, &QComboBox::currentIndexChanged, this, [this] {
        m_filter->setFilter(
            static_cast<RequestFilterModel::Filter>(m_filterCombo->currentData().toInt()));
        updateCount();
    });
    updateCount();
}

RequestsPanel::~RequestsPanel() {
    m_view->verticalScrollBar()->disconnect(this);
    m_view->viewport()->removeEventFilter(this);
}

bool RequestsPanel::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_view->viewport() && event->type() == QEvent::Resize) {
        QHeaderView* header = m_view->horizontalHeader();
        int others = 0;
        for (int c = 0; c < RequestTableModel::ColumnCount; ++c) {
            others += c == RequestTableModel::Reason ? 0 : header->sectionSize(c);
        }
        const int width = static_cast<QResizeEvent*>(event)->size().width();
        header->resizeSection(RequestTableModel::Reason, std::max(m_reasonWidth, width - others));
    }
    return QWidget::eventFilter(watched, event);
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
