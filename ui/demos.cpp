#include "ui/demos.h"

#include "core/net/goduration.h"
#include "ui/session.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

namespace sluice {

std::optional<Demo> Demo::fromJson(const QJsonObject& json, const QString& id, QString* error) {
    Demo d;
    d.id = id;
    auto fail = [&](const QString& what) {
        if (error) {
            *error = QStringLiteral("%1: %2").arg(id, what);
        }
        return std::nullopt;
    };
    d.title = json.value(QStringLiteral("title")).toString();
    d.caption = json.value(QStringLiteral("caption")).toString();
    if (d.title.isEmpty()) {
        return fail(QStringLiteral("title: missing"));
    }
    d.mock.tpm = 0;
    if (const auto e = d.mock.apply(json.value(QStringLiteral("mock")).toObject())) {
        return fail(QStringLiteral("mock: ") + *e);
    }
    if (const auto e = d.limits.apply(json.value(QStringLiteral("limits")).toObject())) {
        return fail(*e);
    }
    QJsonObject scenario = json.value(QStringLiteral("scenario")).toObject();
    scenario.insert(QStringLiteral("mock"), true);
    if (scenario.value(QStringLiteral("title")).toString().isEmpty()) {
        scenario.insert(QStringLiteral("title"), d.title);
    }
    if (const auto e = d.scenario.apply(scenario)) {
        return fail(QStringLiteral("scenario.") + *e);
    }
    d.scenario.limits = d.limits;
    const QJsonArray steps = json.value(QStringLiteral("steps")).toArray();
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const QJsonObject o = steps.at(i).toObject();
        Step s;
        const auto at = parseGoDuration(o.value(QStringLiteral("at")).toString().toUtf8());
        if (!at) {
            return fail(QStringLiteral("steps[%1].at: must be a duration like \"30s\"").arg(i));
        }
        s.at = *at;
        s.caption = o.value(QStringLiteral("caption")).toString();
        s.label = o.value(QStringLiteral("label")).toString();
        if (o.contains(QStringLiteral("mock"))) {
            MockConfig check = d.mock;
            if (const auto e = check.apply(o.value(QStringLiteral("mock")).toObject())) {
                return fail(QStringLiteral("steps[%1].mock: %2").arg(i).arg(*e));
            }
            s.mock = o.value(QStringLiteral("mock")).toObject();
        }
        if (o.contains(QStringLiteral("limits"))) {
            TrafficLimits check = d.limits;
            if (const auto e = check.apply(o.value(QStringLiteral("limits")).toObject())) {
                return fail(QStringLiteral("steps[%1].%2").arg(i).arg(*e));
            }
            s.limits = o.value(QStringLiteral("limits")).toObject();
        }
        if (o.contains(QStringLiteral("load"))) {
            s.load = o.value(QStringLiteral("load")).toDouble();
            if (!(*s.load > 0)) {
                return fail(QStringLiteral("steps[%1].load: must be above 0").arg(i));
            }
        }
        d.steps.push_back(s);
    }
    return d;
}

QList<Demo> loadDemos(QStringList* errors) {
    QList<Demo> out;
    QDir dir(QStringLiteral(":/sluice/demos"));
    for (const QString& name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
        QFile file(dir.filePath(name));
        if (!file.open(QIODevice::ReadOnly)) {
            continue;
        }
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
        QString error;
        std::optional<Demo> demo;
        if (doc.isObject()) {
            demo = Demo::fromJson(doc.object(), QFileInfo(name).completeBaseName(), &error);
        } else {
            error = name + QStringLiteral(": ") + parseError.errorString();
        }
        if (demo) {
            out << *demo;
        } else if (errors) {
            *errors << error;
        }
    }
    return out;
}

DemoPlayer::DemoPlayer(Session* session, QObject* parent)
    : QObject(parent)
    , m_session(session) {
    connect(m_session, &Session::runFinished, this, [this] {
        if (m_playing) {
            stop();
            Q_EMIT finished();
        }
    });
}

bool DemoPlayer::play(const Demo& demo, QString* error) {
    if (m_session->running()) {
        if (error) {
            *error = tr("a run is already going: stop it first");
        }
        return false;
    }
    stop();
    m_demo = demo;
    MockConfig mock = demo.mock;
    if (const auto e = m_session->setMockConfig(mock)) {
        if (error) {
            *error = *e;
        }
        return false;
    }
    Q_EMIT mockApplied(mock);
    m_session->applyLimits(demo.limits);
    Q_EMIT limitsApplied(demo.limits);
    if (!m_session->startRun(demo.scenario, error)) {
        return false;
    }
    m_playing = true;
    Q_EMIT captionChanged(demo.caption);
    for (std::size_t i = 0; i < demo.steps.size(); ++i) {
        auto* timer = new QTimer(this);
        timer->setSingleShot(true);
        connect(timer, &QTimer::timeout, this, [this, i] { applyStep(i); });
        timer->start(static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(demo.steps[i].at).count()));
        m_timers << timer;
    }
    return true;
}

void DemoPlayer::stop() {
    qDeleteAll(m_timers);
    m_timers.clear();
    m_playing = false;
}

void DemoPlayer::applyStep(std::size_t index) {
    if (!m_playing || index >= m_demo.steps.size()) {
        return;
    }
    const Demo::Step& step = m_demo.steps[index];
    if (step.mock) {
        MockConfig mock = m_session->mockConfig();
        mock.apply(*step.mock);
        m_session->setMockConfig(mock, step.label);
        Q_EMIT mockApplied(mock);
    }
    if (step.limits) {
        TrafficLimits limits = m_session->limits();
        limits.apply(*step.limits);
        m_session->applyLimits(limits);
        Q_EMIT limitsApplied(limits);
    }
    if (step.load) {
        m_session->setLoad(*step.load);
        Q_EMIT loadApplied(*step.load);
    }
    if (!step.caption.isEmpty()) {
        Q_EMIT captionChanged(step.caption);
    }
}

} // namespace sluice
