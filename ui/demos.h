#pragma once

#include "core/bench/scenario.h"
#include "core/bench/trafficlimits.h"
#include "core/result.h"
#include "core/server/mock/mockconfig.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>

#include <optional>

class QTimer;

namespace sluice {

class Session;

/// One click that shows a behaviour on the charts: the mock and the limits to start from, the
/// load, and timed steps that change the mock, the limits or the load, each with a caption.
/// Shipped as JSON in resources/demos/.
struct Demo {
    struct Step {
        Nanos at{0};
        QString caption;
        QString label; ///< the chart marker; the changes themselves when empty
        std::optional<QJsonObject> mock;
        std::optional<QJsonObject> limits;
        std::optional<double> load;
    };
    QString id;
    QString title;
    QString caption;
    MockConfig mock;
    TrafficLimits limits;
    BenchScenario scenario;
    std::vector<Step> steps;

    /// Parses a demo file; an error names the field (`steps[2].at`, `scenario.rate`, …).
    static Result<Demo> fromJson(const QJsonObject& json, const QString& id);
};

/// A shipped demo's text (title, caption, step caption or label) in the UI's language; the
/// English as given when there is no translation.
QString demoText(const QString& english);

/// The demos shipped with the console (resources/demos/*.json), in file-name order. Titles
/// and captions are translated; step labels stay English (they are recorded in the run).
QList<Demo> loadDemos(QStringList* errors = nullptr);

/// Plays a demo on a session: sets the mock and the limits, starts the run, and applies each
/// step at its time (recorded as a chart marker like any other change).
class DemoPlayer final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DemoPlayer)

public:
    explicit DemoPlayer(Session* session, QObject* parent = nullptr);

    /// Sets the demo's mock and limits and starts its run; an error says why it could not
    /// (a run already going, or the session refused the mock or the run).
    Result<void> play(const Demo& demo);
    void stop();
    bool playing() const { return m_playing; }
    const Demo& demo() const { return m_demo; }

Q_SIGNALS:
    void captionChanged(const QString& caption);
    void limitsApplied(const sluice::TrafficLimits& limits);
    void mockApplied(const sluice::MockConfig& config);
    void loadApplied(double load);
    void finished();

private:
    void applyStep(std::size_t index);

    Session* m_session;
    Demo m_demo;
    QList<QTimer*> m_timers;
    bool m_playing = false;
};

} // namespace sluice
