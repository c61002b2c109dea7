#include "ui/mainwindow.h"

#include "core/server/mock/mockserver.h"

#include <QChart>
#include <QChartView>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineSeries>
#include <QPen>
#include <QPushButton>
#include <QSpinBox>
#include <QStatusBar>
#include <QTimer>
#include <QVBoxLayout>
#include <QValueAxis>

namespace sluice {

namespace {
constexpr int kHistorySeconds = 60;

QLabel* valueLabel(QWidget* parent) {
    auto* label = new QLabel(QStringLiteral("–"), parent);
    label->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    label->setMinimumWidth(90);
    return label;
}
} // namespace

MainWindow::MainWindow(MockServer* mock, QWidget* parent)
    : QMainWindow(parent)
    , m_mock(mock) {
    setWindowTitle(QStringLiteral("Sluice"));
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);

    m_target = new QLabel(central);
    m_target->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_target);

    auto* row = new QHBoxLayout;
    layout->addLayout(row, 1);

    auto* side = new QVBoxLayout;
    row->addLayout(side);
    auto* seen = new QGroupBox(tr("What the mock server saw"), central);
    auto* form = new QFormLayout(seen);
    m_requests = valueLabel(seen);
    m_inFlight = valueLabel(seen);
    m_inService = valueLabel(seen);
    m_waiting = valueLabel(seen);
    m_limited = valueLabel(seen);
    m_tokens = valueLabel(seen);
    m_window = valueLabel(seen);
    m_requests->setObjectName(QStringLiteral("requestsValue"));
    m_inFlight->setObjectName(QStringLiteral("inFlightValue"));
    m_inService->setObjectName(QStringLiteral("inServiceValue"));
    m_limited->setObjectName(QStringLiteral("rateLimitedValue"));
    form->addRow(tr("Requests"), m_requests);
    form->addRow(tr("In flight (peak)"), m_inFlight);
    form->addRow(tr("In service / capacity"), m_inService);
    form->addRow(tr("Waiting for a slot"), m_waiting);
    form->addRow(tr("Rate-limited (429)"), m_limited);
    form->addRow(tr("Tokens in / out"), m_tokens);
    form->addRow(tr("Busiest minute"), m_window);
    side->addWidget(seen);

    auto* limits = new QGroupBox(tr("Mock limits (live)"), central);
    limits->setObjectName(QStringLiteral("limitsGroup"));
    auto* limitsForm = new QFormLayout(limits);
    m_capacity = new QSpinBox(limits);
    m_capacity->setObjectName(QStringLiteral("capacitySpin"));
    m_capacity->setRange(1, 100000);
    m_rpm = new QSpinBox(limits);
    m_rpm->setObjectName(QStringLiteral("rpmSpin"));
    m_rpm->setRange(0, 10'000'000);
    m_rpm->setSpecialValueText(tr("unlimited"));
    limitsForm->addRow(tr("Capacity (slots)"), m_capacity);
    limitsForm->addRow(tr("Requests / min"), m_rpm);
    auto* apply = new QPushButton(tr("Apply"), limits);
    apply->setObjectName(QStringLiteral("applyLimits"));
    limitsForm->addRow(apply);
    connect(apply, &QPushButton::clicked, this, &MainWindow::applyLimits);
    side->addWidget(limits);
    side->addStretch(1);

    auto* chart = new QChart;
    chart->setTitle(tr("Requests per second at the mock (last %1 s)").arg(kHistorySeconds));
    chart->setAnimationOptions(QChart::NoAnimation);
    m_arrivals = new QLineSeries(chart);
    m_arrivals->setName(tr("arrivals"));
    m_rejected = new QLineSeries(chart);
    m_rejected->setName(tr("429s"));
    m_arrivals->setPen(QPen(QColor(0x1f, 0x77, 0xb4), 2));
    m_rejected->setPen(QPen(QColor(0xd6, 0x27, 0x28), 2));
    chart->addSeries(m_arrivals);
    chart->addSeries(m_rejected);
    auto* xAxis = new QValueAxis(chart);
    xAxis->setRange(-kHistorySeconds, 0);
    xAxis->setTitleText(tr("seconds ago"));
    xAxis->setLabelFormat(QStringLiteral("%d"));
    m_yAxis = new QValueAxis(chart);
    m_yAxis->setRange(0, 10);
    m_yAxis->setTickCount(6); // ceilings are multiples of 5: whole-number ticks
    m_yAxis->setLabelFormat(QStringLiteral("%d"));
    chart->addAxis(xAxis, Qt::AlignBottom);
    chart->addAxis(m_yAxis, Qt::AlignLeft);
    for (QLineSeries* s : {m_arrivals, m_rejected}) {
        s->attachAxis(xAxis);
        s->attachAxis(m_yAxis);
    }
    auto* view = new QChartView(chart, central);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(520, 320);
    row->addWidget(view, 1);

    setCentralWidget(central);
    resize(960, 560);

    if (m_mock) {
        m_target->setText(
            tr("Target: built-in mock LLM server at %1  (OpenAI /v1/chat/completions, "
               "Anthropic /v1/messages)")
                .arg(m_mock->baseUrl().toString()));
        showLimits(m_mock->config());
        // Limits may also change from outside (POST /mock/config): the controls follow.
        connect(m_mock, &MockServer::configChanged, this, &MainWindow::showLimits);
    } else {
        m_target->setText(tr("No built-in mock server running."));
        limits->setEnabled(false);
    }

    m_timer = new QTimer(this);
    connect(m_timer, &QTimer::timeout, this, &MainWindow::refresh);
    m_timer->start(500);
    refresh();
}

void MainWindow::showLimits(const MockConfig& config) {
    m_capacity->setValue(config.capacity);
    m_rpm->setValue(static_cast<int>(std::min<std::int64_t>(config.rpm, m_rpm->maximum())));
}

void MainWindow::applyLimits() {
    if (!m_mock) {
        return;
    }
    MockConfig config = m_mock->config();
    config.capacity = m_capacity->value();
    config.rpm = m_rpm->value();
    if (auto error = m_mock->setConfig(config)) {
        statusBar()->showMessage(*error, 5000);
        return;
    }
    statusBar()->showMessage(tr("Mock limits applied: capacity %1, %2 requests/min")
                                 .arg(config.capacity)
                                 .arg(config.rpm),
                             5000);
}

void MainWindow::refresh() {
    if (!m_mock) {
        return;
    }
    const QJsonObject s = m_mock->statsJson();
    const auto num = [&s](const char* key) {
        return QString::number(s.value(QLatin1String(key)).toDouble(), 'f', 0);
    };
    m_requests->setText(num("requests"));
    m_inFlight->setText(num("concurrent") + QStringLiteral(" (") + num("peak_concurrent") +
                        QLatin1Char(')'));
    m_inService->setText(num("in_service") + QStringLiteral(" / ") + num("capacity"));
    m_waiting->setText(num("waiting"));
    m_limited->setText(num("rate_limited"));
    m_tokens->setText(num("tokens_in") + QStringLiteral(" / ") + num("tokens_out"));
    const QJsonObject window = s.value(QStringLiteral("window")).toObject();
    const double rpmLimit = window.value(QStringLiteral("rpm_limit")).toDouble();
    m_window->setText(
        QString::number(window.value(QStringLiteral("max_requests")).toDouble(), 'f', 0) +
        (rpmLimit > 0 ? QStringLiteral(" / ") + QString::number(rpmLimit, 'f', 0) : QString()));

    // Only the last minute is drawn: a fixed relative axis, one replace() per series per tick.
    const auto points = [](const QJsonArray& values, double* top) {
        QList<QPointF> out;
        const qsizetype n = values.size();
        const qsizetype first = std::max<qsizetype>(0, n - kHistorySeconds - 1);
        for (qsizetype i = first; i < n; ++i) {
            const double v = values.at(i).toDouble();
            *top = std::max(*top, v);
            out.append(QPointF(static_cast<double>(i - (n - 1)), v));
        }
        return out;
    };
    double top = 0;
    m_arrivals->replace(points(s.value(QStringLiteral("arrivals_per_second")).toArray(), &top));
    m_rejected->replace(points(s.value(QStringLiteral("rate_limited_per_second")).toArray(), &top));
    const double ceiling = std::max(10.0, std::ceil(top * 1.2 / 5.0) * 5.0);
    if (!qFuzzyCompare(m_yAxis->max(), ceiling)) {
        m_yAxis->setRange(0, ceiling);
    }
}

} // namespace sluice
