// RequestTableModel and RequestFilterModel under random engine-like batches, checked against a
// brute-force reference: rows, changed cells, trimming, filtering and sorting.
#include "tests/support/requestrows.h"
#include "ui/models/requestfiltermodel.h"
#include "ui/models/requesttablemodel.h"

#include <QAbstractItemModelTester>
#include <QColor>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <bit>
#include <map>
#include <random>
#include <set>

using namespace sluice;
using namespace std::chrono_literals;
using Filter = RequestFilterModel::Filter;

using namespace sluice::test;

namespace {

/// What the State column must read, written out here rather than taken from the model.
QString expectedStateText(RequestState s, std::int64_t position) {
    switch (s) {
    case RequestState::Queued:
        return position >= 0 ? QStringLiteral("queued (#%1)").arg(position + 1)
                             : QStringLiteral("queued");
    case RequestState::WaitingBudget:
        return QStringLiteral("waiting for budget");
    case RequestState::InFlight:
        return QStringLiteral("in flight");
    case RequestState::Streaming:
        return QStringLiteral("streaming");
    case RequestState::Retrying:
        return QStringLiteral("retrying");
    case RequestState::Done:
        return QStringLiteral("done");
    case RequestState::Failed:
        return QStringLiteral("failed");
    case RequestState::Rejected:
        return QStringLiteral("rejected");
    case RequestState::TimedOut:
        return QStringLiteral("timed out");
    case RequestState::Cancelled:
        return QStringLiteral("cancelled");
    }
    return {};
}

/// A plain vector implementation of apply()'s contract, to compare the model with.
class Reference {
public:
    struct Result {
        std::vector<int> changedRows;           ///< rows (before the trim) the batch changed
        std::map<int, unsigned> changedColumns; ///< of each: bit c set = column c changed
        std::vector<std::uint64_t> skipped;     ///< new ids that did not fit
        int removed = 0;
        int added = 0;
        int carried = 0;
        bool fellBack = false;
    };

    explicit Reference(int maxRows)
        : m_maxRows(static_cast<std::size_t>(maxRows)) {}

    Result apply(const QList<RequestUpdate>& batch) {
        Result result;
        const std::vector<RequestUpdate> before = rows;
        std::vector<RequestUpdate> fresh;
        for (RequestUpdate u : batch) {
            if (u.state != RequestState::Queued && u.state != RequestState::WaitingBudget) {
                u.position = -1;
            }
            const auto known = std::find_if(rows.begin(), rows.end(),
                                            [&](const RequestUpdate& r) { return r.id == u.id; });
            if (known != rows.end()) {
                *known = u;
                continue;
            }
            const auto again = std::find_if(fresh.begin(), fresh.end(),
                                            [&](const RequestUpdate& r) { return r.id == u.id; });
            if (again != fresh.end()) {
                *again = u;
            } else {
                fresh.push_back(u);
            }
        }
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (const unsigned columns = diff(before[i], rows[i])) {
                result.changedRows.push_back(static_cast<int>(i));
                result.changedColumns[static_cast<int>(i)] = columns;
            }
        }
        if (fresh.size() > m_maxRows) {
            for (std::size_t i = 0; i < fresh.size() - m_maxRows; ++i) {
                result.skipped.push_back(fresh[i].id);
            }
            fresh.erase(fresh.begin(), fresh.end() - static_cast<std::ptrdiff_t>(m_maxRows));
        }
        std::vector<RequestUpdate> carried;
        if (rows.size() + fresh.size() > m_maxRows) {
            const std::size_t excess = rows.size() + fresh.size() - m_maxRows;
            std::size_t removed = 0;
            if (excess >= rows.size()) {
                removed = rows.size();
            } else {
                // The excess-th terminal row from the top, and the active rows above it.
                std::size_t terminal = 0, at = 0;
                for (; at < rows.size(); ++at) {
                    if (isTerminal(rows[at].state) && ++terminal == excess) {
                        break;
                    }
                }
                std::vector<RequestUpdate> active;
                for (std::size_t i = 0; i < at && at < rows.size(); ++i) {
                    if (!isTerminal(rows[i].state)) {
                        active.push_back(rows[i]);
                    }
                }
                if (at == rows.size() || active.size() > 4096) {
                    removed = excess;
                    result.fellBack = true;
                } else {
                    removed = at + 1;
                    carried = std::move(active);
                }
            }
            rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(removed));
            result.removed = static_cast<int>(removed);
        }
        result.carried = static_cast<int>(carried.size());
        result.added = static_cast<int>(carried.size() + fresh.size());
        rows.insert(rows.end(), carried.begin(), carried.end());
        rows.insert(rows.end(), fresh.begin(), fresh.end());
        return result;
    }

    std::vector<RequestUpdate> rows;

private:
    static unsigned diff(const RequestUpdate& a, const RequestUpdate& b) {
        using M = RequestTableModel;
        unsigned columns = 0;
        columns |= a.priority != b.priority ? 1u << M::Priority : 0;
        columns |= a.state != b.state || a.position != b.position ? 1u << M::State : 0;
        columns |= a.attempts != b.attempts ? 1u << M::Attempts : 0;
        // With no HTTP status, the Status column shows the failure reason or the failed state.
        const auto failedState = [](const RequestUpdate& u) {
            return u.status == 0 && u.failure.kind == FailureKind::None &&
                           (u.state == RequestState::Failed || u.state == RequestState::Rejected ||
                            u.state == RequestState::TimedOut)
                       ? static_cast<int>(u.state)
                       : -1;
        };
        columns |= a.status != b.status ||
                           (a.status == 0 && b.status == 0 &&
                            (!(a.failure == b.failure) || failedState(a) != failedState(b)))
                       ? 1u << M::Status
                       : 0;
        columns |= !(a.failure == b.failure) ? 1u << M::Reason : 0;
        columns |= a.ttft != b.ttft ? 1u << M::Ttft : 0;
        columns |= a.e2e != b.e2e ? 1u << M::E2e : 0;
        columns |= a.total != b.total ? 1u << M::Total : 0;
        return columns;
    }
    std::size_t m_maxRows;
};

/// Engine-like traffic: requests arrive (mostly queued), move queued → in flight → streaming →
/// done or failed, some retry, some are slow (stay queued for long), some are cancelled.
/// Durations are whole tenths of a millisecond, so the model's rounding is exact.
class Traffic {
public:
    explicit Traffic(std::uint64_t seed)
        : m_rng(seed) {}

    QList<RequestUpdate> batch(int maxNew) {
        QList<RequestUpdate> out;
        const int arriving = pick(0, maxNew);
        for (int i = 0; i < arriving; ++i) {
            Live r;
            r.u.id = m_nextId++;
            r.u.priority = pick(0, 3);
            r.slow = chance(0.1);
            const int kind = pick(0, 19);
            r.u.state = kind < 15   ? RequestState::Queued
                        : kind < 16 ? RequestState::WaitingBudget
                        : kind < 18 ? RequestState::InFlight
                                    : RequestState::Rejected;
            r.u.position = pick(0, 40);
            r.u.attempts = r.u.state == RequestState::InFlight ? 1 : 0;
            start(r, out);
        }
        for (std::size_t i = 0; i < m_live.size(); ++i) {
            Live& r = m_live[i];
            if (chance(0.05)) {
                out.push_back(r.u); // unchanged: must signal nothing
            }
            if (!chance(r.slow ? 0.03 : 0.5)) {
                continue;
            }
            advance(r);
            if (chance(0.05) && !isTerminal(r.u.state)) {
                out.push_back(r.u); // two updates of one id in one batch
                advance(r);
            }
            out.push_back(r.u);
        }
        if (!m_ended.empty() && chance(0.2)) {
            // An ended request reported again (perhaps after its row was dropped).
            out.push_back(
                m_ended[static_cast<std::size_t>(pick(0, static_cast<int>(m_ended.size()) - 1))]);
        }
        std::erase_if(m_live, [this](const Live& r) {
            if (isTerminal(r.u.state)) {
                m_ended.push_back(r.u);
            }
            return isTerminal(r.u.state);
        });
        std::shuffle(out.begin(), out.end(), m_rng);
        return out;
    }

    std::uint64_t nextId() const { return m_nextId; }

private:
    struct Live {
        RequestUpdate u;
        bool slow = false;
    };

    void start(Live r, QList<RequestUpdate>& out) {
        out.push_back(r.u);
        if (isTerminal(r.u.state)) {
            m_ended.push_back(r.u);
        } else {
            m_live.push_back(r);
        }
    }

    void advance(Live& r) {
        RequestUpdate& u = r.u;
        using S = RequestState;
        const int roll = pick(0, 99);
        switch (u.state) {
        case S::Queued:
        case S::WaitingBudget:
            if (roll < 20) {
                u.position = pick(0, 40);
            } else if (roll < 30) {
                u.state = u.state == S::Queued ? S::WaitingBudget : S::Queued;
            } else if (roll < 33) {
                u.state = chance(0.5) ? S::Cancelled : S::TimedOut;
            } else {
                u.state = S::InFlight;
                ++u.attempts;
            }
            break;
        case S::InFlight:
            if (roll < 75) {
                u.state = S::Streaming;
                u.status = 200;
                u.ttft = Nanos(pick(1, 30000) * 100'000LL);
            } else if (roll < 88) {
                u.state = S::Retrying;
                u.status = chance(0.5) ? 429 : 503;
            } else {
                u.state = chance(0.5) ? S::Failed : S::TimedOut;
                u.status = chance(0.5) ? 500 : 0;
            }
            break;
        case S::Streaming:
            u.state = roll < 90 ? S::Done : S::Failed;
            u.e2e = u.ttft + Nanos(pick(0, 50000) * 100'000LL);
            break;
        case S::Retrying:
            u.state = roll < 10 ? S::Cancelled : S::InFlight;
            u.attempts += u.state == S::InFlight ? 1 : 0;
            break;
        default:
            break;
        }
        if (u.state != S::Queued && u.state != S::WaitingBudget) {
            u.position = -1;
        }
    }

    int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(m_rng); }
    bool chance(double p) { return std::bernoulli_distribution(p)(m_rng); }

    std::mt19937_64 m_rng;
    std::uint64_t m_nextId = 1;
    std::vector<Live> m_live;
    std::vector<RequestUpdate> m_ended;
};

} // namespace

class TestRequestModelRandom final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void randomBatches_data();
    void randomBatches();
};

void TestRequestModelRandom::randomBatches_data() {
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<int>("maxRows");
    QTest::addColumn<int>("maxNew");
    QTest::addColumn<int>("batches");
    QTest::newRow("small table, bursts") << quint64(1) << 40 << 25 << 400;
    QTest::newRow("small table, trickle") << quint64(2) << 60 << 6 << 400;
    QTest::newRow("tiny table") << quint64(3) << 5 << 2 << 400;
    QTest::newRow("roomy") << quint64(4) << 150 << 20 << 120;
    QTest::newRow("other seed") << quint64(5) << 50 << 15 << 300;
}

void TestRequestModelRandom::randomBatches() {
    QFETCH(quint64, seed);
    QFETCH(int, maxRows);
    QFETCH(int, maxNew);
    QFETCH(int, batches);
    using Mode = QAbstractItemModelTester::FailureReportingMode;

    RequestTableModel model(maxRows);
    RequestFilterModel filtered; // unsorted: keeps the model's order
    RequestFilterModel sorted;
    filtered.setSourceModel(&model);
    sorted.setSourceModel(&model);
    QAbstractItemModelTester modelTester(&model, Mode::Fatal);
    QAbstractItemModelTester filteredTester(&filtered, Mode::Fatal);
    QAbstractItemModelTester sortedTester(&sorted, Mode::Fatal);

    struct Range {
        int first, last, firstColumn, lastColumn;
    };
    std::vector<Range> changed;
    std::vector<std::pair<int, int>> removedRanges, insertedRanges;
    std::vector<std::uint64_t> droppedNow;
    connect(&model, &QAbstractItemModel::dataChanged, this,
            [&](const QModelIndex& tl, const QModelIndex& br) {
                changed.push_back({tl.row(), br.row(), tl.column(), br.column()});
            });
    connect(&model, &QAbstractItemModel::rowsAboutToBeRemoved, this,
            [&](const QModelIndex&, int first, int last) {
                for (int r = first; r <= last; ++r) {
                    droppedNow.push_back(model.idAt(r));
                }
            });
    connect(&model, &QAbstractItemModel::rowsRemoved, this,
            [&](const QModelIndex&, int first, int last) {
                removedRanges.push_back({first, last});
            });
    connect(&model, &QAbstractItemModel::rowsInserted, this,
            [&](const QModelIndex&, int first, int last) {
                insertedRanges.push_back({first, last});
            });

    Reference reference(maxRows);
    Traffic traffic(seed);
    std::mt19937 rng(static_cast<std::uint32_t>(seed));
    const Filter filters[] = {Filter::All,      Filter::Active, Filter::Queued, Filter::InFlight,
                              Filter::Retrying, Filter::Done,   Filter::Failed};
    std::set<std::uint64_t> seen, dropped;
    int trims = 0, carries = 0, fallbacks = 0;

    for (int batchNo = 0; batchNo < batches; ++batchNo) {
        if (batchNo % 25 == 0) {
            filtered.setFilter(filters[rng() % 7]);
            sorted.setFilter(filters[rng() % 7]);
            sorted.sort(static_cast<int>(rng() % RequestTableModel::ColumnCount),
                        rng() % 2 ? Qt::AscendingOrder : Qt::DescendingOrder);
        }
        const QList<RequestUpdate> batch = traffic.batch(maxNew);
        const int rowsBefore = model.rowCount();
        changed.clear();
        removedRanges.clear();
        insertedRanges.clear();
        droppedNow.clear();

        model.apply(batch);
        const Reference::Result expected = reference.apply(batch);
        const QString where = QStringLiteral("batch %1").arg(batchNo);

        // Rows, in order, with what they show.
        QCOMPARE(model.rowCount(), static_cast<int>(reference.rows.size()));
        QVERIFY(model.rowCount() <= maxRows);
        std::array<std::int64_t, kStates> counts{};
        for (int r = 0; r < model.rowCount(); ++r) {
            const RequestUpdate& want = reference.rows[static_cast<std::size_t>(r)];
            QCOMPARE(model.index(r, RequestTableModel::Id).data().toString().toULongLong(),
                     want.id);
            QCOMPARE(model.rowOf(want.id), r);
            const RequestState state = stateOf(model, r);
            QCOMPARE(state, want.state);
            ++counts[static_cast<std::size_t>(state)];
            QCOMPARE(model.index(r, RequestTableModel::State).data().toString(),
                     expectedStateText(want.state, want.position));
            QCOMPARE(model.index(r, RequestTableModel::Attempts).data().toString(),
                     QString::number(want.attempts));
            QCOMPARE(model.index(r, RequestTableModel::E2e)
                         .data(RequestTableModel::SortRole)
                         .toLongLong(),
                     want.e2e.count() ? want.e2e.count() / 100'000 + 1 : 0);
        }
        QCOMPARE(model.stateCounts(), counts);

        // Every id seen has a row, unless it was dropped (and not reported since).
        for (std::uint64_t id : droppedNow) {
            if (model.rowOf(id) < 0) {
                dropped.insert(id);
            }
        }
        dropped.insert(expected.skipped.begin(), expected.skipped.end());
        for (const RequestUpdate& u : batch) {
            seen.insert(u.id);
            if (model.rowOf(u.id) >= 0) {
                dropped.erase(u.id);
            }
        }
        for (std::uint64_t id : seen) {
            QVERIFY2(model.rowOf(id) >= 0 || dropped.count(id),
                     qPrintable(where + QStringLiteral(": id %1 lost").arg(id)));
        }

        // Signals: one removal from the top, one insertion at the bottom, dataChanged exactly
        // over the runs of changed rows that were kept (rows as they were before the removal).
        QCOMPARE(removedRanges.size(), std::size_t(expected.removed > 0 ? 1 : 0));
        if (expected.removed > 0) {
            QCOMPARE(removedRanges[0], std::make_pair(0, expected.removed - 1));
            ++trims;
            carries += expected.carried > 0 ? 1 : 0;
            fallbacks += expected.fellBack ? 1 : 0;
        }
        QCOMPARE(insertedRanges.size(), std::size_t(expected.added > 0 ? 1 : 0));
        if (expected.added > 0) {
            const int first = rowsBefore - expected.removed;
            QCOMPARE(insertedRanges[0], std::make_pair(first, first + expected.added - 1));
        }
        std::set<int> want;
        for (int r : expected.changedRows) {
            if (r >= expected.removed) {
                want.insert(r);
            }
        }
        std::set<int> got;
        for (std::size_t i = 0; i < changed.size(); ++i) {
            const Range& c = changed[i];
            QVERIFY(c.first <= c.last);
            if (i > 0) {
                QVERIFY2(c.first > changed[i - 1].last + 1, "ranges not minimal");
            }
            unsigned columns = 0;
            for (int r = c.first; r <= c.last; ++r) {
                QVERIFY2(want.count(r), "a range covers an unchanged row");
                got.insert(r);
                columns |= expected.changedColumns.at(r);
            }
            // Exactly the columns that changed in the run (from the first to the last).
            QCOMPARE(c.firstColumn, std::countr_zero(columns));
            QCOMPARE(c.lastColumn, static_cast<int>(std::bit_width(columns)) - 1);
        }
        QVERIFY2(got == want, qPrintable(where + QStringLiteral(": a changed row not signalled")));

        // Filtered proxy: exactly the matching rows, in the model's order.
        const std::set<RequestState> pass = filterStates(filtered.filter());
        std::vector<std::uint64_t> expectedIds;
        for (const RequestUpdate& u : reference.rows) {
            if (pass.count(u.state)) {
                expectedIds.push_back(u.id);
            }
        }
        QCOMPARE(ids(filtered), expectedIds);

        // Sorted proxy: the matching rows, ordered by SortRole.
        const std::set<RequestState> sortedPass = filterStates(sorted.filter());
        std::multiset<std::uint64_t> expectedSorted;
        for (const RequestUpdate& u : reference.rows) {
            if (sortedPass.count(u.state)) {
                expectedSorted.insert(u.id);
            }
        }
        const std::vector<std::uint64_t> shown = ids(sorted);
        QCOMPARE(std::multiset<std::uint64_t>(shown.begin(), shown.end()), expectedSorted);
        const int column = sorted.sortColumn();
        for (int r = 1; r < sorted.rowCount(); ++r) {
            const qint64 a =
                sorted.index(r - 1, column).data(RequestTableModel::SortRole).toLongLong();
            const qint64 b = sorted.index(r, column).data(RequestTableModel::SortRole).toLongLong();
            QVERIFY2(sorted.sortOrder() == Qt::AscendingOrder ? a <= b : a >= b,
                     qPrintable(where + QStringLiteral(": sort order")));
            if (a == b) { // ties in the model's order (reversed when descending)
                const int ra = sorted.mapToSource(sorted.index(r - 1, 0)).row();
                const int rb = sorted.mapToSource(sorted.index(r, 0)).row();
                QVERIFY2(sorted.sortOrder() == Qt::AscendingOrder ? ra < rb : ra > rb,
                         qPrintable(where + QStringLiteral(": tie order")));
            }
        }
    }
    // The run exercised what it is meant to: trims that carried active rows, and trims that
    // had to drop them.
    QVERIFY(trims > 0);
    QVERIFY(carries > 0);
    QVERIFY(fallbacks > 0);
    QVERIFY(traffic.nextId() > static_cast<std::uint64_t>(maxRows));
}

QTEST_MAIN(TestRequestModelRandom)
#include "tst_requestmodelrandom.moc"
