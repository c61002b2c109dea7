#pragma once

#include "core/host/gatewayfeed.h"
#include "ui/gateway/requesttimeline.h"

#include <QElapsedTimer>
#include <QHash>
#include <QTimer>
#include <QWidget>

#include <deque>

class QLabel;
class QPlainTextEdit;

namespace sluice {

/// One gateway request's story: its timeline (queued with its place over time, each attempt,
/// the first token, the end) and in words why it ended. Keeps the places in the queue it saw
/// in the request updates (bounded), and asks for the request's detail (GET
/// /admin/requests/{id}) through detailWanted() while it is shown, until it ends.
class RequestDetailView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestDetailView)

public:
    explicit RequestDetailView(QWidget* parent = nullptr);

    /// Watches the updates for places in the queue (only what is needed for a timeline).
    void recordUpdates(const QList<RequestUpdate>& updates);
    /// Shows request `id` (picked by the user: the view holds it): detailWanted(id) follows at
    /// once, then again every 500 ms while it has not ended.
    void showRequest(std::uint64_t id);
    /// The latest ended request: shown while nothing was picked (after clear()), at most
    /// every 2 s so the story can be read, and only while the view is visible.
    void offerLatest(std::uint64_t id);
    bool following() const { return m_following; }
    void setDetail(const GatewayRequestDetail& detail);
    void setMissing(std::uint64_t id);
    void clear();

    std::uint64_t shownId() const { return m_id; }
    QString text() const;
    RequestTimeline* timeline() const { return m_timeline; }

Q_SIGNALS:
    void detailWanted(std::uint64_t id);

private:
    struct Trace {
        double firstSeenMs = 0;
        RequestTimeline::Positions positions; ///< ms since first seen, ahead
    };

    QElapsedTimer m_clock;
    QHash<std::uint64_t, Trace> m_traces;
    std::deque<std::uint64_t> m_order; ///< oldest first, to bound m_traces
    std::uint64_t m_id = 0;
    bool m_following = true;  ///< nothing picked: the latest ended request is shown
    QElapsedTimer m_followed; ///< since the shown latest request was taken
    QTimer m_poll;
    QLabel* m_title = nullptr;
    RequestTimeline* m_timeline = nullptr;
    QPlainTextEdit* m_text = nullptr;
};

} // namespace sluice
