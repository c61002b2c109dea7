#pragma once

#include <QJsonObject>
#include <QWidget>

class QLabel;
class QPushButton;
class QTableWidget;

namespace sluice {

/// The result of the last run: verdict, counts and throughput, and the percentile table of
/// every latency metric, with export (charts as PNG; report as HTML, JSON and CSV).
class ResultsView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResultsView)

public:
    explicit ResultsView(QWidget* parent = nullptr);

    void setSummary(const QJsonObject& summary);
    void clear();
    QJsonObject summary() const { return m_summary; }
    QTableWidget* percentileTable() const { return m_table; }

Q_SIGNALS:
    void exportReportRequested();
    void exportChartsRequested();

private:
    QJsonObject m_summary;
    QLabel* m_headline = nullptr;
    QLabel* m_counts = nullptr;
    QTableWidget* m_table = nullptr;
    QPushButton* m_exportReport = nullptr;
    QPushButton* m_exportCharts = nullptr;
};

} // namespace sluice
