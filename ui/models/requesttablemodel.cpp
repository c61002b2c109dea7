#include "ui/models/requesttablemodel.h"

#include "ui/models/failuretext.h"

#include <QColor>

#include <algorithm>
#include <bit>
#include <limits>

namespace sluice {

namespace {

/// Most active rows one trim carries to the bottom before it gives up and drops the oldest
/// rows as they are (bounds the work, and the rows a view must re-insert, per batch).
constexpr std::size_t kMaxCarry = 4096;

template <typename To, typename From> To clampTo(From v) {
    return static_cast<To>(std::clamp<From>(v, static_cast<From>(std::numeric_limits<To>::min()),
                                            static_cast<From>(std::numeric_limits<To>::max())));
}

/// A duration as stored: 0 = none, else 1 + whole tenths of a millisecond (rounded), so a
/// positive duration under 0.05 ms still shows as "0.0" rather than as missing.
std::uint32_t toTenths(Nanos d) {
    if (d.count() <= 0) {
        return 0;
    }
    const std::int64_t tenths = (d.count() + 50'000) / 100'000;
    return static_cast<std::uint32_t>(
        std::min<std::int64_t>(tenths + 1, std::numeric_limits<std::uint32_t>::max()));
}

QString tenthsText(std::uint32_t stored) {
    if (stored == 0) {
        return {};
    }
    return QString::number(static_cast<double>(stored - 1) / 10.0, 'f', 1);
}

bool isFailure(RequestState s) {
    return s == RequestState::Failed || s == RequestState::Rejected || s == RequestState::TimedOut;
}

bool isWaiting(RequestState s) {
    return s == RequestState::Queued || s == RequestState::WaitingBudget;
}

QVariant foreground(RequestState s) {
    // Mid-tone colours that read on light and dark palettes alike.
    switch (s) {
    case RequestState::Queued:
    case RequestState::WaitingBudget:
    case RequestState::Cancelled:
        return QColor(0x80, 0x80, 0x80);
    case RequestState::InFlight:
    case RequestState::Streaming:
        return QColor(0x1e, 0x88, 0xe5);
    case RequestState::Retrying:
        return QColor(0xd0, 0x8a, 0x00);
    case RequestState::Failed:
    case RequestState::Rejected:
    case RequestState::TimedOut:
        return QColor(0xd3, 0x2f, 0x2f);
    case RequestState::Done:
        break;
    }
    return {};
}

} // namespace

RequestTableModel::RequestTableModel(int maxRows, QObject* parent)
    : QAbstractTableModel(parent)
    , m_maxRows(std::max(maxRows, 1)) {}

RequestTableModel::~RequestTableModel() = default;

std::int64_t RequestTableModel::statusKey(const Row& r) {
    if (r.status != 0) {
        return r.status;
    }
    if (r.reason != 0) {
        return 100'000 + r.reason;
    }
    return isFailure(r.state) ? 1'000'000 + static_cast<int>(r.state) : 0;
}

unsigned RequestTableModel::changedColumns(const Row& a, const Row& b) {
    unsigned columns = 0;
    const auto mark = [&columns](bool changed, Column column) {
        columns |= changed ? 1u << column : 0u;
    };
    mark(a.id != b.id, Id);
    mark(a.priority != b.priority, Priority);
    mark(a.state != b.state || a.position != b.position, State);
    mark(a.attempts != b.attempts, Attempts);
    mark(a.status != b.status, Status);
    // Status falls back to the reason, or the failed state, when there is no HTTP status.
    mark(statusKey(a) != statusKey(b), Status);
    mark(a.reason != b.reason, Reason);
    mark(a.ttft != b.ttft, Ttft);
    mark(a.e2e != b.e2e, E2e);
    mark(a.total != b.total, Total);
    return columns;
}

RequestTableModel::Row RequestTableModel::toRow(const RequestUpdate& u) {
    Row r;
    r.id = u.id;
    r.state = u.state;
    r.position = isWaiting(u.state) && u.position >= 0 ? clampTo<std::int32_t>(u.position) : -1;
    r.priority = u.priority;
    r.attempts = clampTo<std::uint16_t>(u.attempts);
    r.status = clampTo<std::int16_t>(u.status);
    r.ttft = toTenths(u.ttft);
    r.e2e = toTenths(u.e2e);
    r.total = toTenths(u.total);
    r.reason = internReason(u.failure);
    return r;
}

std::uint16_t RequestTableModel::internReason(const FailureReason& reason) {
    if (reason.kind == FailureKind::None) {
        return 0;
    }
    const QString key = reason.key();
    if (const auto it = m_reasonIndex.constFind(key); it != m_reasonIndex.cend()) {
        return *it;
    }
    if (m_reasons.size() > std::numeric_limits<std::uint16_t>::max()) {
        return 0;
    }
    const auto index = static_cast<std::uint16_t>(m_reasons.size());
    m_reasons.push_back(reason);
    m_reasonIndex.insert(key, index);
    return index;
}

QString RequestTableModel::statusText(const Row& r) const {
    if (r.status != 0) {
        return QString::number(r.status);
    }
    if (r.reason != 0) {
        return failureText(m_reasons[r.reason]);
    }
    // A failure the engine gave no reason for still says what happened.
    return isFailure(r.state) ? stateText(r.state) : QString();
}

void RequestTableModel::apply(const QList<RequestUpdate>& updates) {
    if (updates.isEmpty()) {
        return;
    }
    // 1. Sort the batch into changes of known rows and new rows; nothing is written yet.
    std::vector<Change> changes;
    std::vector<Row> fresh;
    QHash<std::uint64_t, std::size_t> freshAt; // dedupes ids repeated within the batch
    for (const RequestUpdate& u : updates) {
        if (const auto it = m_index.constFind(u.id); it != m_index.cend()) {
            changes.push_back({static_cast<int>(*it - m_base), toRow(u)});
        } else if (const auto f = freshAt.constFind(u.id); f != freshAt.cend()) {
            fresh[*f] = toRow(u);
        } else {
            freshAt.insert(u.id, fresh.size());
            fresh.push_back(toRow(u));
        }
    }
    // By row; of repeated updates the last wins; updates that change nothing go.
    std::stable_sort(changes.begin(), changes.end(),
                     [](const Change& a, const Change& b) { return a.row < b.row; });
    std::size_t kept = 0;
    for (std::size_t i = 0; i < changes.size(); ++i) {
        if (i + 1 < changes.size() && changes[i + 1].row == changes[i].row) {
            continue;
        }
        if (!(changes[i].next == m_rows[static_cast<std::size_t>(changes[i].row)])) {
            changes[kept++] = changes[i];
        }
    }
    changes.resize(kept);

    const auto maxRows = static_cast<std::size_t>(m_maxRows);
    const std::size_t skipFresh = fresh.size() > maxRows ? fresh.size() - maxRows : 0;
    std::vector<std::size_t> carryRows;
    const int removed = trimPlan(fresh.size() - skipFresh, changes, carryRows);

    // 2. Changes of kept rows, one run of consecutive rows at a time: each dataChanged leaves
    //    the model exactly as signalled so far, which a sorting proxy relies on (it places the
    //    changed rows by binary search among the others). A run names only the columns that
    //    changed in it, so a proxy sorted on another column does not re-sort its rows.
    auto change = std::lower_bound(changes.begin(), changes.end(), removed,
                                   [](const Change& c, int row) { return c.row < row; });
    while (change != changes.end()) {
        const auto runBegin = change;
        unsigned columns = 0;
        do {
            Row& r = m_rows[static_cast<std::size_t>(change->row)];
            columns |= changedColumns(r, change->next);
            --m_counts[static_cast<std::size_t>(r.state)];
            ++m_counts[static_cast<std::size_t>(change->next.state)];
            r = change->next;
            ++change;
        } while (change != changes.end() && change->row == (change - 1)->row + 1);
        const int firstColumn = std::countr_zero(columns);
        const int lastColumn = static_cast<int>(std::bit_width(columns)) - 1;
        Q_EMIT dataChanged(index(runBegin->row, firstColumn), index((change - 1)->row, lastColumn));
    }

    // 3. One block off the top; its active rows are kept aside (as updated) to be appended.
    std::vector<Row> carried;
    if (removed > 0) {
        carried.reserve(carryRows.size());
        auto pending = changes.cbegin();
        for (std::size_t i : carryRows) {
            while (pending != changes.cend() && static_cast<std::size_t>(pending->row) < i) {
                ++pending;
            }
            const bool updated =
                pending != changes.cend() && static_cast<std::size_t>(pending->row) == i;
            carried.push_back(updated ? pending->next : m_rows[i]);
        }
        beginRemoveRows({}, 0, removed - 1);
        for (int i = 0; i < removed; ++i) {
            const Row& r = m_rows[static_cast<std::size_t>(i)];
            m_index.remove(r.id);
            --m_counts[static_cast<std::size_t>(r.state)];
        }
        m_rows.erase(m_rows.begin(), m_rows.begin() + removed);
        m_base += static_cast<std::uint64_t>(removed);
        endRemoveRows();
    }

    // 4. One block onto the bottom: carried rows, then the new ones.
    const std::size_t added = carried.size() + fresh.size() - skipFresh;
    if (added == 0) {
        return;
    }
    const int first = rowCount();
    beginInsertRows({}, first, first + static_cast<int>(added) - 1);
    const auto append = [this](const Row& r) {
        m_index.insert(r.id, m_base + m_rows.size());
        ++m_counts[static_cast<std::size_t>(r.state)];
        m_rows.push_back(r);
    };
    std::for_each(carried.cbegin(), carried.cend(), append);
    std::for_each(fresh.cbegin() + static_cast<std::ptrdiff_t>(skipFresh), fresh.cend(), append);
    endInsertRows();
}

int RequestTableModel::trimPlan(std::size_t incoming, const std::vector<Change>& changes,
                                std::vector<std::size_t>& carry) const {
    const std::size_t rows = m_rows.size();
    const auto maxRows = static_cast<std::size_t>(m_maxRows);
    if (rows + incoming <= maxRows) {
        return 0;
    }
    const std::size_t excess = rows + incoming - maxRows;
    if (excess >= rows) {
        return static_cast<int>(rows); // the batch alone fills the table
    }
    // Grow the block from the top until it holds `excess` terminal rows (states as this batch
    // leaves them); the active rows met on the way are carried. In a steady stream the oldest
    // rows are long finished, so this walks little more than `excess` rows.
    std::size_t dropped = 0;
    std::size_t end = 0;
    auto pending = changes.cbegin();
    for (; end < rows && dropped < excess; ++end) {
        while (pending != changes.cend() && static_cast<std::size_t>(pending->row) < end) {
            ++pending;
        }
        const bool updated =
            pending != changes.cend() && static_cast<std::size_t>(pending->row) == end;
        if (isTerminal(updated ? pending->next.state : m_rows[end].state)) {
            ++dropped;
        } else if (carry.size() < kMaxCarry) {
            carry.push_back(end);
        } else {
            break;
        }
    }
    if (dropped < excess) {
        carry.clear(); // too many active rows: the oldest go, whatever their state
        return static_cast<int>(excess);
    }
    return static_cast<int>(end);
}

void RequestTableModel::clear() {
    beginResetModel();
    m_rows.clear();
    m_rows.shrink_to_fit();
    m_index.clear();
    m_index.squeeze();
    m_base = 0;
    m_counts.fill(0);
    m_reasons.resize(1);
    m_reasonIndex.clear();
    endResetModel();
}

int RequestTableModel::rowOf(std::uint64_t id) const {
    const auto it = m_index.constFind(id);
    return it == m_index.cend() ? -1 : static_cast<int>(*it - m_base);
}

qint64 RequestTableModel::sortKey(int row, int column) const {
    const Row& r = m_rows[static_cast<std::size_t>(row)];
    switch (column) {
    case Id:
        return static_cast<qint64>(r.id);
    case Priority:
        return r.priority;
    case State:
        // Lifecycle order; waiting rows by queue position, unknown positions last.
        return (static_cast<qint64>(r.state) << 32) +
               (r.position >= 0 ? r.position : std::numeric_limits<std::int32_t>::max());
    case Attempts:
        return r.attempts;
    case Status:
        // HTTP statuses first, then failures without one (by reason), then nothing.
        return statusKey(r);
    case Reason:
        return r.reason;
    case Ttft:
        return r.ttft;
    case E2e:
        return r.e2e;
    case Total:
        return r.total;
    default:
        return 0;
    }
}

QString RequestTableModel::stateText(RequestState state, std::int64_t position) {
    switch (state) {
    case RequestState::Queued:
        return position >= 0 ? tr("queued (#%1)").arg(position + 1) : tr("queued");
    case RequestState::WaitingBudget:
        return tr("waiting for budget");
    case RequestState::InFlight:
        return tr("in flight");
    case RequestState::Streaming:
        return tr("streaming");
    case RequestState::Retrying:
        return tr("retrying");
    case RequestState::Done:
        return tr("done");
    case RequestState::Failed:
        return tr("failed");
    case RequestState::Rejected:
        return tr("rejected");
    case RequestState::TimedOut:
        return tr("timed out");
    case RequestState::Cancelled:
        return tr("cancelled");
    }
    return {};
}

QString RequestTableModel::toolTip(const Row& r) const {
    QString text;
    switch (r.state) {
    case RequestState::Queued:
        text = r.position >= 0
                   ? tr("Queued: waiting for a concurrency slot, #%1 in the queue when last "
                        "reported.")
                         .arg(r.position + 1)
                   : tr("Queued: waiting for a concurrency slot.");
        break;
    case RequestState::WaitingBudget:
        text = tr("Waiting for budget: a rate budget (requests or tokens per minute) is spent; "
                  "the request is sent when it opens again.");
        break;
    case RequestState::InFlight:
        text = tr("In flight: sent, waiting for the response.");
        break;
    case RequestState::Streaming:
        text = tr("Streaming: receiving the response.");
        break;
    case RequestState::Retrying:
        text = tr("Retrying: attempt %1 failed; waiting before the next one.").arg(r.attempts);
        break;
    case RequestState::Done:
        text = tr("Done after %n attempt(s).", nullptr, r.attempts);
        break;
    case RequestState::Failed:
        text = tr("Failed: an error that is not retried, or no retries left.");
        break;
    case RequestState::Rejected:
        text = tr("Rejected: never sent (for example a full queue or an open circuit breaker).");
        break;
    case RequestState::TimedOut:
        text = tr("Timed out: its deadline passed before it finished.");
        break;
    case RequestState::Cancelled:
        text = tr("Cancelled before it finished.");
        break;
    }
    if (r.status != 0) {
        text += QLatin1Char('\n') + tr("Last HTTP status: %1").arg(r.status);
    }
    if (r.reason != 0) {
        text += QLatin1Char('\n') + tr("Reason: %1").arg(failureText(m_reasons[r.reason]));
    }
    return text;
}

int RequestTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int RequestTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RequestTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount) {
        return {};
    }
    const Row& r = m_rows[static_cast<std::size_t>(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case Id:
            return QString::number(r.id);
        case Priority:
            return QString::number(r.priority);
        case State:
            return stateText(r.state, r.position);
        case Attempts:
            return QString::number(r.attempts);
        case Status:
            return statusText(r);
        case Reason:
            return r.reason != 0 ? failureText(m_reasons[r.reason]) : QString();
        case Ttft:
            return tenthsText(r.ttft);
        case E2e:
            return tenthsText(r.e2e);
        case Total:
            return tenthsText(r.total);
        }
        return {};
    case StateRole:
        return column == State ? QVariant(static_cast<int>(r.state)) : QVariant();
    case SortRole:
        return sortKey(index.row(), column);
    case Qt::ForegroundRole:
        return column == State ? foreground(r.state) : QVariant();
    case Qt::TextAlignmentRole:
        if (column == State || column == Reason || (column == Status && r.status == 0)) {
            return {};
        }
        return static_cast<int>(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        return column == State ? QVariant(toolTip(r)) : QVariant();
    default:
        return {};
    }
}

QVariant RequestTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Id:
            return tr("ID");
        case Priority:
            return tr("Priority");
        case State:
            return tr("State");
        case Attempts:
            return tr("Attempts");
        case Status:
            return tr("Status");
        case Reason:
            return tr("Reason");
        case Ttft:
            return tr("TTFT (ms)");
        case E2e:
            return tr("E2E (ms)");
        case Total:
            return tr("Total (ms)");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case Id:
            return tr("The engine's request id, in order of submission.");
        case Priority:
            return tr("Queue priority: 0 is the most urgent.");
        case State:
            return tr("Where the request is now.");
        case Attempts:
            return tr("Attempts sent so far (retries included).");
        case Status:
            return tr("HTTP status of the last attempt; for a failure without one (network, "
                      "circuit breaker, full queue), why it failed.");
        case Reason:
            return tr("Why the request failed, when it did.");
        case Ttft:
            return tr("Time to first token: from sending the last attempt to its first token, "
                      "in milliseconds.");
        case E2e:
            return tr("End to end: from sending the last attempt to its last byte, in "
                      "milliseconds. What the server took.");
        case Total:
            return tr("From submission to the end, in milliseconds: our own queue, retries and "
                      "back-off included. What the caller waited.");
        }
    }
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace sluice
