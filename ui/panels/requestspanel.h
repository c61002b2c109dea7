#pragma once

#include "core/net/requestengine.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QTableView;

namespace sluice {

class RequestFilterModel;
class RequestTableModel;

/// Every request of the run as a row (id, priority, state with its queue position, attempts,
/// status, failure reason, TTFT, E2E and total), updated in the engine's batches, filterable
/// by state. The view follows new rows unless the user has scrolled away from the bottom.
class RequestsPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestsPanel)

public:
    explicit RequestsPanel(QWidget* parent = nullptr);
    /// Cuts the view's signals and events to this panel first: ~QWidget hides the children,
    /// which changes the scroll range, and the handlers must not run on a half-destroyed panel.
    ~RequestsPanel() override;

    void apply(const QList<RequestUpdate>& updates);
    void clear();
    RequestTableModel* model() const { return m_model; }
    RequestFilterModel* filterModel() const { return m_filter; }
    QTableView* view() const { return m_view; }
    /// True while the view sticks to the newest rows.
    bool following() const { return m_follow; }

protected:
    /// Gives the reason column the view's spare width.
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void updateCount();

    RequestTableModel* m_model = nullptr;
    RequestFilterModel* m_filter = nullptr;
    QTableView* m_view = nullptr;
    QComboBox* m_filterCombo = nullptr;
    QLabel* m_count = nullptr;
    bool m_follow = true;
    int m_reasonWidth = 0; ///< the least the reason column gets
};

} // namespace sluice
