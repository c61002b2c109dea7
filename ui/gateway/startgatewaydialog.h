#pragma once

#include "ui/gateway/gatewaystart.h"

#include <QDialog>

#include <functional>

class QButtonGroup;
class QComboBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QSpinBox;

namespace sluice {

/// *Gateway → Start here…*: where the console's gateway listens, the provider behind it (the
/// built-in mock, a preset or any URL), its upstream keys (each caller's own, from the
/// environment or from a file) and its client tokens file. Shows what to point programs at.
class StartGatewayDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StartGatewayDialog)

public:
    explicit StartGatewayDialog(const GatewayStartOptions& initial, QWidget* parent = nullptr);

    GatewayStartOptions options() const;
    /// What *Start gateway* calls with the options: on success the dialog closes, on an error
    /// it stays open and shows it.
    void setStarter(std::function<Result<void>(const GatewayStartOptions&)> starter) {
        m_starter = std::move(starter);
    }
    /// Shows an error under the fields (the dialog stays open).
    void showError(const QString& text);

private:
    void onPresetChanged(int index);
    void updateEnabled();
    void browse(QLineEdit* edit, const QString& title);

    QLineEdit* m_listen = nullptr;
    QComboBox* m_preset = nullptr;
    QLineEdit* m_url = nullptr;
    QComboBox* m_format = nullptr;
    QRadioButton* m_passThrough = nullptr;
    QRadioButton* m_fromEnv = nullptr;
    QRadioButton* m_fromFile = nullptr;
    QLineEdit* m_keyEnv = nullptr;
    QLineEdit* m_keysFile = nullptr;
    QLineEdit* m_clientsFile = nullptr;
    QSpinBox* m_maxConcurrent = nullptr;
    QLabel* m_error = nullptr;
    std::function<Result<void>(const GatewayStartOptions&)> m_starter;
};

} // namespace sluice
