#pragma once

#include <QMainWindow>
#include <QPointer>

class QChartView;
class QLabel;
class QLineSeries;
class QSpinBox;
class QTimer;
class QValueAxis;

namespace sluice {

class MockServer;
struct MockConfig;

/// The console's main window. For now: the built-in mock server's live view (what it saw,
/// arrivals per second) and its limits, changeable while traffic flows.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    /// `mock` may be null (no built-in target); it must outlive the window otherwise.
    explicit MainWindow(MockServer* mock, QWidget* parent = nullptr);

    /// Pulls a fresh snapshot from the mock and redraws; called by the refresh timer.
    void refresh();

private:
    void applyLimits();
    void showLimits(const sluice::MockConfig& config);

    QPointer<MockServer> m_mock;
    QLabel* m_target = nullptr;
    QLabel* m_requests = nullptr;
    QLabel* m_inFlight = nullptr;
    QLabel* m_inService = nullptr;
    QLabel* m_waiting = nullptr;
    QLabel* m_limited = nullptr;
    QLabel* m_tokens = nullptr;
    QLabel* m_window = nullptr;
    QSpinBox* m_capacity = nullptr;
    QSpinBox* m_rpm = nullptr;
    QLineSeries* m_arrivals = nullptr;
    QLineSeries* m_rejected = nullptr;
    QValueAxis* m_yAxis = nullptr;
    QTimer* m_timer = nullptr;
};

} // namespace sluice
