#include "ui/gateway/startgatewaydialog.h"

#include "ui/presets.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace sluice {

StartGatewayDialog::StartGatewayDialog(const GatewayStartOptions& initial, QWidget* parent)
    : QDialog(parent) {
    setObjectName(QStringLiteral("startGatewayDialog"));
    setWindowTitle(tr("Start a gateway here"));
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(
        tr("The console runs a gateway: every program on this machine that sends through it "
           "shares one set of limits, and you watch and steer its traffic here."),
        this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto* form = new QFormLayout;
    layout->addLayout(form);

    m_listen = new QLineEdit(initial.listen, this);
    m_listen->setObjectName(QStringLiteral("gatewayListen"));
    m_listen->setToolTip(tr("HOST:PORT on this machine; port 0 picks a free one."));
    form->addRow(tr("Listen on"), m_listen);

    m_preset = new QComboBox(this);
    m_preset->setObjectName(QStringLiteral("gatewayPreset"));
    for (const ProviderPreset& p : loadPresets()) {
        m_preset->addItem(p.name, p.toJson());
    }
    m_preset->addItem(tr("Other URL…"), QJsonObject{});
    form->addRow(tr("Upstream"), m_preset);
    m_url = new QLineEdit(initial.upstream, this);
    m_url->setObjectName(QStringLiteral("gatewayUpstream"));
    m_url->setPlaceholderText(QStringLiteral("https://api.openai.com/v1"));
    m_format = new QComboBox(this);
    m_format->addItem(QStringLiteral("OpenAI"), QStringLiteral("openai"));
    m_format->addItem(QStringLiteral("Anthropic"), QStringLiteral("anthropic"));
    auto* urlRow = new QHBoxLayout;
    urlRow->addWidget(m_url, 1);
    urlRow->addWidget(m_format);
    form->addRow(tr("Base URL"), urlRow);

    auto fileRow = [this](QLineEdit* edit, const QString& title) {
        auto* row = new QHBoxLayout;
        row->addWidget(edit, 1);
        auto* button = new QToolButton(this);
        button->setText(QStringLiteral("…"));
        connect(button, &QToolButton::clicked, this, [this, edit, title] { browse(edit, title); });
        row->addWidget(button);
        return row;
    };
    m_passThrough = new QRadioButton(tr("Each caller's own key (passed through)"), this);
    m_fromEnv = new QRadioButton(tr("From the environment variable"), this);
    m_fromFile = new QRadioButton(tr("From a file (a pool: one key a line)"), this);
    m_keyEnv = new QLineEdit(initial.keyEnv, this);
    m_keyEnv->setPlaceholderText(QStringLiteral("OPENAI_API_KEY"));
    m_keysFile = new QLineEdit(initial.keysFile, this);
    auto* keys = new QVBoxLayout;
    keys->addWidget(m_passThrough);
    auto* envRow = new QHBoxLayout;
    envRow->addWidget(m_fromEnv);
    envRow->addWidget(m_keyEnv, 1);
    keys->addLayout(envRow);
    keys->addWidget(m_fromFile);
    keys->addLayout(fileRow(m_keysFile, tr("Upstream keys file")));
    form->addRow(tr("Upstream keys"), keys);
    (initial.keys == GatewayStartOptions::Keys::Environment ? m_fromEnv
     : initial.keys == GatewayStartOptions::Keys::File      ? m_fromFile
                                                            : m_passThrough)
        ->setChecked(true);

    m_clientsFile = new QLineEdit(initial.clientsFile, this);
    m_clientsFile->setObjectName(QStringLiteral("gatewayClients"));
    m_clientsFile->setPlaceholderText(tr("optional: a JSON array of {name, token, weight, …}"));
    form->addRow(tr("Client tokens"), fileRow(m_clientsFile, tr("Client tokens file")));

    m_maxConcurrent = new QSpinBox(this);
    m_maxConcurrent->setRange(1, 100000);
    m_maxConcurrent->setValue(initial.maxConcurrent);
    form->addRow(tr("Max concurrent"), m_maxConcurrent);

    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("gatewayError"));
    m_error->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_error->setWordWrap(true);
    m_error->hide();
    layout->addWidget(m_error);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Start gateway"));
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        if (m_starter) {
            if (auto started = m_starter(options()); !started) {
                showError(started.error().text());
                return;
            }
        }
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    connect(m_preset, &QComboBox::currentIndexChanged, this, &StartGatewayDialog::onPresetChanged);
    for (QRadioButton* r : {m_passThrough, m_fromEnv, m_fromFile}) {
        connect(r, &QRadioButton::toggled, this, &StartGatewayDialog::updateEnabled);
    }
    int index = 0;
    for (int i = 0; i < m_preset->count(); ++i) {
        const QJsonObject p = m_preset->itemData(i).toJsonObject();
        if (initial.mock ? p.value(QStringLiteral("mock")).toBool()
                         : p.value(QStringLiteral("url")).toString() == initial.upstream) {
            index = i;
            break;
        }
        if (!initial.mock && p.isEmpty()) {
            index = i; // "Other URL…"
        }
    }
    m_preset->setCurrentIndex(index);
    onPresetChanged(index);
    if (!initial.mock && !initial.upstream.isEmpty()) {
        m_url->setText(initial.upstream);
    }
    resize(560, sizeHint().height());
}

void StartGatewayDialog::onPresetChanged(int index) {
    const ProviderPreset p = ProviderPreset::fromJson(m_preset->itemData(index).toJsonObject());
    if (p.mock) {
        m_url->setText(tr("the console's built-in mock"));
    } else if (!p.url.isEmpty()) {
        m_url->setText(p.url);
    } else {
        m_url->clear();
    }
    m_format->setCurrentIndex(std::max(0, m_format->findData(p.format)));
    if (!p.keyEnv.isEmpty()) {
        m_keyEnv->setText(p.keyEnv);
        if (m_passThrough->isChecked() &&
            !qEnvironmentVariableIsEmpty(p.keyEnv.toLocal8Bit().constData())) {
            m_fromEnv->setChecked(true);
        }
    }
    updateEnabled();
}

void StartGatewayDialog::updateEnabled() {
    const bool mock = ProviderPreset::fromJson(m_preset->currentData().toJsonObject()).mock;
    m_url->setEnabled(!mock);
    m_format->setEnabled(!mock);
    m_keyEnv->setEnabled(m_fromEnv->isChecked());
    m_keysFile->setEnabled(m_fromFile->isChecked());
}

void StartGatewayDialog::browse(QLineEdit* edit, const QString& title) {
    const QString path = QFileDialog::getOpenFileName(this, title, edit->text());
    if (!path.isEmpty()) {
        edit->setText(path);
    }
}

void StartGatewayDialog::showError(const QString& text) {
    m_error->setText(text);
    m_error->setVisible(!text.isEmpty());
}

GatewayStartOptions StartGatewayDialog::options() const {
    GatewayStartOptions o;
    o.listen = m_listen->text();
    o.mock = ProviderPreset::fromJson(m_preset->currentData().toJsonObject()).mock;
    o.upstream = o.mock ? QString() : m_url->text();
    o.format = m_format->currentData().toString();
    o.keys = m_fromEnv->isChecked()    ? GatewayStartOptions::Keys::Environment
             : m_fromFile->isChecked() ? GatewayStartOptions::Keys::File
                                       : GatewayStartOptions::Keys::PassThrough;
    o.keyEnv = m_keyEnv->text();
    o.keysFile = m_keysFile->text();
    o.clientsFile = m_clientsFile->text();
    o.maxConcurrent = m_maxConcurrent->value();
    return o;
}

} // namespace sluice
