#pragma once

#include "core/bench/benchrunner.h"
#include "core/bench/scenario.h"
#include "ui/presets.h"

#include <QJsonObject>
#include <QWidget>

#include <optional>

class QAction;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QSettings;
class QSpinBox;

namespace sluice {

/// Where the load goes and what it looks like: the target (the built-in mock, or a URL with its
/// format and key), the scenario (load profile, prompts, model, max_tokens, stream, bounds),
/// start / pause / stop and the run's progress. The load knob changes a running profile live.
class BenchPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BenchPanel)

public:
    explicit BenchPanel(QWidget* parent = nullptr);

    /// The buttons trigger the window's actions (which carry the shortcuts).
    void setActions(QAction* start, QAction* pause, QAction* stop);
    /// The scenario the widgets describe (limits not included); an error names the field.
    Result<BenchScenario> scenario() const;
    /// The scenario as a JSON file holds it (no key: only the variable that holds it).
    QJsonObject scenarioJson() const;
    /// Fills the widgets from a scenario file's JSON; on error a message naming the field.
    Result<void> loadScenarioJson(const QJsonObject& json, const QString& baseDir = {});
    /// Shows a scenario that runs without the user's choosing it (a demo): target, profile,
    /// load and bounds.
    void showScenario(const BenchScenario& scenario);
    /// The load of the running profile changed elsewhere (a demo step): shown, not re-sent.
    void setLiveLoad(double load);
    bool targetIsMock() const;
    /// "built-in mock" or the URL, with the masked key.
    QString targetDescription() const;

    void setRunning(bool running);
    void setPaused(bool paused);
    void setProgress(const BenchProgress& progress);

    void saveSettings(QSettings& settings) const;
    void restoreSettings(const QSettings& settings);

Q_SIGNALS:
    /// The load knob moved while a run is going: rate (open loop) or concurrency (closed).
    void loadChanged(double load);
    /// The user picked another target; the window shows or hides the mock panel.
    void targetChanged(bool mock);

private:
    void applyPreset(int index);
    void updateProfileWidgets();
    void updateKeyStatus();
    void savePresetAs();
    QByteArray key() const;
    void reloadPresets(const QString& select);

    QList<ProviderPreset> m_presets;
    QComboBox* m_preset = nullptr;
    QLineEdit* m_url = nullptr;
    QComboBox* m_format = nullptr;
    QLineEdit* m_keyEnv = nullptr;
    QLineEdit* m_key = nullptr;
    QLabel* m_keyStatus = nullptr;
    QLineEdit* m_model = nullptr;
    QComboBox* m_profile = nullptr;
    QLabel* m_loadLabel = nullptr;
    QDoubleSpinBox* m_load = nullptr;
    QSpinBox* m_duration = nullptr;
    QSpinBox* m_requests = nullptr;
    QSpinBox* m_maxTokens = nullptr;
    QSpinBox* m_promptTokens = nullptr;
    QCheckBox* m_stream = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_phase = nullptr;
    QList<QWidget*> m_targetWidgets; // disabled while a run goes
    QString m_title;
    bool m_running = false;
};

} // namespace sluice
