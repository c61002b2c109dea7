#include "ui/panels/limitspanel.h"

#include "ui/panels/formparts.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace sluice {

namespace {

using Algorithm = ConcurrencyConfig::Algorithm;

constexpr int kNoCap = 100000; // the engine's "no cap" (TrafficLimits::concurrency())

Nanos fromSeconds(double s) {
    return Nanos{std::llround(s * 1e9)};
}

using formparts::addRow;
using formparts::newForm;

} // namespace

LimitsPanel::LimitsPanel(QWidget* parent)
    : QWidget(parent) {
    const auto spin = [this](const char* name, int min, int max, const QString& tip) {
        QSpinBox* s = formparts::spinBox(this, name, min, max, tip);
        connect(s, &QSpinBox::valueChanged, this, &LimitsPanel::onEdited);
        return s;
    };
    const auto doubleSpin = [this](const char* name, double min, double max, const QString& tip) {
        auto* s = new QDoubleSpinBox(this);
        s->setObjectName(QLatin1String(name));
        s->setRange(min, max);
        s->setDecimals(1);
        s->setKeyboardTracking(false);
        s->setToolTip(tip);
        connect(s, &QDoubleSpinBox::valueChanged, this, &LimitsPanel::onEdited);
        return s;
    };
    const auto check = [this](const char* name, const QString& text, const QString& tip) {
        auto* c = new QCheckBox(text, this);
        c->setObjectName(QLatin1String(name));
        c->setToolTip(tip);
        connect(c, &QCheckBox::toggled, this, &LimitsPanel::onEdited);
        return c;
    };

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(6);

    // Rate limits.
    auto* rates = new QGroupBox(tr("Rate limits"), this);
    rates->setObjectName(QStringLiteral("rateLimitsGroup"));
    auto* ratesForm = newForm(rates);
    m_rpm = spin("rpmSpin", 0, 1'000'000'000,
                 tr("Requests per minute the engine lets out, spread evenly (GCRA). Waiting "
                    "requests queue; 0 = no limit."));
    m_rpm->setSpecialValueText(tr("off"));
    m_rpm->setSuffix(tr(" /min"));
    m_rpm->setGroupSeparatorShown(true);
    addRow(ratesForm, tr("Requests (RPM)"), m_rpm);
    m_tpm = spin("tpmSpin", 0, 2'000'000'000,
                 tr("Tokens per minute the engine lets out (prompt plus the max_tokens "
                    "reservation), spread evenly. A request waits until its tokens fit; 0 = no "
                    "limit."));
    m_tpm->setSpecialValueText(tr("off"));
    m_tpm->setSuffix(tr(" /min"));
    m_tpm->setGroupSeparatorShown(true);
    addRow(ratesForm, tr("Tokens (TPM)"), m_tpm);
    m_followServer = check("followServerCheck", tr("Follow the server's rate-limit headers"),
                           tr("Learn the limits the server announces (x-ratelimit-* headers) and "
                              "hold requests back after a 429 for as long as Retry-After says. "
                              "Off, only the limits above pace the traffic."));
    ratesForm->addRow(m_followServer);
    layout->addWidget(rates);

    // Concurrency.
    auto* concurrency = new QGroupBox(tr("Concurrency"), this);
    concurrency->setObjectName(QStringLiteral("concurrencyGroup"));
    auto* concurrencyForm = newForm(concurrency);
    m_algorithm = new QComboBox(this);
    m_algorithm->setObjectName(QStringLiteral("algorithmCombo"));
    m_algorithm->addItem(tr("Fixed"), static_cast<int>(Algorithm::Fixed));
    m_algorithm->addItem(tr("AIMD (loss)"), static_cast<int>(Algorithm::Aimd));
    m_algorithm->addItem(tr("Gradient (latency)"), static_cast<int>(Algorithm::Gradient));
    m_algorithm->addItem(tr("Combined"), static_cast<int>(Algorithm::Combined));
    m_algorithm->setToolTip(
        tr("How many requests may be in flight at once. Fixed: always the maximum. AIMD: one "
           "more while requests succeed, 10% fewer on a 429, 503 or timeout. Gradient: more "
           "while latency stays flat, fewer when it rises. Combined: gradient, plus the cut on "
           "errors."));
    connect(m_algorithm, &QComboBox::currentIndexChanged, this, &LimitsPanel::onEdited);
    addRow(concurrencyForm, tr("Algorithm"), m_algorithm);

    m_maxConcurrency = spin("maxConcurrencySpin", 0, kNoCap,
                            tr("Most requests in flight at once: the limit itself when fixed, "
                               "the ceiling an adaptive algorithm may reach. More wait in the "
                               "queue; 0 = no cap."));
    m_maxConcurrency->setSpecialValueText(tr("no cap"));
    m_currentLimit = new QLabel(this);
    m_currentLimit->setObjectName(QStringLiteral("currentLimitLabel"));
    m_currentLimit->setToolTip(tr("The engine's live concurrency limit: requests beyond it wait "
                                  "in the queue. Adaptive algorithms move it between the "
                                  "minimum and the maximum."));
    m_currentLimit->setMinimumWidth(
        m_currentLimit->fontMetrics().horizontalAdvance(tr("now %1").arg(QStringLiteral("00000"))));
    auto* maxRow = new QHBoxLayout;
    maxRow->addWidget(m_maxConcurrency, 1);
    maxRow->addWidget(m_currentLimit);
    auto* maxLabel = new QLabel(tr("Maximum"), this);
    maxLabel->setToolTip(m_maxConcurrency->toolTip());
    maxLabel->setBuddy(m_maxConcurrency);
    concurrencyForm->addRow(maxLabel, maxRow);

    m_adaptiveMin = spin("adaptiveMinSpin", 1, kNoCap,
                         tr("Floor of the adaptive limit: however many errors or however slow "
                            "the server, at least this many requests stay in flight."));
    addRow(concurrencyForm, tr("Adaptive min"), m_adaptiveMin);
    m_adaptiveInitial = spin("adaptiveInitialSpin", 1, kNoCap,
                             tr("Where the adaptive limit starts when the algorithm is switched "
                                "on; it then moves with what the server answers."));
    addRow(concurrencyForm, tr("Start at"), m_adaptiveInitial);
    layout->addWidget(concurrency);

    // Queue.
    auto* queue = new QGroupBox(tr("Queue"), this);
    queue->setObjectName(QStringLiteral("queueGroup"));
    auto* queueForm = newForm(queue);
    m_queue = spin("queueSpin", 1, 1'000'000,
                   tr("Requests that may wait for a concurrency slot or rate budget. When it is "
                      "full, new requests are rejected at once."));
    m_queue->setGroupSeparatorShown(true);
    addRow(queueForm, tr("Capacity"), m_queue);
    m_timeout = doubleSpin("timeoutSpin", 0, 3600,
                           tr("A request still queued or running this long after it was "
                              "submitted ends as timed out, retries included; 0 = no "
                              "deadline."));
    m_timeout->setSuffix(tr(" s"));
    m_timeout->setSpecialValueText(tr("none"));
    addRow(queueForm, tr("Request timeout"), m_timeout);
    layout->addWidget(queue);

    // Retries.
    auto* retries = new QGroupBox(tr("Retries"), this);
    retries->setObjectName(QStringLiteral("retriesGroup"));
    auto* retriesForm = newForm(retries);
    m_retries = spin("retriesSpin", 0, 10,
                     tr("Attempts after the first for a retryable failure (429, 5xx, reset, "
                        "timeout); each retry is sent again through the limits. 0 = never "
                        "retry."));
    m_retries->setSpecialValueText(tr("none"));
    addRow(retriesForm, tr("Retries"), m_retries);
    m_retryDelay = spin("retryDelaySpin", 0, 300'000,
                        tr("Wait before the first retry, doubled for each further one with "
                           "jitter; a server's Retry-After wins when longer."));
    m_retryDelay->setSuffix(tr(" ms"));
    m_retryDelay->setSingleStep(100);
    addRow(retriesForm, tr("Base delay"), m_retryDelay);
    layout->addWidget(retries);

    // Circuit breaker.
    auto* breaker = new QGroupBox(tr("Circuit breaker"), this);
    breaker->setObjectName(QStringLiteral("breakerGroup"));
    auto* breakerForm = newForm(breaker);
    m_breaker = check("breakerCheck", tr("Stop sending while the server fails"),
                      tr("When too many recent calls fail, stop sending (requests fail fast) "
                         "for a while, then let a few probes through before sending again."));
    breakerForm->addRow(m_breaker);
    m_breakerRate = spin("breakerRateSpin", 1, 100,
                         tr("Share of failed calls among the recent ones that opens the "
                            "breaker."));
    m_breakerRate->setSuffix(tr(" %"));
    addRow(breakerForm, tr("Failure rate"), m_breakerRate);
    m_breakerMinCalls = spin("breakerMinCallsSpin", 1, 10'000,
                             tr("Recent calls needed before the failure rate can open the "
                                "breaker, so a few early errors do not."));
    addRow(breakerForm, tr("Minimum calls"), m_breakerMinCalls);
    m_breakerOpen = doubleSpin("breakerOpenSpin", 0.1, 600,
                               tr("How long an open breaker refuses every request before it "
                                  "lets probes through."));
    m_breakerOpen->setSuffix(tr(" s"));
    addRow(breakerForm, tr("Open for"), m_breakerOpen);
    layout->addWidget(breaker);
    layout->addStretch(1);

    setCurrentLimit(-1);
    setLimits(TrafficLimits{});
}

void LimitsPanel::setLimits(const TrafficLimits& l) {
    m_updating = true;
    m_rpm->setValue(static_cast<int>(std::clamp<std::int64_t>(l.rpm, 0, m_rpm->maximum())));
    m_tpm->setValue(static_cast<int>(std::clamp<std::int64_t>(l.tpm, 0, m_tpm->maximum())));
    m_algorithm->setCurrentIndex(m_algorithm->findData(static_cast<int>(l.algorithm)));
    // Widest ranges first, so the order of the values does not clamp one against another.
    m_adaptiveMin->setMaximum(kNoCap);
    m_adaptiveInitial->setRange(1, kNoCap);
    m_maxConcurrency->setValue(l.maxConcurrency);
    m_adaptiveMin->setValue(l.adaptiveMin);
    m_adaptiveInitial->setValue(l.adaptiveInitial);
    updateRanges();
    m_queue->setValue(l.queueCapacity);
    m_timeout->setValue(toSeconds(l.requestTimeout));
    m_retries->setValue(l.retries);
    m_retryDelay->setValue(static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(l.retryBaseDelay).count()));
    m_breaker->setChecked(l.breakerEnabled);
    m_breakerRate->setValue(static_cast<int>(std::lround(l.breakerFailureRate * 100)));
    m_breakerMinCalls->setValue(l.breakerMinimumCalls);
    m_breakerOpen->setValue(toSeconds(l.breakerOpenDuration));
    m_followServer->setChecked(l.followServerLimits);
    m_updating = false;
    updateEnabled();
    m_last = limits();
}

TrafficLimits LimitsPanel::limits() const {
    TrafficLimits l;
    l.rpm = m_rpm->value();
    l.tpm = m_tpm->value();
    l.algorithm = static_cast<Algorithm>(m_algorithm->currentData().toInt());
    l.maxConcurrency = m_maxConcurrency->value();
    l.adaptiveMin = m_adaptiveMin->value();
    l.adaptiveInitial = m_adaptiveInitial->value();
    l.queueCapacity = m_queue->value();
    l.requestTimeout = fromSeconds(m_timeout->value());
    l.retries = m_retries->value();
    l.retryBaseDelay = std::chrono::milliseconds(m_retryDelay->value());
    l.breakerEnabled = m_breaker->isChecked();
    l.breakerFailureRate = m_breakerRate->value() / 100.0;
    l.breakerMinimumCalls = m_breakerMinCalls->value();
    l.breakerOpenDuration = fromSeconds(m_breakerOpen->value());
    l.followServerLimits = m_followServer->isChecked();
    return l;
}

void LimitsPanel::setCurrentLimit(int limit) {
    QString value;
    if (limit < 0) {
        value = QStringLiteral("–");
    } else if (limit >= kNoCap) {
        value = QString(QChar(0x221E)); // ∞
    } else {
        value = QString::number(limit);
    }
    m_currentLimit->setText(tr("now %1").arg(value));
}

void LimitsPanel::onEdited() {
    if (m_updating) {
        return;
    }
    updateRanges();
    updateEnabled();
    const TrafficLimits now = limits();
    if (now == m_last) {
        return;
    }
    m_last = now;
    Q_EMIT limitsChanged(now);
}

void LimitsPanel::updateEnabled() {
    const bool adaptive = m_algorithm->currentData().toInt() != static_cast<int>(Algorithm::Fixed);
    m_adaptiveMin->setEnabled(adaptive);
    m_adaptiveInitial->setEnabled(adaptive);
    m_retryDelay->setEnabled(m_retries->value() > 0);
    const bool breaker = m_breaker->isChecked();
    m_breakerRate->setEnabled(breaker);
    m_breakerMinCalls->setEnabled(breaker);
    m_breakerOpen->setEnabled(breaker);
}

void LimitsPanel::updateRanges() {
    // A change of range may clamp a value; that is part of the edit that caused it, not an edit
    // of its own.
    const QSignalBlocker blockMin(m_adaptiveMin);
    const QSignalBlocker blockInitial(m_adaptiveInitial);
    // Only an adaptive algorithm uses them; fixed keeps whatever they hold for a later switch.
    const bool adaptive = m_algorithm->currentData().toInt() != static_cast<int>(Algorithm::Fixed);
    const int cap = adaptive && m_maxConcurrency->value() > 0 ? m_maxConcurrency->value() : kNoCap;
    m_adaptiveMin->setMaximum(cap);
    m_adaptiveInitial->setRange(adaptive ? m_adaptiveMin->value() : 1, cap);
}

} // namespace sluice
