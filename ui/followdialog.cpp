#include "ui/followdialog.h"

#include "core/redis/benchstream.h"
#include "core/redis/redisurl.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace sluice {

FollowDialog::FollowDialog(QWidget* parent)
    : QDialog(parent) {
    setWindowTitle(tr("Follow a distributed run"));
    setObjectName(QStringLiteral("followDialog"));
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(tr("Draw a run of several <tt>sluice bench --agent</tt> processes "
                                "as they publish it to Redis: their requests, errors and "
                                "latency merged into one run."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto* form = new QFormLayout;
    m_url = new QLineEdit(this);
    m_url->setObjectName(QStringLiteral("followUrl"));
    m_url->setPlaceholderText(QStringLiteral("redis://127.0.0.1:6379"));
    m_url->setText(
        QSettings()
            .value(QStringLiteral("follow/url"), QStringLiteral("redis://127.0.0.1:6379"))
            .toString());
    m_runId = new QLineEdit(this);
    m_runId->setObjectName(QStringLiteral("followRunId"));
    m_runId->setPlaceholderText(tr("the agents' --run-id"));
    m_runId->setText(QSettings().value(QStringLiteral("follow/runId")).toString());
    form->addRow(tr("&Redis URL:"), m_url);
    form->addRow(tr("Run &id:"), m_runId);
    layout->addLayout(form);
    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_message->hide();
    layout->addWidget(m_message);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Follow"));
    connect(buttons, &QDialogButtonBox::accepted, this, &FollowDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &FollowDialog::reject);
    layout->addWidget(buttons);
    setMinimumWidth(420);
}

QString FollowDialog::url() const {
    return m_url->text().trimmed();
}

QString FollowDialog::runId() const {
    return m_runId->text().trimmed();
}

void FollowDialog::setUrl(const QString& url) {
    m_url->setText(url);
}

void FollowDialog::setRunId(const QString& runId) {
    m_runId->setText(runId);
}

void FollowDialog::setMessage(const QString& message) {
    m_message->setText(message);
    m_message->setVisible(!message.isEmpty());
}

void FollowDialog::accept() {
    const auto parsed = RedisUrl::parse(url());
    if (!parsed) {
        setMessage(tr("Redis URL: %1").arg(parsed.error().text()));
        return;
    }
    if (auto valid = BenchStream::validateRunId(runId(), tr("Run id")); !valid) {
        setMessage(valid.error().text());
        return;
    }
    // The password stays out of the settings file.
    if (parsed->password.isEmpty()) {
        QSettings().setValue(QStringLiteral("follow/url"), url());
    }
    QSettings().setValue(QStringLiteral("follow/runId"), runId());
    QDialog::accept();
}

} // namespace sluice
