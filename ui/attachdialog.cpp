#include "ui/attachdialog.h"

#include "core/host/attachclient.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace sluice {

AttachDialog::AttachDialog(QWidget* parent)
    : QDialog(parent) {
    setWindowTitle(tr("Attach to a gateway"));
    setObjectName(QStringLiteral("attachDialog"));
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(tr("Follow a running <tt>sluice gateway</tt> through its admin API: "
                                "its traffic on the charts, its limits in the limits panel."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto* form = new QFormLayout;
    m_url = new QLineEdit(this);
    m_url->setObjectName(QStringLiteral("attachUrl"));
    m_url->setPlaceholderText(QStringLiteral("http://127.0.0.1:8080"));
    m_url->setText(QSettings()
                       .value(QStringLiteral("attach/url"), QStringLiteral("http://127.0.0.1:8080"))
                       .toString());
    m_token = new QLineEdit(this);
    m_token->setObjectName(QStringLiteral("attachToken"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("none (loopback only)"));
    m_token->setToolTip(tr("The gateway's --admin-token; not needed on this machine when the "
                           "gateway was started without one."));
    form->addRow(tr("Gateway &URL:"), m_url);
    form->addRow(tr("Admin &token:"), m_token);
    layout->addLayout(form);
    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_message->hide();
    layout->addWidget(m_message);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Attach"));
    connect(buttons, &QDialogButtonBox::accepted, this, &AttachDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &AttachDialog::reject);
    layout->addWidget(buttons);
    setMinimumWidth(420);
}

QString AttachDialog::url() const {
    return m_url->text().trimmed();
}

QByteArray AttachDialog::token() const {
    return m_token->text().trimmed().toUtf8();
}

void AttachDialog::setUrl(const QString& url) {
    m_url->setText(url);
}

void AttachDialog::setMessage(const QString& message) {
    m_message->setText(message);
    m_message->setVisible(!message.isEmpty());
}

void AttachDialog::accept() {
    const auto parsed = AttachClient::parseUrl(url());
    if (!parsed) {
        setMessage(parsed.error().text());
        return;
    }
    QSettings().setValue(QStringLiteral("attach/url"), parsed->toString());
    QDialog::accept();
}

} // namespace sluice
