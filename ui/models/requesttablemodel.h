#pragma once

#include "core/net/requestengine.h"

#include <QAbstractTableModel>
#include <QHash>

#include <array>
#include <cstdint>
#include <deque>
#include <vector>

namespace sluice {

/// The requests table: one row per request the engine has reported, fed with its batched
/// `requestsUpdated` signal through apply(). Bounded: beyond maxRows() the oldest rows go.
///
/// Cost: a row is a 40-byte struct in a deque plus one hash entry (id → sequence number), so
/// 100k rows take about 7 MB. Failure reasons are interned: a row holds a 16-bit index. Lookup by
/// id is O(1); dropping rows from the top moves a base sequence number instead of rewriting the
/// hash.
///
/// GUI thread only (it is a model).
class RequestTableModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestTableModel)

public:
    /// Status shows the HTTP status, or for a failure without one (network, breaker, queue)
    /// its reason, so a failed row never has a blank status. Reason is the failure's label.
    /// The durations follow the console's vocabulary: TTFT (sent → first token), E2E (sent →
    /// last byte) and Total (submitted → end: our queue, retries and back-off included).
    enum Column { Id, Priority, State, Attempts, Status, Reason, Ttft, E2e, Total, ColumnCount };
    /// What depends on the state alone (StateRole, the colour, the tooltip) lives on the State
    /// column only, so a state change signals the columns it changes and no more.
    enum Role {
        StateRole = Qt::UserRole + 1, ///< int(RequestState), on the State column
        SortRole,                     ///< a qint64 that orders the column (see sortKey())
    };

    /// A `maxRows` below 1 is taken as 1.
    explicit RequestTableModel(int maxRows = 100000, QObject* parent = nullptr);
    ~RequestTableModel() override;

    /// Applies one engine batch, in three steps, so a view does a handful of updates per batch:
    /// 1. known ids update in place: one dataChanged per run of consecutive changed rows, over
    ///    the columns that changed in the run (all roles), each run written just before its
    ///    signal; rows about to be dropped are not signalled; a row whose last update in the
    ///    batch leaves it as it was signals nothing;
    /// 2. if the table would exceed maxRows(), one block of rows is removed from the top (one
    ///    beginRemoveRows). Terminal rows are preferred: active rows inside that block are not
    ///    lost but carried to the bottom, and the block grows until it holds enough terminal
    ///    rows. When there are too few terminal rows, or the carry would exceed 4096 rows, the
    ///    plain oldest rows go, active or not. A dropped id that is updated again comes back as
    ///    a new row;
    /// 3. carried rows, then the batch's unknown ids in batch order, are appended (one
    ///    beginInsertRows). A batch with more new ids than maxRows() keeps the last ones.
    /// Within a batch, the last update of an id wins. Trimming looks at the states the batch
    /// leaves.
    void apply(const QList<RequestUpdate>& updates);
    void clear();
    int maxRows() const { return m_maxRows; }
    /// Rows per RequestState (indexed by int(state)). O(1).
    std::array<std::int64_t, 10> stateCounts() const { return m_counts; }

    /// The row of a request, or -1 when it has no row (never seen, or dropped). O(1).
    int rowOf(std::uint64_t id) const;
    /// Fast accessors for the proxy (no QVariant); `row` must be valid.
    RequestState stateAt(int row) const { return m_rows[static_cast<std::size_t>(row)].state; }
    std::uint64_t idAt(int row) const { return m_rows[static_cast<std::size_t>(row)].id; }
    /// The SortRole value: the number shown (durations in 0.1 ms, "none" as 0); for State, the
    /// state's order in the lifecycle, queued rows by queue position.
    qint64 sortKey(int row, int column) const;

    /// The display text of a state ("queued (#3)" for position 2), translated.
    static QString stateText(RequestState state, std::int64_t position = -1);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    /// 40 bytes. Durations are stored in 0.1 ms (what the table shows), saturating at ~119 h.
    struct Row {
        std::uint64_t id = 0;
        std::uint32_t ttft = 0;  ///< 0 = none, else 1 + tenths of a ms (see toTenths)
        std::uint32_t e2e = 0;   ///< the same
        std::uint32_t total = 0; ///< the same
        std::int32_t position = -1;
        std::int32_t priority = 0;
        std::uint16_t attempts = 0;
        std::int16_t status = 0;
        std::uint16_t reason = 0; ///< index into m_reasons; 0 = none
        RequestState state = RequestState::Queued;

        bool operator==(const Row&) const = default;
    };
    static_assert(sizeof(Row) == 40, "100k rows should stay near 4 MB");
    struct Change {
        int row;
        Row next;
    };
    Row toRow(const RequestUpdate& u);
    /// The interned index of a reason (0 for none); beyond 65,535 distinct reasons, 0.
    std::uint16_t internReason(const FailureReason& reason);
    QString statusText(const Row& row) const;
    /// What the Status column shows, as a number that orders it: HTTP statuses, then failures
    /// by reason, then failures without one; 0 for nothing.
    static std::int64_t statusKey(const Row& row);
    /// Bit c set when column c shows something else in `b` than in `a`.
    static unsigned changedColumns(const Row& a, const Row& b);
    QString toolTip(const Row& row) const;
    /// How many rows to remove from the top to make room for `incoming` new ones (`changes`,
    /// by row, give the states this batch leaves), and which of them to carry.
    int trimPlan(std::size_t incoming, const std::vector<Change>& changes,
                 std::vector<std::size_t>& carry) const;

    int m_maxRows;
    std::deque<Row> m_rows;
    /// id → sequence number; row = sequence - m_base.
    QHash<std::uint64_t, std::uint64_t> m_index;
    std::uint64_t m_base = 0;
    std::array<std::int64_t, 10> m_counts{};
    /// Distinct failure reasons seen ([0] is none), and their index by key. Few in practice
    /// (a dozen kinds, a handful of statuses and provider types).
    std::vector<FailureReason> m_reasons{FailureReason{}};
    QHash<QString, std::uint16_t> m_reasonIndex;
};

} // namespace sluice
