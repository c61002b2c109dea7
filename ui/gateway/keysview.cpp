#include "ui/gateway/keysview.h"

#include "ui/gateway/sharebar.h"

#include <QDateTime>
#include <QTime>

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>

namespace sluice {

namespace {

QString durationText(double ms) {
    return ms >= 60000 ? QObject::tr("%1 min").arg(QLocale().toString(ms / 60000, 'f', 1))
                       : QObject::tr("%1 s").arg(QLocale().toString(ms / 1000, 'f', 1));
}

// "812 / 1,000", or a dash when the provider has not said.
QString left(const std::optional<std::int64_t>& remaining,
             const std::optional<std::int64_t>& limit) {
    if (!remaining) {
        return QStringLiteral("—");
    }
    const QLocale locale;
    return limit
               ? QStringLiteral("%1 / %2").arg(locale.toString(*remaining), locale.toString(*limit))
               : locale.toString(*remaining);
}

QVariant share(const std::optional<std::int64_t>& remaining,
               const std::optional<std::int64_t>& limit) {
    if (!remaining || !limit || *limit <= 0) {
        return {};
    }
    return static_cast<double>(*remaining) / static_cast<double>(*limit);
}

} // namespace

KeysView::KeysView(QWidget* parent)
    : QWidget(parent) {
    setObjectName(QStringLiteral("keysView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_hint = new QLabel(tr("No key pool: the gateway passes each caller's own key through. Start "
                           "it with keys from the environment or a file to see each key's "
                           "headroom here."),
                        this);
    m_hint->setWordWrap(true);
    m_hint->setContentsMargins(6, 4, 6, 4);
    layout->addWidget(m_hint);
    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(QStringLiteral("keysTable"));
    m_table->setHorizontalHeaderLabels({tr("Key"), tr("Requests left"), tr("Tokens left"),
                                        tr("Resets in"), tr("In flight"), tr("Sent"), tr("429s"),
                                        tr("State")});
    m_table->horizontalHeaderItem(RequestsLeft)
        ->setToolTip(tr("Requests left in the provider's window, as its x-ratelimit headers said"));
    m_table->horizontalHeaderItem(TokensLeft)
        ->setToolTip(tr("Tokens left in the provider's window, as its x-ratelimit headers said"));
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(Key, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(State, QHeaderView::ResizeToContents);
    m_table->setItemDelegateForColumn(RequestsLeft, new ShareBarDelegate(m_table, true));
    m_table->setItemDelegateForColumn(TokensLeft, new ShareBarDelegate(m_table, true));
    layout->addWidget(m_table, 1);
}

int KeysView::rowCount() const {
    return m_table->rowCount();
}

void KeysView::clear() {
    m_table->setRowCount(0);
    m_hint->show();
}

void KeysView::setStats(const GatewayStats& stats) {
    m_hint->setVisible(stats.keys.isEmpty());
    m_table->setRowCount(static_cast<int>(stats.keys.size()));
    const QLocale locale;
    auto set = [this](int row, int column, const QString& text, const QVariant& bar = {}) {
        QTableWidgetItem* item = m_table->item(row, column);
        if (!item) {
            item = new QTableWidgetItem;
            item->setTextAlignment(column == Key || column == State
                                       ? Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter)
                                       : Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
            m_table->setItem(row, column, item);
        }
        item->setText(text);
        item->setData(ShareBarDelegate::ShareRole, bar);
        return item;
    };
    for (int row = 0; row < stats.keys.size(); ++row) {
        const GatewayKeyRow& k = stats.keys.at(row);
        set(row, Key, k.masked)
            ->setToolTip(k.models.isEmpty()
                             ? tr("serves every model")
                             : tr("serves %1").arg(k.models.join(QStringLiteral(", "))));
        set(row, RequestsLeft, left(k.remainingRequests, k.limitRequests),
            share(k.remainingRequests, k.limitRequests));
        set(row, TokensLeft, left(k.remainingTokens, k.limitTokens),
            share(k.remainingTokens, k.limitTokens));
        const double reset = std::max(k.resetRequestsMs, k.resetTokensMs);
        set(row, Reset, reset > 0 ? durationText(reset) : QStringLiteral("—"));
        set(row, InFlight, locale.toString(k.inFlight));
        set(row, Sent, locale.toString(k.requests));
        set(row, RateLimited, locale.toString(k.rateLimited));
        QString state = tr("live");
        QColor colour(0x2e, 0x7d, 0x32);
        if (k.retired) {
            state = tr("retired: %1").arg(k.retiredReason);
            colour = QColor(0xc6, 0x28, 0x28);
        } else if (k.coolingMs > 0) {
            const QTime until = QTime::currentTime().addMSecs(static_cast<int>(k.coolingMs));
            state = tr("cooling until %1 (%2)")
                        .arg(locale.toString(until, QStringLiteral("HH:mm:ss")),
                             durationText(k.coolingMs));
            colour = QColor(0xef, 0x6c, 0x00);
        }
        set(row, State, state)->setForeground(colour);
    }
}

} // namespace sluice
