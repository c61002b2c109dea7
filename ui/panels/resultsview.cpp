#include "ui/panels/resultsview.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace sluice {

namespace {

const char* const kMetrics[] = {"ttft",         "ttfb", "ttst",      "itl",     "tpot_decode",
                                "tpot_overall", "e2e",  "corrected", "service", "queue"};
const char* const kColumns[] = {"count", "mean", "p50", "p90", "p95", "p99", "max"};

QString number(double v, int decimals = 1) {
    return QLocale().toString(v, 'f', decimals);
}

} // namespace

ResultsView::ResultsView(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* top = new QHBoxLayout;
    m_headline = new QLabel(tr("No run finished yet. Start one from the Benchmark tab."), this);
    m_headline->setObjectName(QStringLiteral("resultsHeadline"));
    m_headline->setWordWrap(true);
    QFont f = m_headline->font();
    f.setBold(true);
    m_headline->setFont(f);
    top->addWidget(m_headline, 1);
    m_exportReport = new QPushButton(tr("Export report…"), this);
    m_exportReport->setObjectName(QStringLiteral("exportReportButton"));
    m_exportReport->setToolTip(tr("Write summary.json, timeseries.csv, requests.jsonl and a "
                                  "self-contained report.html into a folder."));
    m_exportCharts = new QPushButton(tr("Charts to PNG…"), this);
    m_exportCharts->setObjectName(QStringLiteral("exportChartsButton"));
    m_exportCharts->setToolTip(tr("Save the live charts as they are drawn now as a PNG image."));
    connect(m_exportReport, &QPushButton::clicked, this, &ResultsView::exportReportRequested);
    connect(m_exportCharts, &QPushButton::clicked, this, &ResultsView::exportChartsRequested);
    top->addWidget(m_exportReport);
    top->addWidget(m_exportCharts);
    layout->addLayout(top);
    m_counts = new QLabel(this);
    m_counts->setObjectName(QStringLiteral("resultsCounts"));
    m_counts->setWordWrap(true);
    m_counts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_counts);
    m_table = new QTableWidget(this);
    m_table->setObjectName(QStringLiteral("percentileTable"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->setDefaultSectionSize(20);
    m_table->setColumnCount(static_cast<int>(std::size(kColumns)));
    QStringList headers;
    for (const char* c : kColumns) {
        headers << (QLatin1String(c) == QLatin1String("count") ? tr("count")
                                                               : QLatin1String(c) + tr(" (ms)"));
    }
    m_table->setHorizontalHeaderLabels(headers);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    layout->addWidget(m_table, 1);
    m_exportReport->setEnabled(false);
}

void ResultsView::clear() {
    m_summary = {};
    m_headline->setText(tr("Running…"));
    m_counts->clear();
    m_table->setRowCount(0);
    m_exportReport->setEnabled(false);
}

void ResultsView::setSummary(const QJsonObject& s) {
    m_summary = s;
    const QJsonObject counts = s.value(QStringLiteral("counts")).toObject();
    const QJsonObject tp = s.value(QStringLiteral("throughput")).toObject();
    const QJsonObject verdict = s.value(QStringLiteral("verdict")).toObject();
    const QJsonObject e2e =
        s.value(QStringLiteral("latency_ms")).toObject().value(QStringLiteral("e2e")).toObject();
    const double done = counts.value(QStringLiteral("done")).toDouble();
    const double submitted = counts.value(QStringLiteral("submitted")).toDouble();
    QString headline = tr("%1 of %2 succeeded in %3 s · %4 req/s · average latency %5 ms")
                           .arg(number(done, 0), number(submitted, 0),
                                number(s.value(QStringLiteral("duration_s")).toDouble()),
                                number(tp.value(QStringLiteral("ok_per_s")).toDouble(), 2),
                                number(e2e.value(QStringLiteral("mean")).toDouble()));
    const QJsonArray failed = verdict.value(QStringLiteral("failed")).toArray();
    if (!failed.isEmpty()) {
        QStringList names;
        for (const QJsonValue& v : failed) {
            names << v.toString();
        }
        headline += tr(" · SLO failed: %1").arg(names.join(QStringLiteral(", ")));
    }
    m_headline->setText(headline);
    m_counts->setText(
        tr("Failed %1 · rejected %2 · timed out %3 · cancelled %4 · retries %5 · 429s %6 · "
           "late starts %7 · output %8 tokens/s · peak concurrency %9")
            .arg(number(counts.value(QStringLiteral("failed")).toDouble(), 0),
                 number(counts.value(QStringLiteral("rejected")).toDouble(), 0),
                 number(counts.value(QStringLiteral("timed_out")).toDouble(), 0),
                 number(counts.value(QStringLiteral("cancelled")).toDouble(), 0),
                 number(counts.value(QStringLiteral("retries")).toDouble(), 0),
                 number(counts.value(QStringLiteral("rate_limited")).toDouble(), 0),
                 number(counts.value(QStringLiteral("late_starts")).toDouble(), 0),
                 number(tp.value(QStringLiteral("output_tokens_per_s")).toDouble()),
                 number(tp.value(QStringLiteral("peak_concurrency")).toDouble(), 0)));
    const QJsonObject latency = s.value(QStringLiteral("latency_ms")).toObject();
    m_table->setRowCount(0);
    QStringList rows;
    for (const char* metric : kMetrics) {
        const QJsonObject m = latency.value(QLatin1String(metric)).toObject();
        if (m.value(QStringLiteral("count")).toDouble() <= 0) {
            continue;
        }
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        rows << QLatin1String(metric);
        for (int c = 0; c < static_cast<int>(std::size(kColumns)); ++c) {
            const double v = m.value(QLatin1String(kColumns[c])).toDouble();
            auto* item = new QTableWidgetItem(number(v, c == 0 ? 0 : 1));
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_table->setItem(row, c, item);
        }
    }
    m_table->setVerticalHeaderLabels(rows);
    m_exportReport->setEnabled(true);
}

} // namespace sluice
