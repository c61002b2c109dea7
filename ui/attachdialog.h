#pragma once

#include <QDialog>

class QLineEdit;
class QLabel;

namespace sluice {

/// Gateway → Attach…: the address of a running `sluice gateway` and its admin token. The
/// token is shown as dots and never stored; the last address is offered again.
class AttachDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AttachDialog)

public:
    explicit AttachDialog(QWidget* parent = nullptr);

    QString url() const;
    QByteArray token() const;
    void setUrl(const QString& url);
    /// A reason shown under the fields (the last attempt's error), or nothing.
    void setMessage(const QString& message);

    void accept() override;

private:
    QLineEdit* m_url = nullptr;
    QLineEdit* m_token = nullptr;
    QLabel* m_message = nullptr;
};

} // namespace sluice
