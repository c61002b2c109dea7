#pragma once

#include <QStyledItemDelegate>

namespace sluice {

/// Draws a cell's share (ShareRole, in [0, 1]) as a bar behind its text: who takes what part
/// of the traffic or of a key's headroom, at a glance.
class ShareBarDelegate final : public QStyledItemDelegate {
    Q_OBJECT

public:
    static constexpr int ShareRole = Qt::UserRole + 40;
    /// ShareRole's colour: green when a headroom bar is full, red when it is empty (`headroom`);
    /// otherwise blue.
    explicit ShareBarDelegate(QObject* parent = nullptr, bool headroom = false)
        : QStyledItemDelegate(parent)
        , m_headroom(headroom) {}

    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;

private:
    bool m_headroom = false;
};

} // namespace sluice
