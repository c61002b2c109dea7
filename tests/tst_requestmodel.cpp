// RequestTableModel and RequestFilterModel: display, batching signals, trimming, filtering and
// sorting, checked against a brute-force reference under random engine-like batches.
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

namespace {

constexpr int kStates = 10;

RequestUpdate update(std::uint64_t id, RequestState state, std::int64_t position = -1,
                     int attempts = 0, int status = 0, Nanos ttft = {}, Nanos latency = {}) {
    RequestUpdate u;
    u.id = id;
    u.state = state;
    u.position = position;
    u.attempts = attempts;
    u.status = status;
    u.ttft = ttft;
    u.e2e = latency;
    return u;
}

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

/// The filter groups, written out as sets.
std::set<RequestState> filterStates(Filter f) {
    using S = RequestState;
    switch (f) {
    case Filter::All:
        return {S::Queued, S::WaitingBudget, S::InFlight, S::Streaming, S::Retrying,
                S::Done,   S::Failed,        S::Rejected, S::TimedOut,  S::Cancelled};
    case Filter::Active:
        return {S::Queued, S::WaitingBudget, S::InFlight, S::Streaming, S::Retrying};
    case Filter::Queued:
        return {S::Queued, S::WaitingBudget};
    case Filter::InFlight:
        return {S::InFlight, S::Streaming};
    case Filter::Retrying:
        return {S::Retrying};
    case Filter::Done:
        return {S::Done};
    case Filter::Failed:
        return {S::Failed, S::Rejected, S::TimedOut, S::Cancelled};
    }
    return {};
}

std::vector<std::uint64_t> ids(const QAbstractItemModel& model) {
    std::vector<std::uint64_t> out;
    for (int r = 0; r < model.rowCount(); ++r) {
        out.push_back(model.index(r, RequestTableModel::Id).data().toString().toULongLong());
    }
    return out;
}

RequestState stateOf(const QAbstractItemModel& model, int row) {
    return static_cast<RequestState>(
        model.index(row, RequestTableModel::State).data(RequestTableModel::StateRole).toInt());
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

class TestRequestModel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void stateText_data();
    void stateText();
    void columns();
    void failuresShowTheirReason();
    void totalColumn();
    void headers();
    void foreground();
    void dataChangedRuns();
    void oneInsertPerBatch();
    void trimCarriesActiveRows();
    void trimDropsOldestWhenAllActive();
    void trimCarryIsBounded();
    void batchLargerThanMaxRows();
    void clearStartsOver();
    void filters_data();
    void filters();
    void filterNames();
    void sortsBySortRole();
    void randomBatches_data();
    void randomBatches();
};

void TestRequestModel::stateText_data() {
    QTest::addColumn<int>("stateValue");
    QTest::addColumn<qint64>("position");
    QTest::addColumn<QString>("text");
    using S = RequestState;
    QTest::newRow("queued #12") << int(S::Queued) << qint64(11) << QStringLiteral("queued (#12)");
    QTest::newRow("queued head") << int(S::Queued) << qint64(0) << QStringLiteral("queued (#1)");
    QTest::newRow("queued unknown") << int(S::Queued) << qint64(-1) << QStringLiteral("queued");
    QTest::newRow("waiting") << int(S::WaitingBudget) << qint64(3)
                             << QStringLiteral("waiting for budget");
    QTest::newRow("in flight") << int(S::InFlight) << qint64(-1) << QStringLiteral("in flight");
    QTest::newRow("streaming") << int(S::Streaming) << qint64(-1) << QStringLiteral("streaming");
    QTest::newRow("retrying") << int(S::Retrying) << qint64(-1) << QStringLiteral("retrying");
    QTest::newRow("done") << int(S::Done) << qint64(-1) << QStringLiteral("done");
    QTest::newRow("failed") << int(S::Failed) << qint64(-1) << QStringLiteral("failed");
    QTest::newRow("rejected") << int(S::Rejected) << qint64(-1) << QStringLiteral("rejected");
    QTest::newRow("timed out") << int(S::TimedOut) << qint64(-1) << QStringLiteral("timed out");
    QTest::newRow("cancelled") << int(S::Cancelled) << qint64(-1) << QStringLiteral("cancelled");
    QTest::newRow("position ignored when not queued")
        << int(S::InFlight) << qint64(5) << QStringLiteral("in flight");
}

void TestRequestModel::stateText() {
    QFETCH(int, stateValue);
    const auto state = static_cast<RequestState>(stateValue);
    QFETCH(qint64, position);
    QFETCH(QString, text);
    RequestTableModel model;
    model.apply({update(7, state, position)});
    QCOMPARE(model.index(0, RequestTableModel::State).data().toString(), text);
    QCOMPARE(model.index(0, RequestTableModel::State).data(RequestTableModel::StateRole).toInt(),
             static_cast<int>(state));
    QVERIFY(!model.index(0, RequestTableModel::State).data(Qt::ToolTipRole).toString().isEmpty());
}

void TestRequestModel::columns() {
    RequestTableModel model;
    RequestUpdate done =
        update(42, RequestState::Done, -1, 2, 200, Nanos(12'340'000), Nanos(1'234'567'890));
    done.priority = 3;
    model.apply({done, update(43, RequestState::Queued, 2),
                 update(44, RequestState::Streaming, -1, 1, 200, 10us)});
    const auto text = [&](int row, int column) {
        return model.index(row, column).data().toString();
    };
    QCOMPARE(text(0, RequestTableModel::Id), QStringLiteral("42"));
    QCOMPARE(text(0, RequestTableModel::Priority), QStringLiteral("3"));
    QCOMPARE(text(0, RequestTableModel::Attempts), QStringLiteral("2"));
    QCOMPARE(text(0, RequestTableModel::Status), QStringLiteral("200"));
    QCOMPARE(text(0, RequestTableModel::Ttft), QStringLiteral("12.3"));
    QCOMPARE(text(0, RequestTableModel::E2e), QStringLiteral("1234.6"));
    QCOMPARE(text(1, RequestTableModel::Status), QString());
    QCOMPARE(text(1, RequestTableModel::Ttft), QString());
    QCOMPARE(text(1, RequestTableModel::E2e), QString());
    QCOMPARE(text(2, RequestTableModel::Ttft), QStringLiteral("0.0")); // measured, just tiny

    const auto alignment = [&](int column) {
        return model.index(0, column).data(Qt::TextAlignmentRole).toInt();
    };
    for (int column :
         {RequestTableModel::Id, RequestTableModel::Priority, RequestTableModel::Attempts,
          RequestTableModel::Status, RequestTableModel::Ttft, RequestTableModel::E2e}) {
        QVERIFY2(alignment(column) & Qt::AlignRight, qPrintable(QString::number(column)));
    }
    QVERIFY(!(alignment(RequestTableModel::State) & Qt::AlignRight));

    QVERIFY(model.index(1, RequestTableModel::State)
                .data(Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("#3")));
    QVERIFY(!model.index(1, RequestTableModel::Id).data(Qt::ToolTipRole).isValid());
    QCOMPARE(model.index(0, RequestTableModel::Ttft).data(RequestTableModel::SortRole).toLongLong(),
             124);
    QCOMPARE(model.rowOf(43), 1);
    QCOMPARE(model.rowOf(99), -1);
}

void TestRequestModel::failuresShowTheirReason() {
    RequestTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    using S = RequestState;
    RequestUpdate http = update(1, S::Failed, -1, 3, 503);
    http.failure = {FailureKind::Http, 503, {}};
    RequestUpdate quota = update(2, S::Failed, -1, 1, 429);
    quota.failure = {FailureKind::Http, 429, QStringLiteral("insufficient_quota")};
    RequestUpdate breaker = update(3, S::Failed, -1, 0, 0);
    breaker.failure = {FailureKind::CircuitOpen, 0, {}};
    RequestUpdate refused = update(4, S::Failed, -1, 1, 0);
    refused.failure = {FailureKind::ConnectionRefused, 0, {}};
    RequestUpdate full = update(5, S::Rejected);
    full.failure = {FailureKind::QueueFull, 0, {}};
    RequestUpdate deadline = update(6, S::TimedOut);
    deadline.failure = {FailureKind::Deadline, 0, {}};
    RequestUpdate unexplained = update(7, S::Failed); // no reason given: the state says it
    RequestUpdate ok = update(8, S::Done, -1, 1, 200);
    model.apply({http, quota, breaker, refused, full, deadline, unexplained, ok});
    const auto text = [&](int row, int column) {
        return model.index(row, column).data().toString();
    };
    QCOMPARE(text(0, RequestTableModel::Status), QStringLiteral("503"));
    QCOMPARE(text(0, RequestTableModel::Reason), QStringLiteral("HTTP 503"));
    QCOMPARE(text(1, RequestTableModel::Reason), QStringLiteral("HTTP 429 insufficient_quota"));
    QCOMPARE(text(2, RequestTableModel::Status), QStringLiteral("circuit open"));
    QCOMPARE(text(2, RequestTableModel::Reason), QStringLiteral("circuit open"));
    QCOMPARE(text(3, RequestTableModel::Status), QStringLiteral("connection refused"));
    QCOMPARE(text(4, RequestTableModel::Status), QStringLiteral("queue full"));
    QCOMPARE(text(5, RequestTableModel::Status), QStringLiteral("deadline passed while queued"));
    QCOMPARE(text(6, RequestTableModel::Status), QStringLiteral("failed"));
    QVERIFY(text(6, RequestTableModel::Reason).isEmpty());
    QCOMPARE(text(7, RequestTableModel::Status), QStringLiteral("200"));
    QVERIFY(text(7, RequestTableModel::Reason).isEmpty());
    // No failed row has a blank status.
    for (int row = 0; row < model.rowCount(); ++row) {
        QVERIFY2(!text(row, RequestTableModel::Status).isEmpty(), qPrintable(QString::number(row)));
    }
    QVERIFY(model.index(2, RequestTableModel::State)
                .data(Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("circuit open")));

    // A retry that ends in success drops the reason, and signals the columns that changed.
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    RequestUpdate recovered = update(4, S::Done, -1, 2, 200);
    model.apply({recovered});
    QCOMPARE(changed.size(), 1);
    const QModelIndex from = changed.first().at(0).value<QModelIndex>();
    const QModelIndex to = changed.first().at(1).value<QModelIndex>();
    QVERIFY(from.column() <= RequestTableModel::State);
    QVERIFY(to.column() >= RequestTableModel::Reason);
    QCOMPARE(text(3, RequestTableModel::Status), QStringLiteral("200"));
    QVERIFY(text(3, RequestTableModel::Reason).isEmpty());

    // The reason sorts: rows with one after rows without.
    QVERIFY(
        model.index(2, RequestTableModel::Reason).data(RequestTableModel::SortRole).toLongLong() >
        0);
    QCOMPARE(
        model.index(7, RequestTableModel::Reason).data(RequestTableModel::SortRole).toLongLong(),
        0);
    model.clear();
    model.apply({breaker});
    QCOMPARE(text(0, RequestTableModel::Reason), QStringLiteral("circuit open"));
}

void TestRequestModel::totalColumn() {
    RequestTableModel model;
    RequestUpdate done = update(1, RequestState::Done, -1, 1, 200, 100ms, 400ms);
    done.total = 1500ms; // 1.1 s of it in our queue
    model.apply({done, update(2, RequestState::Streaming, -1, 1, 200, 80ms)});
    QCOMPARE(model.index(0, RequestTableModel::E2e).data().toString(), QStringLiteral("400.0"));
    QCOMPARE(model.index(0, RequestTableModel::Total).data().toString(), QStringLiteral("1500.0"));
    QVERIFY(model.index(1, RequestTableModel::Total).data().toString().isEmpty());
    QCOMPARE(
        model.index(0, RequestTableModel::Total).data(RequestTableModel::SortRole).toLongLong(),
        15001);
}

void TestRequestModel::headers() {
    RequestTableModel model;
    const auto header = [&](int section) {
        return model.headerData(section, Qt::Horizontal).toString();
    };
    QCOMPARE(model.columnCount(), 9);
    QCOMPARE(header(RequestTableModel::Id), QStringLiteral("ID"));
    QCOMPARE(header(RequestTableModel::State), QStringLiteral("State"));
    QCOMPARE(header(RequestTableModel::Ttft), QStringLiteral("TTFT (ms)"));
    QCOMPARE(header(RequestTableModel::E2e), QStringLiteral("E2E (ms)"));
    QCOMPARE(header(RequestTableModel::Total), QStringLiteral("Total (ms)"));
    QCOMPARE(header(RequestTableModel::Reason), QStringLiteral("Reason"));
    for (int section = 0; section < RequestTableModel::ColumnCount; ++section) {
        QVERIFY(!header(section).isEmpty());
        QVERIFY(!model.headerData(section, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());
    }
}

void TestRequestModel::foreground() {
    RequestTableModel model;
    using S = RequestState;
    model.apply({update(1, S::Failed), update(2, S::Rejected), update(3, S::TimedOut),
                 update(4, S::Retrying), update(5, S::Done), update(6, S::Streaming)});
    const auto colour = [&](int row) {
        return model.index(row, RequestTableModel::State).data(Qt::ForegroundRole);
    };
    const QColor red = colour(0).value<QColor>();
    QVERIFY(red.isValid());
    QVERIFY(red.red() > red.green() && red.red() > red.blue());
    QCOMPARE(colour(1).value<QColor>(), red);
    QCOMPARE(colour(2).value<QColor>(), red);
    const QColor amber = colour(3).value<QColor>();
    QVERIFY(amber.isValid());
    QVERIFY(amber != red);
    QVERIFY(!colour(4).isValid()); // done: the palette's text colour
    QVERIFY(colour(5).value<QColor>().isValid());
    // The state's colour, tooltip and StateRole sit on the State column only: a state change
    // then touches no other column.
    for (int column = 0; column < RequestTableModel::ColumnCount; ++column) {
        if (column != RequestTableModel::State) {
            const QModelIndex cell = model.index(0, column);
            QVERIFY(!cell.data(Qt::ForegroundRole).isValid());
            QVERIFY(!cell.data(RequestTableModel::StateRole).isValid());
        }
    }
}

void TestRequestModel::dataChangedRuns() {
    RequestTableModel model;
    QList<RequestUpdate> first;
    for (std::uint64_t id = 1; id <= 10; ++id) {
        first.push_back(update(id, RequestState::Queued, static_cast<std::int64_t>(id)));
    }
    model.apply(first);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.apply({update(8, RequestState::InFlight, -1, 1), update(2, RequestState::InFlight),
                 update(10, RequestState::Queued, 10), // unchanged
                 update(4, RequestState::Queued, 0), update(3, RequestState::WaitingBudget, 3)});
    QCOMPARE(inserted.count(), 0);
    QCOMPARE(changed.count(), 2);
    const auto range = [&](int i) {
        const auto tl = changed.at(i).at(0).value<QModelIndex>();
        const auto br = changed.at(i).at(1).value<QModelIndex>();
        return std::array{tl.row(), br.row(), tl.column(), br.column()};
    };
    // Rows 1..3 changed state or queue position only; row 7 its state and attempts.
    QCOMPARE(range(0), (std::array{1, 3, +RequestTableModel::State, +RequestTableModel::State}));
    QCOMPARE(range(1), (std::array{7, 7, +RequestTableModel::State, +RequestTableModel::Attempts}));
    QCOMPARE(model.index(3, RequestTableModel::State).data().toString(),
             QStringLiteral("queued (#1)"));
    QCOMPARE(model.stateCounts()[static_cast<int>(RequestState::InFlight)], 2);
    QCOMPARE(model.stateCounts()[static_cast<int>(RequestState::Queued)], 7);
}

void TestRequestModel::oneInsertPerBatch() {
    RequestTableModel model;
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QList<RequestUpdate> batch;
    for (std::uint64_t id = 1; id <= 300; ++id) {
        batch.push_back(update(id, RequestState::Queued));
    }
    batch.push_back(update(5, RequestState::InFlight)); // later update of a new id wins
    model.apply(batch);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(inserted.at(0).at(2).toInt(), 299);
    QCOMPARE(changed.count(), 0);
    QCOMPARE(stateOf(model, 4), RequestState::InFlight);
    model.apply({});
    QCOMPARE(inserted.count(), 1);
}

void TestRequestModel::trimCarriesActiveRows() {
    using S = RequestState;
    RequestTableModel model(5);
    model.apply({update(1, S::Queued, 0), update(2, S::Done), update(3, S::InFlight),
                 update(4, S::Done), update(5, S::Done)});
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.apply({update(6, S::Queued, 1), update(7, S::Queued, 2)});
    // Two must go: the block from the top grows to hold two terminal rows (2 and 4); the
    // active 1 and 3 inside it are carried to the bottom, before the new rows.
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 0);
    QCOMPARE(removed.at(0).at(2).toInt(), 3);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 1);
    QCOMPARE(inserted.at(0).at(2).toInt(), 4);
    QCOMPARE(ids(model), (std::vector<std::uint64_t>{5, 1, 3, 6, 7}));
    QCOMPARE(model.rowOf(1), 1);
    QCOMPARE(model.rowOf(2), -1);
    QCOMPARE(model.stateCounts()[static_cast<int>(S::Done)], 1);
    QCOMPARE(model.stateCounts()[static_cast<int>(S::Queued)], 3);
}

void TestRequestModel::trimDropsOldestWhenAllActive() {
    using S = RequestState;
    RequestTableModel model(3);
    model.apply({update(1, S::Queued), update(2, S::Queued), update(3, S::Queued)});
    model.apply({update(4, S::Queued)});
    QCOMPARE(ids(model), (std::vector<std::uint64_t>{2, 3, 4}));
    // A dropped request reported again comes back as a new row.
    model.apply({update(1, S::Done)});
    QCOMPARE(ids(model), (std::vector<std::uint64_t>{3, 4, 1}));
    QCOMPARE(model.stateCounts()[static_cast<int>(S::Queued)], 2);
    QCOMPARE(model.stateCounts()[static_cast<int>(S::Done)], 1);
}

void TestRequestModel::trimCarryIsBounded() {
    using S = RequestState;
    const auto fill = [](RequestTableModel& model, int active) {
        QList<RequestUpdate> batch;
        for (int id = 1; id <= 6000; ++id) {
            batch.push_back(
                update(static_cast<std::uint64_t>(id), id <= active ? S::Queued : S::Done));
        }
        model.apply(batch);
        batch.clear();
        for (int id = 6001; id <= 6010; ++id) {
            batch.push_back(update(static_cast<std::uint64_t>(id), S::Queued));
        }
        model.apply(batch);
    };
    RequestTableModel carried(6000);
    fill(carried, 4000);
    QCOMPARE(carried.rowCount(), 6000);
    QCOMPARE(carried.rowOf(4011), 0); // 4001..4010, the first terminal rows, went
    QCOMPARE(carried.rowOf(1), 1990);
    QCOMPARE(carried.rowOf(6010), 5999);

    RequestTableModel bounded(6000);
    fill(bounded, 5000); // more than 4096 to carry: the oldest go as they are
    QCOMPARE(bounded.rowOf(11), 0);
    QCOMPARE(bounded.rowOf(10), -1);
    QCOMPARE(bounded.stateCounts()[static_cast<int>(S::Queued)], 5000);
}

void TestRequestModel::batchLargerThanMaxRows() {
    using S = RequestState;
    RequestTableModel model(4);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.apply({update(1, S::Queued), update(2, S::Done)});
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QList<RequestUpdate> batch;
    for (std::uint64_t id = 10; id < 16; ++id) {
        batch.push_back(update(id, S::Queued));
    }
    model.apply(batch);
    QCOMPARE(ids(model), (std::vector<std::uint64_t>{12, 13, 14, 15}));
    QCOMPARE(removed.count(), 1);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(model.stateCounts()[static_cast<int>(S::Queued)], 4);
    QCOMPARE(model.stateCounts()[static_cast<int>(S::Done)], 0);
}

void TestRequestModel::clearStartsOver() {
    using S = RequestState;
    RequestTableModel model(3);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.apply({update(1, S::Done), update(2, S::Done), update(3, S::Done)});
    model.apply({update(4, S::Done)});
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.clear();
    QCOMPARE(reset.count(), 1);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.rowOf(4), -1);
    QCOMPARE(model.stateCounts(), (std::array<std::int64_t, 10>{}));
    model.apply({update(4, S::Queued), update(5, S::Queued)});
    QCOMPARE(model.rowOf(4), 0);
    QCOMPARE(model.rowOf(5), 1);
    model.apply({update(5, S::Done)});
    QCOMPARE(stateOf(model, 1), S::Done);
}

void TestRequestModel::filters_data() {
    QTest::addColumn<Filter>("filter");
    for (Filter f : {Filter::All, Filter::Active, Filter::Queued, Filter::InFlight,
                     Filter::Retrying, Filter::Done, Filter::Failed}) {
        QTest::newRow(qPrintable(RequestFilterModel::filterName(f))) << f;
    }
}

void TestRequestModel::filters() {
    QFETCH(Filter, filter);
    RequestTableModel model;
    RequestFilterModel proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QList<RequestUpdate> batch;
    for (int s = 0; s < kStates; ++s) {
        batch.push_back(update(static_cast<std::uint64_t>(s + 1), static_cast<RequestState>(s)));
    }
    model.apply(batch);
    proxy.setFilter(filter);
    QCOMPARE(proxy.filter(), filter);
    const std::set<RequestState> expected = filterStates(filter);
    std::set<RequestState> shown;
    for (int r = 0; r < proxy.rowCount(); ++r) {
        shown.insert(stateOf(proxy, r));
    }
    QCOMPARE(static_cast<std::size_t>(proxy.rowCount()), expected.size());
    QVERIFY(shown == expected);
    // A row moving into or out of the group follows at once.
    model.apply({update(1, RequestState::Done)}); // was queued
    QCOMPARE(static_cast<std::size_t>(proxy.rowCount()), expected.size() -
                                                             expected.count(RequestState::Queued) +
                                                             expected.count(RequestState::Done));
}

void TestRequestModel::filterNames() {
    QSet<QString> names;
    for (Filter f : {Filter::All, Filter::Active, Filter::Queued, Filter::InFlight,
                     Filter::Retrying, Filter::Done, Filter::Failed}) {
        names.insert(RequestFilterModel::filterName(f));
    }
    QCOMPARE(names.size(), 7);
    QVERIFY(!names.contains(QString()));
    QCOMPARE(RequestFilterModel::filterName(Filter::InFlight), QStringLiteral("In flight"));
}

void TestRequestModel::sortsBySortRole() {
    using S = RequestState;
    RequestTableModel model;
    RequestFilterModel proxy;
    proxy.setSourceModel(&model);
    model.apply({update(1, S::Done, -1, 1, 200, 5ms, 900ms), update(2, S::Queued, 7),
                 update(3, S::Done, -1, 1, 200, 5ms, 80ms), update(4, S::Queued, 2),
                 update(5, S::Done, -1, 1, 200, 5ms, 1200ms), update(6, S::InFlight)});
    // Numeric, not textual (as text, "900.0" > "80.0" > "1200.0").
    proxy.sort(RequestTableModel::E2e, Qt::DescendingOrder);
    const std::vector<std::uint64_t> byLatency = ids(proxy);
    QCOMPARE((std::vector<std::uint64_t>(byLatency.begin(), byLatency.begin() + 3)),
             (std::vector<std::uint64_t>{5, 1, 3}));
    // Lifecycle order, waiting rows by queue position.
    proxy.sort(RequestTableModel::State, Qt::AscendingOrder);
    QCOMPARE(ids(proxy), (std::vector<std::uint64_t>{4, 2, 6, 1, 3, 5}));
    // Dynamic: an update moves its row.
    model.apply({update(2, S::Queued, 0), update(4, S::Queued, 1)});
    QCOMPARE(ids(proxy), (std::vector<std::uint64_t>{2, 4, 6, 1, 3, 5}));
}

void TestRequestModel::randomBatches_data() {
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

void TestRequestModel::randomBatches() {
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

QTEST_MAIN(TestRequestModel)
#include "tst_requestmodel.moc"
