#include "ui/gateway/clientsview.h"

#include "ui/gateway/sharebar.h"

#include <QColor>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTableWidget>
#include <QVBoxLayout>

namespace sluice {

ClientsView::ClientsView(QWidget* parent)
    : QWidget(parent) {
    setObjectName(QStringLiteral("clientsView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_hint = new QLabel(
        tr("No clients yet: start a gateway with a client tokens file (Gateway → Start here…), "
           "then each program that sends with its token gets a row."),
        this);
    m_hint->setWordWrap(true);
    m_hint->setContentsMargins(6, 4, 6, 4);
    layout->addWidget(m_hint);
    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(QStringLiteral("clientsTable"));
    m_table->setHorizontalHeaderLabels({tr("Client"), tr("Req/s"), tr("In flight"), tr("Queued"),
                                        tr("Rejected"), tr("Total p95"), tr("Share")});
    m_table->horizontalHeaderItem(Rps)->setToolTip(tr("Requests received per second, last 10 s"));
    m_table->horizontalHeaderItem(P95)->setToolTip(
        tr("95th percentile of the total time its requests took, the gateway's queue included"));
    m_table->horizontalHeaderItem(Share)->setToolTip(
        tr("Its share of the requests that went upstream in the last 10 s"));
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(Name, QHeaderView::ResizeToContents);
    m_table->setItemDelegateForColumn(Share, new ShareBarDelegate(m_table));
    layout->addWidget(m_table, 1);
}

int ClientsView::rowCount() const {
    return m_table->rowCount();
}

void ClientsView::clear() {
    m_table->setRowCount(0);
    m_hint->show();
}

void ClientsView::setStats(const GatewayStats& stats) {
    m_hint->setVisible(stats.clients.isEmpty());
    m_table->setRowCount(static_cast<int>(stats.clients.size()));
    const QLocale locale;
    auto set = [this](int row, int column, const QString& text, const QVariant& value = {}) {
        QTableWidgetItem* item = m_table->item(row, column);
        if (!item) {
            item = new QTableWidgetItem;
            item->setTextAlignment(column == Name
                                       ? Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter)
                                       : Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
            m_table->setItem(row, column, item);
        }
        item->setText(text);
        if (value.isValid()) {
            item->setData(ShareBarDelegate::ShareRole, value);
        }
    };
    for (int row = 0; row < stats.clients.size(); ++row) {
        const GatewayClientRow& c = stats.clients.at(row);
        set(row, Name, c.name);
        set(row, Rps, locale.toString(c.rps, 'f', 1));
        set(row, InFlight, locale.toString(c.inFlight));
        set(row, Queued, locale.toString(c.queued));
        set(row, Rejected, locale.toString(c.rejected));
        set(row, P95, c.p95Ms > 0 ? tr("%1 ms").arg(locale.toString(c.p95Ms, 'f', 0)) : QString());
        set(row, Share, tr("%1 %").arg(locale.toString(c.share * 100, 'f', 0)), c.share);
        if (c.rejected > 0) {
            m_table->item(row, Rejected)->setForeground(QColor(0xc6, 0x28, 0x28));
        }
    }
}

} // namespace sluice
