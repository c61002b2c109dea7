#include "ui/gateway/sharebar.h"

#include <QPainter>

#include <algorithm>

namespace sluice {

void ShareBarDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                             const QModelIndex& index) const {
    const QVariant share = index.data(ShareRole);
    if (share.isValid()) {
        const double s = std::clamp(share.toDouble(), 0.0, 1.0);
        QColor colour(0x42, 0x85, 0xf4, 70);
        if (m_headroom) {
            colour = s < 0.1   ? QColor(0xe5, 0x39, 0x35, 90)
                     : s < 0.3 ? QColor(0xfb, 0x8c, 0x00, 80)
                               : QColor(0x43, 0xa0, 0x47, 70);
        }
        const QRect r = option.rect.adjusted(2, 3, -2, -3);
        painter->fillRect(QRect(r.left(), r.top(), static_cast<int>(r.width() * s), r.height()),
                          colour);
    }
    QStyledItemDelegate::paint(painter, option, index);
}

} // namespace sluice
