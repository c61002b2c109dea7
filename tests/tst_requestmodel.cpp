// RequestTableModel and RequestFilterModel: display, batching signals, trimming, filtering and
// sorting (the same checked against a brute-force reference under random batches:
// tst_requestmodelrandom).
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

QTEST_MAIN(TestRequestModel)
#include "tst_requestmodel.moc"
