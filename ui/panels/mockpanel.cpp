#include "ui/panels/mockpanel.h"

#include "ui/panels/formparts.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonValue>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace sluice {

namespace {

// Fault shares are handled in tenths of a percent (the spin boxes' resolution), so sums and
// "what is left" are exact integers, never 99.99999%.
constexpr int kAllTenths = 1000;

double* faultField(MockFaults& f, MockPanel::Fault which) {
    switch (which) {
    case MockPanel::Error503:
        return &f.error503;
    case MockPanel::Error500:
        return &f.error500;
    case MockPanel::Overloaded:
        return &f.overloaded;
    case MockPanel::Quota:
        return &f.quota;
    case MockPanel::Reset:
        return &f.reset;
    case MockPanel::Stall:
        return &f.stall;
    case MockPanel::Midstream:
    case MockPanel::FaultCount:
        break;
    }
    return &f.midstream;
}

QString percentText(int tenths) {
    return QString::number(tenths / 10.0, 'f', tenths % 10 ? 1 : 0);
}

std::int64_t integer(const QJsonObject& o, const QString& key) {
    return static_cast<std::int64_t>(o.value(key).toDouble());
}

using formparts::fieldLabel;
using formparts::newForm;

} // namespace

MockPanel::MockPanel(QWidget* parent)
    : QWidget(parent) {
    const auto spin = [this](const char* name, int min, int max, const QString& tip) {
        return formparts::spinBox(this, name, min, max, tip);
    };
    const auto valueLabel = [this](const char* name, const QString& tip) {
        auto* l = new QLabel(QStringLiteral("–"), this);
        l->setObjectName(QLatin1String(name));
        l->setToolTip(tip);
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
        return l;
    };

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(6);

    // The server's shape: capacity, limits, speed.
    auto* server = new QGroupBox(tr("Mock server"), this);
    server->setObjectName(QStringLiteral("mockServerGroup"));
    auto* serverForm = newForm(server);
    m_capacity = spin("mockCapacitySpin", 1, 100'000,
                      tr("Requests the mock serves at once. More wait in its queue for a free "
                         "slot, so latency grows with the load beyond this."));
    serverForm->addRow(fieldLabel(tr("Capacity"), m_capacity), m_capacity);
    m_rpm = spin("mockRpmSpin", 0, 1'000'000'000,
                 tr("Requests per minute the mock accepts over a sliding minute; beyond it "
                    "answers 429 with Retry-After. 0 = unlimited."));
    m_rpm->setSpecialValueText(tr("unlimited"));
    m_rpm->setGroupSeparatorShown(true);
    serverForm->addRow(fieldLabel(tr("RPM limit"), m_rpm), m_rpm);
    m_tpm = spin("mockTpmSpin", 0, 2'000'000'000,
                 tr("Tokens (prompt plus completion) per minute the mock accepts; beyond it "
                    "answers 429. 0 = unlimited."));
    m_tpm->setSpecialValueText(tr("unlimited"));
    m_tpm->setGroupSeparatorShown(true);
    serverForm->addRow(fieldLabel(tr("TPM limit"), m_tpm), m_tpm);
    m_ttft = spin("mockTtftSpin", 0, 600'000,
                  tr("Time to first token once a slot is free: the mock's thinking time before "
                     "each answer starts."));
    m_ttft->setSuffix(tr(" ms"));
    m_ttft->setSingleStep(50);
    serverForm->addRow(fieldLabel(tr("First token"), m_ttft), m_ttft);
    m_tpot = spin("mockTpotSpin", 0, 10'000,
                  tr("Time per output token after the first: with the answer length, how long "
                     "each request holds its slot."));
    m_tpot->setSuffix(tr(" ms"));
    serverForm->addRow(fieldLabel(tr("Per token"), m_tpot), m_tpot);
    m_tokensMin = spin("mockTokensMinSpin", 1, 100'000,
                       tr("Shortest answer in tokens; each answer's length is drawn between "
                          "the minimum and the maximum (capped by the request's max_tokens)."));
    m_tokensMax = spin("mockTokensMaxSpin", 1, 100'000,
                       tr("Longest answer in tokens; each answer's length is drawn between the "
                          "minimum and the maximum (capped by the request's max_tokens)."));
    auto* tokensRow = new QHBoxLayout;
    tokensRow->addWidget(m_tokensMin, 1);
    tokensRow->addWidget(new QLabel(QStringLiteral("–"), this));
    tokensRow->addWidget(m_tokensMax, 1);
    serverForm->addRow(fieldLabel(tr("Output tokens"), m_tokensMin), tokensRow);
    m_jitter = spin("mockJitterSpin", 0, 100,
                    tr("Random spread of every delay: each is scaled by a factor between 1 - "
                       "jitter and 1 + jitter. 0 = every request takes the same time."));
    m_jitter->setSuffix(tr(" %"));
    serverForm->addRow(fieldLabel(tr("Jitter"), m_jitter), m_jitter);
    layout->addWidget(server);

    for (QSpinBox* s : {m_capacity, m_rpm, m_tpm, m_ttft, m_tpot, m_jitter}) {
        connect(s, &QSpinBox::valueChanged, this, &MockPanel::onEdited);
    }
    connect(m_tokensMin, &QSpinBox::valueChanged, this, [this] { onTokensEdited(true); });
    connect(m_tokensMax, &QSpinBox::valueChanged, this, [this] { onTokensEdited(false); });

    // Faults.
    auto* faults = new QGroupBox(tr("Faults (share of requests)"), this);
    faults->setObjectName(QStringLiteral("mockFaultsGroup"));
    auto* faultsLayout = new QVBoxLayout(faults);
    faultsLayout->setContentsMargins(6, 4, 6, 6);
    faultsLayout->setSpacing(4);
    auto* grid = new QGridLayout;
    grid->setHorizontalSpacing(6);
    grid->setVerticalSpacing(4);
    struct FaultSpec {
        const char* name;
        QString label;
        QString tip;
    };
    const std::array<FaultSpec, FaultCount> specs{{
        {"fault503Spin", tr("503"),
         tr("Share of requests answered 503 Service Unavailable: a retryable overload, a "
            "breaker and adaptive limits react to it.")},
        {"fault500Spin", tr("500"),
         tr("Share of requests answered 500 Internal Server Error (retryable).")},
        {"fault529Spin", tr("529"),
         tr("Share of requests answered 529 overloaded_error (Anthropic format; 503 on the "
            "OpenAI endpoints).")},
        {"faultQuotaSpin", tr("429 quota"),
         tr("Share of requests answered 429 insufficient_quota: out of credit, which a client "
            "must not retry.")},
        {"faultResetSpin", tr("Reset"),
         tr("Share of connections reset (TCP RST) right after the request is read.")},
        {"faultStallSpin", tr("Stall"),
         tr("Share of responses that send headers and then go silent until the stall time "
            "passes: only a timeout ends them.")},
        {"faultMidstreamSpin", tr("Mid-stream"),
         tr("Share of responses that break halfway: an error event in a stream, a cut body "
            "otherwise.")},
    }};
    for (int i = 0; i < FaultCount; ++i) {
        auto* s = new QDoubleSpinBox(this);
        s->setObjectName(QLatin1String(specs[i].name));
        s->setRange(0, 100);
        s->setDecimals(1);
        s->setSuffix(tr(" %"));
        s->setKeyboardTracking(false);
        s->setToolTip(specs[i].tip);
        m_faults[i] = s;
        const auto which = static_cast<Fault>(i);
        connect(s, &QDoubleSpinBox::valueChanged, this, [this, which] { onFaultEdited(which); });
        const int row = i / 2;
        const int column = (i % 2) * 2;
        grid->addWidget(fieldLabel(specs[i].label, s), row, column);
        grid->addWidget(s, row, column + 1);
    }
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);
    faultsLayout->addLayout(grid);
    m_faultTotal = new QLabel(this);
    m_faultTotal->setObjectName(QStringLiteral("faultTotalValue"));
    m_faultTotal->setToolTip(tr("Share of all requests that fail on purpose; at most 100%."));
    faultsLayout->addWidget(m_faultTotal);
    m_faultNote = new QLabel(this);
    m_faultNote->setObjectName(QStringLiteral("faultNoteLabel"));
    m_faultNote->setWordWrap(true);
    m_faultNote->setStyleSheet(QStringLiteral("color: #a05a00;"));
    m_faultNote->hide();
    faultsLayout->addWidget(m_faultNote);
    layout->addWidget(faults);

    // Quick scenarios.
    auto* quick = new QGroupBox(tr("Quick changes"), this);
    quick->setObjectName(QStringLiteral("mockQuickGroup"));
    auto* quickGrid = new QGridLayout(quick);
    quickGrid->setContentsMargins(6, 4, 6, 6);
    quickGrid->setSpacing(4);
    const auto button = [this](const char* name, const QString& text, const QString& tip) {
        auto* b = new QPushButton(text, this);
        b->setObjectName(QLatin1String(name));
        b->setToolTip(tip);
        b->setAutoDefault(false);
        return b;
    };
    m_halve = button("halveCapacityButton", tr("Halve capacity"),
                     tr("Halve the mock's service slots now: latency and queueing rise, and "
                        "adaptive limits should follow the capacity down."));
    m_restore = button("restoreCapacityButton", tr("Restore capacity"),
                       tr("Give the mock back the capacity it had before the first halving."));
    m_restore->setEnabled(false);
    auto* inject = button("inject503Button", tr("Inject 30% 503s"),
                          tr("Answer 30% of requests with 503 (less when other faults leave "
                             "less room): retries, the breaker and adaptive limits react."));
    auto* outage = button("outageButton", tr("Outage (100% 503s)"),
                          tr("Answer every request with 503, clearing the other faults: a "
                             "full outage, which an enabled breaker should open on."));
    auto* clear = button("clearFaultsButton", tr("Clear faults"),
                         tr("Set every fault share to 0: the mock answers normally again."));
    quickGrid->addWidget(m_halve, 0, 0);
    quickGrid->addWidget(m_restore, 0, 1);
    quickGrid->addWidget(inject, 1, 0);
    quickGrid->addWidget(outage, 1, 1);
    quickGrid->addWidget(clear, 2, 0, 1, 2);
    connect(m_halve, &QPushButton::clicked, this, &MockPanel::halveCapacity);
    connect(m_restore, &QPushButton::clicked, this, &MockPanel::restoreCapacity);
    connect(inject, &QPushButton::clicked, this, [this] { inject503(300, false, QString()); });
    connect(outage, &QPushButton::clicked, this,
            [this] { inject503(kAllTenths, true, tr("outage: 100% 503s")); });
    connect(clear, &QPushButton::clicked, this, &MockPanel::clearFaults);
    layout->addWidget(quick);

    // What the server saw.
    auto* saw = new QGroupBox(tr("What the server saw"), this);
    saw->setObjectName(QStringLiteral("mockStatsGroup"));
    auto* sawForm = newForm(saw);
    m_concurrent = valueLabel("mockConcurrentValue",
                              tr("Requests the mock is handling now (served or waiting for a "
                                 "slot), and the most at once since its stats were reset."));
    sawForm->addRow(fieldLabel(tr("In flight now / peak"), m_concurrent), m_concurrent);
    m_requests = valueLabel("mockRequestsValue",
                            tr("LLM requests the mock received in all, and how many it "
                               "admitted in the last sliding minute (against its RPM limit)."));
    sawForm->addRow(fieldLabel(tr("Requests"), m_requests), m_requests);
    m_rateLimited = valueLabel("mockRateLimitedValue",
                               tr("Requests the mock refused with 429 because its RPM or TPM "
                                  "limit was reached: the client sent faster than allowed."));
    sawForm->addRow(fieldLabel(tr("429s"), m_rateLimited), m_rateLimited);
    m_waiting = valueLabel("mockWaitingValue",
                           tr("Requests queued inside the mock for a free slot, and the slots "
                              "in use out of its capacity."));
    sawForm->addRow(fieldLabel(tr("Waiting"), m_waiting), m_waiting);
    m_statuses = valueLabel("mockStatusValue",
                            tr("How the mock ended its requests, by HTTP status (and reset, "
                               "stall, client_closed)."));
    m_statuses->setWordWrap(true);
    sawForm->addRow(fieldLabel(tr("By status"), m_statuses), m_statuses);
    layout->addWidget(saw);
    layout->addStretch(1);

    setConfig(MockConfig{});
}

void MockPanel::setConfig(const MockConfig& c) {
    m_updating = true;
    m_capacity->setValue(c.capacity);
    m_rpm->setValue(static_cast<int>(std::clamp<std::int64_t>(c.rpm, 0, m_rpm->maximum())));
    m_tpm->setValue(static_cast<int>(std::clamp<std::int64_t>(c.tpm, 0, m_tpm->maximum())));
    m_ttft->setValue(c.ttftMs);
    m_tpot->setValue(c.tpotMs);
    m_tokensMin->setValue(c.tokensMin);
    m_tokensMax->setValue(c.tokensMax);
    m_jitter->setValue(static_cast<int>(std::lround(c.jitter * 100)));
    // A config from outside is validated (total <= 1), but the widgets keep the promise on
    // their own: a share beyond what the earlier faults leave is lowered.
    MockFaults faults = c.faults;
    int used = 0;
    bool lowered = false;
    for (int i = 0; i < FaultCount; ++i) {
        const double share = std::clamp(*faultField(faults, static_cast<Fault>(i)), 0.0, 1.0);
        const int wanted = static_cast<int>(std::lround(share * kAllTenths));
        const int tenths = std::min(wanted, kAllTenths - used);
        lowered = lowered || tenths < wanted;
        used += tenths;
        m_faults[i]->setValue(tenths / 10.0);
    }
    m_updating = false;
    m_faultNote->setText(tr("The fault shares added up to more than 100%; the last ones were "
                            "lowered."));
    m_faultNote->setVisible(lowered);
    updateFaultTotal();
    m_config = c;
    // What the widgets round to is what config() returns from now on.
    m_config = config();
}

MockConfig MockPanel::config() const {
    MockConfig c = m_config;
    c.capacity = m_capacity->value();
    c.rpm = m_rpm->value();
    c.tpm = m_tpm->value();
    c.ttftMs = m_ttft->value();
    c.tpotMs = m_tpot->value();
    c.tokensMin = m_tokensMin->value();
    c.tokensMax = m_tokensMax->value();
    c.jitter = m_jitter->value() / 100.0;
    for (int i = 0; i < FaultCount; ++i) {
        *faultField(c.faults, static_cast<Fault>(i)) =
            faultTenths(static_cast<Fault>(i)) / double(kAllTenths);
    }
    return c;
}

void MockPanel::setStats(const QJsonObject& stats) {
    if (stats.isEmpty()) {
        for (QLabel* l : {m_concurrent, m_requests, m_rateLimited, m_waiting, m_statuses}) {
            l->setText(QStringLiteral("–"));
        }
        return;
    }
    const QLocale locale;
    // The sliding-minute figures sit under "window" in the mock's answer; accept them at the
    // top level too.
    const QJsonObject window = stats.value(QStringLiteral("window")).toObject();
    const auto windowed = [&](const QString& key) {
        return stats.contains(key) ? integer(stats, key) : integer(window, key);
    };

    m_concurrent->setText(
        tr("%1 / %2").arg(locale.toString(integer(stats, QStringLiteral("concurrent"))),
                          locale.toString(integer(stats, QStringLiteral("peak_concurrent")))));

    const std::int64_t requests = integer(stats, QStringLiteral("requests"));
    const std::int64_t now = windowed(QStringLiteral("requests_now"));
    const std::int64_t rpmLimit = windowed(QStringLiteral("rpm_limit"));
    m_requests->setText(
        rpmLimit > 0
            ? tr("%1 · %2 of %3 in last min")
                  .arg(locale.toString(requests), locale.toString(now), locale.toString(rpmLimit))
            : tr("%1 · %2 in last min").arg(locale.toString(requests), locale.toString(now)));

    const std::int64_t limited = integer(stats, QStringLiteral("rate_limited"));
    m_rateLimited->setText(requests > 0
                               ? tr("%1 (%2%)")
                                     .arg(locale.toString(limited),
                                          QString::number(100.0 * limited / requests, 'f', 1))
                               : locale.toString(limited));

    m_waiting->setText(tr("%1 · %2 of %3 slots busy")
                           .arg(locale.toString(integer(stats, QStringLiteral("waiting"))),
                                locale.toString(integer(stats, QStringLiteral("in_service"))),
                                locale.toString(integer(stats, QStringLiteral("capacity")))));

    const QJsonObject byStatus = stats.value(QStringLiteral("by_status")).toObject();
    QStringList parts;
    for (auto it = byStatus.begin(); it != byStatus.end(); ++it) {
        parts << tr("%1: %2").arg(
            it.key(), locale.toString(static_cast<std::int64_t>(it.value().toDouble())));
    }
    m_statuses->setText(parts.isEmpty() ? QStringLiteral("–") : parts.join(QStringLiteral("  ")));
}

void MockPanel::onEdited() {
    if (!m_updating) {
        commit(QString());
    }
}

void MockPanel::onTokensEdited(bool minChanged) {
    if (m_updating) {
        return;
    }
    // Keep min <= max by moving the other end, as part of this one edit.
    if (m_tokensMin->value() > m_tokensMax->value()) {
        const QSignalBlocker blockMin(m_tokensMin);
        const QSignalBlocker blockMax(m_tokensMax);
        if (minChanged) {
            m_tokensMax->setValue(m_tokensMin->value());
        } else {
            m_tokensMin->setValue(m_tokensMax->value());
        }
    }
    commit(QString());
}

void MockPanel::onFaultEdited(Fault which) {
    if (m_updating) {
        return;
    }
    const int others = faultTenthsTotal() - faultTenths(which);
    const int room = std::max(0, kAllTenths - others);
    if (faultTenths(which) > room) {
        const QSignalBlocker block(m_faults[which]);
        m_faults[which]->setValue(room / 10.0);
        m_faultNote->setText(tr("Fault shares cannot add up to more than 100%: lowered to %1% "
                                "(what the other faults leave).")
                                 .arg(percentText(room)));
        m_faultNote->show();
    } else {
        m_faultNote->hide();
    }
    updateFaultTotal();
    commit(QString());
}

void MockPanel::halveCapacity() {
    const int before = m_capacity->value();
    const int after = std::max(1, before / 2);
    if (after == before) {
        return;
    }
    if (!m_capacityBeforeHalving) {
        m_capacityBeforeHalving = before;
    }
    {
        const QSignalBlocker block(m_capacity);
        m_capacity->setValue(after);
    }
    m_restore->setEnabled(true);
    commit(tr("capacity halved (%1 → %2)").arg(before).arg(after));
}

void MockPanel::restoreCapacity() {
    if (!m_capacityBeforeHalving) {
        return;
    }
    const int capacity = *m_capacityBeforeHalving;
    m_capacityBeforeHalving.reset();
    m_restore->setEnabled(false);
    {
        const QSignalBlocker block(m_capacity);
        m_capacity->setValue(capacity);
    }
    commit(tr("capacity restored (%1)").arg(capacity));
}

void MockPanel::inject503(int tenths, bool clearOthers, const QString& label) {
    for (int i = 0; i < FaultCount; ++i) {
        if (clearOthers && i != Error503) {
            const QSignalBlocker block(m_faults[i]);
            m_faults[i]->setValue(0);
        }
    }
    const int room = kAllTenths - (faultTenthsTotal() - faultTenths(Error503));
    const int share = std::min(tenths, room);
    {
        const QSignalBlocker block(m_faults[Error503]);
        m_faults[Error503]->setValue(share / 10.0);
    }
    if (share < tenths) {
        m_faultNote->setText(tr("Only %1% of 503s fit beside the other faults (100% at most).")
                                 .arg(percentText(share)));
        m_faultNote->show();
    } else {
        m_faultNote->hide();
    }
    updateFaultTotal();
    commit(label.isEmpty() ? tr("%1% 503s injected").arg(percentText(share)) : label);
}

void MockPanel::clearFaults() {
    for (QDoubleSpinBox* s : m_faults) {
        const QSignalBlocker block(s);
        s->setValue(0);
    }
    m_faultNote->hide();
    updateFaultTotal();
    commit(tr("faults cleared"));
}

void MockPanel::commit(const QString& label) {
    const MockConfig now = config();
    if (now == m_config) {
        return;
    }
    m_config = now;
    Q_EMIT configChanged(now, label);
}

void MockPanel::updateFaultTotal() {
    const int total = faultTenthsTotal();
    m_faultTotal->setText(tr("%1% of requests fail on purpose").arg(percentText(total)));
}

int MockPanel::faultTenths(Fault which) const {
    return static_cast<int>(std::lround(m_faults[which]->value() * 10));
}

int MockPanel::faultTenthsTotal() const {
    int total = 0;
    for (int i = 0; i < FaultCount; ++i) {
        total += faultTenths(static_cast<Fault>(i));
    }
    return total;
}

} // namespace sluice
