#include "ui/panels/errorsview.h"

#include "ui/models/failuretext.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTableWidget>
#include <QVBoxLayout>

namespace sluice {

namespace {
enum Column { ReasonColumn, CountColumn, ShareColumn, ColumnCount };
} // namespace

ErrorsView::ErrorsView(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("errorsSummary"));
    m_summary->setContentsMargins(4, 2, 4, 0);
    layout->addWidget(m_summary);
    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(QStringLiteral("errorsTable"));
    m_table->setHorizontalHeaderLabels({tr("Reason"), tr("Count"), tr("Share")});
    m_table->horizontalHeaderItem(ShareColumn)
        ->setToolTip(tr("Share of the requests that ended (succeeded, failed, rejected or timed "
                        "out)."));
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(20);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->horizontalHeader()->setSectionResizeMode(ReasonColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(CountColumn, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(ShareColumn, QHeaderView::ResizeToContents);
    m_table->setToolTip(tr("Why requests failed since the run started, most frequent first."));
    layout->addWidget(m_table, 1);
    clear();
}

void ErrorsView::setSnapshot(const EngineSnapshot& s) {
    const std::int64_t ended = s.done + s.failed + s.rejected + s.timedOut;
    std::vector<std::pair<QString, std::int64_t>> shown;
    shown.reserve(s.failures.size());
    std::int64_t failures = 0;
    for (const FailureTally::Entry& e : s.failures) {
        shown.emplace_back(e.reason.key(), e.count);
        if (e.reason.isFailure()) {
            failures += e.count;
        }
    }
    if (shown == m_shown && ended == m_ended) {
        return;
    }
    m_shown = std::move(shown);
    m_ended = ended;
    const QLocale locale;
    m_table->setRowCount(static_cast<int>(s.failures.size()));
    for (int row = 0; row < static_cast<int>(s.failures.size()); ++row) {
        const FailureTally::Entry& e = s.failures[static_cast<std::size_t>(row)];
        const auto cell = [&](int column, const QString& text, bool number) {
            QTableWidgetItem* item = m_table->item(row, column);
            if (!item) {
                item = new QTableWidgetItem;
                m_table->setItem(row, column, item);
            }
            item->setText(text);
            item->setTextAlignment(number ? Qt::AlignRight | Qt::AlignVCenter
                                          : Qt::AlignLeft | Qt::AlignVCenter);
        };
        cell(ReasonColumn, failureText(e.reason), false);
        m_table->item(row, ReasonColumn)->setToolTip(e.example);
        cell(CountColumn, locale.toString(e.count), true);
        cell(ShareColumn,
             ended > 0
                 ? locale.toString(
                       100.0 * static_cast<double>(e.count) / static_cast<double>(ended), 'f', 1) +
                       QLatin1Char('%')
                 : QStringLiteral("–"),
             true);
    }
    m_summary->setText(
        failures > 0 ? tr("%1 failed of %2 ended (%3%)")
                           .arg(locale.toString(failures), locale.toString(ended),
                                locale.toString(ended > 0 ? 100.0 * static_cast<double>(failures) /
                                                                static_cast<double>(ended)
                                                          : 0.0,
                                                'f', 1))
                     : tr("No failures."));
    if (failures != m_failures) {
        m_failures = failures;
        Q_EMIT failureCountChanged(failures);
    }
}

void ErrorsView::clear() {
    m_table->setRowCount(0);
    m_shown.clear();
    m_ended = -1;
    m_summary->setText(tr("No failures."));
    if (m_failures != 0) {
        m_failures = 0;
        Q_EMIT failureCountChanged(0);
    }
}

} // namespace sluice
