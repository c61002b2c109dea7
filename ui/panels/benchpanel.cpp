#include "ui/panels/benchpanel.h"

#include "core/net/llmformat.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace sluice {

namespace {

enum ProfileIndex { Poisson, Constant, Closed };

QToolButton* actionButton(QWidget* parent, const char* name) {
    auto* b = new QToolButton(parent);
    b->setObjectName(QLatin1String(name));
    b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    b->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    return b;
}

} // namespace

BenchPanel::BenchPanel(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);

    // Target.
    auto* target = new QGroupBox(tr("Target"), this);
    auto* tf = new QFormLayout(target);
    tf->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_preset = new QComboBox(target);
    m_preset->setObjectName(QStringLiteral("presetCombo"));
    m_preset->setToolTip(tr("Where requests go. The built-in mock works offline; the others are "
                            "provider endpoints with the environment variable that holds the "
                            "key."));
    m_preset->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_preset->setMinimumContentsLength(12);
    auto* presetRow = new QHBoxLayout;
    presetRow->addWidget(m_preset, 1);
    auto* savePreset = new QToolButton(target);
    savePreset->setObjectName(QStringLiteral("savePresetButton"));
    savePreset->setText(tr("Save…"));
    savePreset->setToolTip(tr("Save this URL, format, key variable and model as your own preset "
                              "(the key itself is never saved)."));
    connect(savePreset, &QToolButton::clicked, this, &BenchPanel::savePresetAs);
    presetRow->addWidget(savePreset);
    tf->addRow(tr("Preset"), presetRow);
    m_url = new QLineEdit(target);
    m_url->setObjectName(QStringLiteral("urlEdit"));
    m_url->setPlaceholderText(QStringLiteral("https://api.openai.com/v1"));
    m_url->setToolTip(tr("Base URL (…/v1 for OpenAI-compatible servers) or a full chat "
                         "endpoint."));
    tf->addRow(tr("URL"), m_url);
    m_format = new QComboBox(target);
    m_format->setObjectName(QStringLiteral("formatCombo"));
    m_format->addItem(QStringLiteral("OpenAI"), QStringLiteral("openai"));
    m_format->addItem(QStringLiteral("Anthropic"), QStringLiteral("anthropic"));
    m_format->setToolTip(tr("The API the target speaks: OpenAI chat completions or Anthropic "
                            "messages (request body, headers and stream events)."));
    tf->addRow(tr("Format"), m_format);
    m_keyEnv = new QLineEdit(target);
    m_keyEnv->setObjectName(QStringLiteral("keyEnvEdit"));
    m_keyEnv->setPlaceholderText(QStringLiteral("OPENAI_API_KEY"));
    m_keyEnv->setToolTip(tr("Environment variable holding the API key. Used when no key is "
                            "typed below."));
    tf->addRow(tr("Key variable"), m_keyEnv);
    m_key = new QLineEdit(target);
    m_key->setObjectName(QStringLiteral("keyEdit"));
    m_key->setEchoMode(QLineEdit::Password);
    m_key->setPlaceholderText(tr("or paste a key (kept in memory only)"));
    m_key->setToolTip(tr("An API key for this session only: never saved, logged or exported; "
                         "shown masked as sk-...abcd."));
    tf->addRow(tr("Key"), m_key);
    m_keyStatus = new QLabel(target);
    m_keyStatus->setObjectName(QStringLiteral("keyStatusLabel"));
    m_keyStatus->setWordWrap(true);
    m_keyStatus->setStyleSheet(QStringLiteral("color: #666;"));
    tf->addRow(QString(), m_keyStatus);
    m_model = new QLineEdit(target);
    m_model->setObjectName(QStringLiteral("modelEdit"));
    m_model->setToolTip(tr("The model name sent with every request."));
    tf->addRow(tr("Model"), m_model);
    m_targetWidgets = {m_preset, savePreset, m_url, m_format, m_keyEnv, m_key, m_model};
    layout->addWidget(target);

    // Scenario.
    auto* scenario = new QGroupBox(tr("Load"), this);
    auto* sf = new QFormLayout(scenario);
    sf->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_profile = new QComboBox(scenario);
    m_profile->setObjectName(QStringLiteral("profileCombo"));
    m_profile->addItem(tr("Poisson arrivals (open loop)"));
    m_profile->addItem(tr("Constant rate (open loop)"));
    m_profile->addItem(tr("Fixed concurrency (closed loop)"));
    m_profile->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_profile->setMinimumContentsLength(12);
    m_profile->setToolTip(tr("Open loop sends at a rate whatever the answers do (like real users; "
                             "latency counts from the intended send time). Closed loop keeps N "
                             "requests out, each sending the next when it ends."));
    sf->addRow(tr("Profile"), m_profile);
    m_loadLabel = new QLabel(tr("Rate (req/s)"), scenario);
    m_load = new QDoubleSpinBox(scenario);
    m_load->setObjectName(QStringLiteral("loadSpin"));
    m_load->setRange(0.1, 100000);
    m_load->setDecimals(1);
    // A first run must show traffic, not overload: the console's mock allows 600 requests a
    // minute (10/s), so 5/s leaves room for retries and the mock's own jitter.
    m_load->setValue(5);
    m_load->setKeyboardTracking(false);
    m_load->setToolTip(tr("Offered load: requests per second (open loop) or requests kept in "
                          "flight (closed loop). Changes apply to a running test at once and "
                          "show as a marker."));
    sf->addRow(m_loadLabel, m_load);
    m_duration = new QSpinBox(scenario);
    m_duration->setObjectName(QStringLiteral("durationSpin"));
    m_duration->setRange(0, 24 * 3600);
    m_duration->setValue(300);
    m_duration->setSuffix(tr(" s"));
    m_duration->setSpecialValueText(tr("until stopped"));
    m_duration->setToolTip(tr("How long load is offered. With a request count too, the run ends "
                              "at whichever comes first."));
    sf->addRow(tr("Duration"), m_duration);
    m_requests = new QSpinBox(scenario);
    m_requests->setObjectName(QStringLiteral("requestsSpin"));
    m_requests->setRange(0, 100000000);
    m_requests->setSpecialValueText(tr("no limit"));
    m_requests->setToolTip(tr("Stop after sending this many requests (0 = no limit)."));
    sf->addRow(tr("Requests"), m_requests);
    m_maxTokens = new QSpinBox(scenario);
    m_maxTokens->setObjectName(QStringLiteral("maxTokensSpin"));
    m_maxTokens->setRange(1, 1000000);
    m_maxTokens->setValue(64);
    m_maxTokens->setToolTip(tr("max_tokens of each request: caps the answer, and is what a token "
                               "limit reserves until the usage comes back."));
    sf->addRow(tr("max_tokens"), m_maxTokens);
    m_promptTokens = new QSpinBox(scenario);
    m_promptTokens->setObjectName(QStringLiteral("promptTokensSpin"));
    m_promptTokens->setRange(1, 1000000);
    m_promptTokens->setValue(32);
    m_promptTokens->setToolTip(tr("Length of the generated prompts, in tokens."));
    sf->addRow(tr("Prompt tokens"), m_promptTokens);
    m_stream = new QCheckBox(tr("Stream (SSE)"), scenario);
    m_stream->setObjectName(QStringLiteral("streamCheck"));
    m_stream->setChecked(true);
    m_stream->setToolTip(tr("Streamed answers measure time to first token and inter-token "
                            "latency; without streaming only the whole answer is timed."));
    sf->addRow(QString(), m_stream);
    layout->addWidget(scenario);

    // Run.
    auto* run = new QGroupBox(tr("Run"), this);
    auto* rl = new QVBoxLayout(run);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(actionButton(run, "startButton"));
    buttons->addWidget(actionButton(run, "pauseButton"));
    buttons->addWidget(actionButton(run, "stopButton"));
    rl->addLayout(buttons);
    m_progress = new QProgressBar(run);
    m_progress->setObjectName(QStringLiteral("runProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setTextVisible(true);
    m_progress->setFormat(tr("idle"));
    rl->addWidget(m_progress);
    m_phase = new QLabel(run);
    m_phase->setObjectName(QStringLiteral("phaseLabel"));
    m_phase->setWordWrap(true);
    m_phase->setStyleSheet(QStringLiteral("color: #555;"));
    rl->addWidget(m_phase);
    layout->addWidget(run);
    layout->addStretch(1);

    connect(m_preset, &QComboBox::currentIndexChanged, this, &BenchPanel::applyPreset);
    connect(m_profile, &QComboBox::currentIndexChanged, this, &BenchPanel::updateProfileWidgets);
    connect(m_keyEnv, &QLineEdit::textChanged, this, &BenchPanel::updateKeyStatus);
    connect(m_key, &QLineEdit::textChanged, this, &BenchPanel::updateKeyStatus);
    connect(m_load, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        if (m_running) {
            Q_EMIT loadChanged(v);
        }
    });
    reloadPresets({});
    updateProfileWidgets();
}

void BenchPanel::setActions(QAction* start, QAction* pause, QAction* stop) {
    findChild<QToolButton*>(QStringLiteral("startButton"))->setDefaultAction(start);
    findChild<QToolButton*>(QStringLiteral("pauseButton"))->setDefaultAction(pause);
    findChild<QToolButton*>(QStringLiteral("stopButton"))->setDefaultAction(stop);
}

void BenchPanel::reloadPresets(const QString& select) {
    const QSignalBlocker block(m_preset);
    m_presets = loadPresets();
    m_preset->clear();
    for (const ProviderPreset& p : m_presets) {
        m_preset->addItem(p.mock ? tr("Built-in mock") : p.user ? p.name + tr(" (yours)") : p.name);
        m_preset->setItemData(m_preset->count() - 1, p.note, Qt::ToolTipRole);
    }
    int index = 0;
    for (qsizetype i = 0; i < m_presets.size(); ++i) {
        if (m_presets[i].name == select) {
            index = static_cast<int>(i);
        }
    }
    m_preset->setCurrentIndex(index);
    applyPreset(index);
}

void BenchPanel::applyPreset(int index) {
    if (index < 0 || index >= m_presets.size()) {
        return;
    }
    const ProviderPreset& p = m_presets[index];
    m_url->setText(p.mock ? QString() : p.url);
    m_url->setEnabled(!p.mock);
    m_url->setPlaceholderText(p.mock ? tr("the built-in mock (started with the console)")
                                     : QStringLiteral("https://api.openai.com/v1"));
    m_format->setCurrentIndex(std::max(0, m_format->findData(p.format)));
    m_keyEnv->setText(p.keyEnv);
    m_keyEnv->setEnabled(!p.mock);
    m_key->setEnabled(!p.mock);
    m_model->setText(p.model);
    updateKeyStatus();
    Q_EMIT targetChanged(p.mock);
}

bool BenchPanel::targetIsMock() const {
    const int i = m_preset->currentIndex();
    return i >= 0 && i < m_presets.size() && m_presets[i].mock;
}

QByteArray BenchPanel::key() const {
    if (!m_key->text().isEmpty()) {
        return m_key->text().trimmed().toUtf8();
    }
    return m_keyEnv->text().isEmpty()
               ? QByteArray()
               : qgetenv(m_keyEnv->text().trimmed().toLocal8Bit().constData());
}

void BenchPanel::updateKeyStatus() {
    if (targetIsMock()) {
        m_keyStatus->setText(tr("The mock needs no key."));
        return;
    }
    const QByteArray k = key();
    if (k.isEmpty()) {
        m_keyStatus->setText(
            m_keyEnv->text().isEmpty()
                ? tr("No key: requests go without one.")
                : tr("$%1 is not set: requests go without a key.").arg(m_keyEnv->text()));
        return;
    }
    m_keyStatus->setText(m_key->text().isEmpty()
                             ? tr("Key %1 from $%2").arg(maskKey(k), m_keyEnv->text())
                             : tr("Key %1 (typed)").arg(maskKey(k)));
}

void BenchPanel::savePresetAs() {
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Save preset"), tr("Preset name:"),
                                               QLineEdit::Normal, QString(), &ok);
    if (!ok || name.trimmed().isEmpty()) {
        return;
    }
    ProviderPreset p;
    p.name = name.trimmed();
    p.url = m_url->text().trimmed();
    p.format = m_format->currentData().toString();
    p.keyEnv = m_keyEnv->text().trimmed();
    p.model = m_model->text().trimmed();
    saveUserPreset(p);
    reloadPresets(p.name);
}

void BenchPanel::updateProfileWidgets() {
    const bool closed = m_profile->currentIndex() == Closed;
    m_loadLabel->setText(closed ? tr("Concurrency") : tr("Rate (req/s)"));
    m_load->setDecimals(closed ? 0 : 1);
    m_load->setSuffix(closed ? QString() : tr(" /s"));
}

Result<BenchScenario> BenchPanel::scenario() const {
    BenchScenario s;
    if (auto applied = s.apply(scenarioJson()); !applied) {
        return applied.error();
    }
    const QByteArray k = key();
    s.keys = k.isEmpty() ? QList<QByteArray>{} : QList<QByteArray>{k};
    if (auto valid = s.validate(); !valid) {
        return valid.error();
    }
    return s;
}

QJsonObject BenchPanel::scenarioJson() const {
    QJsonObject o;
    if (!m_title.isEmpty()) {
        o.insert(QStringLiteral("title"), m_title);
    }
    if (targetIsMock()) {
        o.insert(QStringLiteral("mock"), true);
    } else {
        o.insert(QStringLiteral("target"), m_url->text().trimmed());
    }
    o.insert(QStringLiteral("format"), m_format->currentData().toString());
    o.insert(QStringLiteral("model"), m_model->text().trimmed());
    o.insert(QStringLiteral("max_tokens"), m_maxTokens->value());
    o.insert(QStringLiteral("stream"), m_stream->isChecked());
    o.insert(QStringLiteral("prompts"),
             QJsonObject{{QStringLiteral("tokens"), m_promptTokens->value()}});
    const int profile = m_profile->currentIndex();
    QJsonObject p;
    p.insert(QStringLiteral("kind"), profile == Closed     ? QStringLiteral("closed")
                                     : profile == Constant ? QStringLiteral("constant")
                                                           : QStringLiteral("poisson"));
    p.insert(profile == Closed ? QStringLiteral("concurrency") : QStringLiteral("rate"),
             m_load->value());
    o.insert(QStringLiteral("profile"), p);
    if (m_duration->value() > 0) {
        o.insert(QStringLiteral("duration"), QStringLiteral("%1s").arg(m_duration->value()));
    }
    if (m_requests->value() > 0) {
        o.insert(QStringLiteral("requests"), m_requests->value());
    }
    if (m_duration->value() == 0 && m_requests->value() == 0) {
        o.insert(QStringLiteral("duration"), QStringLiteral("24h")); // "until stopped"
    }
    return o;
}

Result<void> BenchPanel::loadScenarioJson(const QJsonObject& json, const QString& baseDir) {
    BenchScenario s;
    // A scenario file may name a key variable that is not set here: the target still loads.
    QJsonObject checked = json;
    QString keyEnv;
    if (checked.value(QStringLiteral("keys")).isObject()) {
        keyEnv = checked.value(QStringLiteral("keys"))
                     .toObject()
                     .value(QStringLiteral("env"))
                     .toString();
        checked.remove(QStringLiteral("keys"));
    }
    if (auto applied = s.apply(checked, baseDir); !applied) {
        return applied;
    }
    showScenario(s);
    if (!keyEnv.isEmpty()) {
        m_keyEnv->setText(keyEnv);
    }
    updateKeyStatus();
    return {};
}

void BenchPanel::showScenario(const BenchScenario& s) {
    m_title = s.title;
    if (s.useMock) {
        for (qsizetype i = 0; i < m_presets.size(); ++i) {
            if (m_presets[i].mock) {
                m_preset->setCurrentIndex(static_cast<int>(i));
            }
        }
    } else {
        int custom = -1;
        for (qsizetype i = 0; i < m_presets.size(); ++i) {
            if (!m_presets[i].mock && m_presets[i].url == s.target.toString()) {
                custom = static_cast<int>(i);
            }
        }
        if (custom >= 0) {
            m_preset->setCurrentIndex(custom);
        }
        m_url->setEnabled(true);
        m_keyEnv->setEnabled(true);
        m_key->setEnabled(true);
        m_url->setText(s.target.toString());
        Q_EMIT targetChanged(false);
    }
    m_format->setCurrentIndex(s.format == ApiFormat::Anthropic ? 1 : 0);
    m_model->setText(s.model);
    m_maxTokens->setValue(s.maxTokens);
    m_promptTokens->setValue(s.promptTokens);
    m_stream->setChecked(s.stream);
    m_profile->setCurrentIndex(s.profile.kind == LoadProfile::Kind::Closed     ? Closed
                               : s.profile.kind == LoadProfile::Kind::Constant ? Constant
                                                                               : Poisson);
    m_load->setValue(s.profile.load);
    m_duration->setValue(static_cast<int>(std::min<double>(toSeconds(s.duration), 24 * 3600)));
    m_requests->setValue(static_cast<int>(std::min<std::int64_t>(s.requests, 100000000)));
}

void BenchPanel::setLiveLoad(double load) {
    // What the run does now (a demo's step): not a change to send back to it.
    const QSignalBlocker block(m_load);
    m_load->setValue(load);
}

QString BenchPanel::targetDescription() const {
    if (targetIsMock()) {
        return tr("built-in mock");
    }
    const QByteArray k = key();
    return k.isEmpty() ? m_url->text() : tr("%1 (key %2)").arg(m_url->text(), maskKey(k));
}

void BenchPanel::setRunning(bool running) {
    m_running = running;
    const bool mock = targetIsMock();
    for (QWidget* w : m_targetWidgets) {
        const bool needsUrl = w == m_url || w == m_keyEnv || w == m_key;
        w->setEnabled(!running && !(needsUrl && mock));
    }
    m_profile->setEnabled(!running);
    m_duration->setEnabled(!running);
    m_requests->setEnabled(!running);
    m_maxTokens->setEnabled(!running);
    m_promptTokens->setEnabled(!running);
    m_stream->setEnabled(!running);
    if (running) {
        m_progress->setValue(0);
        m_progress->setFormat(tr("starting"));
    } else {
        m_progress->setFormat(tr("finished"));
        m_progress->setValue(m_progress->maximum());
        m_phase->clear();
    }
}

void BenchPanel::setPaused(bool paused) {
    m_phase->setText(paused ? tr("Paused: no new requests are sent.") : QString());
}

void BenchPanel::setProgress(const BenchProgress& p) {
    // The runner names its phase in English: "running", "warm-up", "draining", "stress N".
    QString phase = p.phase;
    if (phase == QLatin1String("running")) {
        phase = tr("running");
    } else if (phase == QLatin1String("warm-up")) {
        phase = tr("warm-up");
    } else if (phase == QLatin1String("draining")) {
        phase = tr("draining");
    } else if (phase.startsWith(QLatin1String("stress "))) {
        phase = tr("stress %1").arg(phase.mid(7));
    }
    m_progress->setValue(p.fraction >= 0 ? static_cast<int>(p.fraction * 1000) : 0);
    m_progress->setFormat(tr("%1 · %2 s").arg(phase).arg(p.elapsed, 0, 'f', 0));
    m_phase->setText(tr("%1 sent, %2 ok, %3 errors, %4 late starts")
                         .arg(p.submitted)
                         .arg(p.ok)
                         .arg(p.errors)
                         .arg(p.lateStarts));
}

void BenchPanel::saveSettings(QSettings& settings) const {
    settings.beginGroup(QStringLiteral("bench"));
    settings.setValue(QStringLiteral("preset"),
                      m_preset->currentIndex() >= 0 && m_preset->currentIndex() < m_presets.size()
                          ? m_presets[m_preset->currentIndex()].name
                          : QString());
    // The scenario without any key: only the variable that holds one.
    QJsonObject json = scenarioJson();
    json.insert(QStringLiteral("key_env"), m_keyEnv->text());
    settings.setValue(QStringLiteral("scenario"), json.toVariantMap());
    settings.endGroup();
}

void BenchPanel::restoreSettings(const QSettings& settings) {
    const QString preset = settings.value(QStringLiteral("bench/preset")).toString();
    if (!preset.isEmpty()) {
        reloadPresets(preset);
    }
    QJsonObject json =
        QJsonObject::fromVariantMap(settings.value(QStringLiteral("bench/scenario")).toMap());
    if (json.isEmpty()) {
        return;
    }
    const QString keyEnv = json.take(QStringLiteral("key_env")).toString();
    if (loadScenarioJson(json).ok()) {
        m_keyEnv->setText(keyEnv);
        updateKeyStatus();
    }
}

} // namespace sluice
