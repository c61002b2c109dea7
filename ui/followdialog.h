#pragma once

#include <QDialog>

class QLineEdit;
class QLabel;

namespace sluice {

/// Run → Follow a distributed run…: the Redis the agents publish to and the run id they were
/// given (`--redis`, `--run-id`). Checks both before closing; the last ones are offered again.
/// The URL's password, if any, is kept only for this session, never stored.
class FollowDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FollowDialog)

public:
    explicit FollowDialog(QWidget* parent = nullptr);

    QString url() const;
    QString runId() const;
    void setUrl(const QString& url);
    void setRunId(const QString& runId);
    /// A reason shown under the fields (the last attempt's error), or nothing.
    void setMessage(const QString& message);

    void accept() override;

private:
    QLineEdit* m_url = nullptr;
    QLineEdit* m_runId = nullptr;
    QLabel* m_message = nullptr;
};

} // namespace sluice
