#include "ui/demos.h"

#include "core/goduration.h"
#include "ui/session.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

namespace sluice {

namespace {

// The shipped demos' texts, for lupdate: a demo file is data, so its English is listed here
// and looked up by its source text (context "Demo") when shown. Keep in step with
// resources/demos/*.json; a text missing here is shown in English.
[[maybe_unused]] const char* const kDemoTexts[] = {
    QT_TRANSLATE_NOOP("Demo", "429 storm: limiter off, then on"),
    QT_TRANSLATE_NOOP(
        "Demo",
        "Limiter off: 15 req/s against a server that allows 300 requests per minute. Once its "
        "minute's budget is spent (about 20 s in), two requests in three come back 429 (orange)."),
    QT_TRANSLATE_NOOP("Demo",
                      "Limiter on at 285 rpm (95% of the server's): 429s stop. The excess now "
                      "waits in our queue (purple) instead of hitting the server, and what the "
                      "queue cannot hold in time is shed as rejected or timed out."),
    QT_TRANSLATE_NOOP("Demo", "limiter on: 285 rpm"),
    QT_TRANSLATE_NOOP("Demo", "Adaptive concurrency finds the server's capacity"),
    QT_TRANSLATE_NOOP("Demo", "64 callers, a server with 16 slots. The adaptive limit (grey) "
                              "starts at 4 and settles near 16, where latency starts to rise."),
    QT_TRANSLATE_NOOP("Demo", "The server's capacity is halved to 8 slots: latency jumps, and the "
                              "limit follows it down."),
    QT_TRANSLATE_NOOP("Demo", "server capacity halved (8)"),
    QT_TRANSLATE_NOOP("Demo",
                      "Capacity is back to 16: the limit climbs again until latency says stop."),
    QT_TRANSLATE_NOOP("Demo", "server capacity back (16)"),
    QT_TRANSLATE_NOOP("Demo", "Priority lanes under 3x overload"),
    QT_TRANSLATE_NOOP("Demo",
                      "120 req/s offered to a server that does 40: 10% high, 80% normal, 10% low "
                      "priority. On 'Total p95 by priority', high (red) is served in about one "
                      "service time while normal (blue) waits up to its 10 s timeout; low (grey) "
                      "rarely gets a slot before timing out, and the full queue sheds the rest."),
    QT_TRANSLATE_NOOP("Demo", "Load drops under capacity: the queue drains, every lane is served."),
    QT_TRANSLATE_NOOP("Demo", "load back to 30 req/s"),
    QT_TRANSLATE_NOOP("Demo", "Circuit breaker during an outage"),
    QT_TRANSLATE_NOOP("Demo",
                      "10 req/s to a healthy server. At 20 s it fails every request with 503."),
    QT_TRANSLATE_NOOP("Demo",
                      "Outage: after 10 failed calls the breaker opens and fails requests at once "
                      "(red) instead of sending them; every 5 s it lets 3 probes through."),
    QT_TRANSLATE_NOOP("Demo", "outage: 100% 503"),
    QT_TRANSLATE_NOOP(
        "Demo",
        "The server is back: the next probes succeed, the breaker closes and traffic flows again."),
    QT_TRANSLATE_NOOP("Demo", "outage over"),
};

} // namespace

QString demoText(const QString& english) {
    if (english.isEmpty()) {
        return english;
    }
    const QByteArray source = english.toUtf8();
    return QCoreApplication::translate("Demo", source.constData());
}

Result<Demo> Demo::fromJson(const QJsonObject& json, const QString& id) {
    Demo d;
    d.id = id;
    auto fail = [](QString field, QString message) { return Error::invalid(field, message); };
    // An error inside a part (the mock, the limits, the scenario) named from the demo's top.
    auto within = [](const QString& prefix, const Error& e) {
        return Error::invalid(e.field.isEmpty() ? prefix : prefix + e.field, e.message);
    };
    d.title = demoText(json.value(QStringLiteral("title")).toString());
    d.caption = demoText(json.value(QStringLiteral("caption")).toString());
    if (d.title.isEmpty()) {
        return fail(QStringLiteral("title"), QStringLiteral("missing"));
    }
    d.mock.tpm = 0;
    if (auto applied = d.mock.apply(json.value(QStringLiteral("mock")).toObject()); !applied) {
        return within(QStringLiteral("mock."), applied.error());
    }
    if (auto applied = d.limits.apply(json.value(QStringLiteral("limits")).toObject()); !applied) {
        return applied.error();
    }
    QJsonObject scenario = json.value(QStringLiteral("scenario")).toObject();
    scenario.insert(QStringLiteral("mock"), true);
    if (scenario.value(QStringLiteral("title")).toString().isEmpty()) {
        // English, like everything a run records.
        scenario.insert(QStringLiteral("title"), json.value(QStringLiteral("title")).toString());
    }
    if (auto applied = d.scenario.apply(scenario); !applied) {
        return within(QStringLiteral("scenario."), applied.error());
    }
    d.scenario.limits = d.limits;
    const QJsonArray steps = json.value(QStringLiteral("steps")).toArray();
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const QJsonObject o = steps.at(i).toObject();
        Step s;
        const auto at = parseGoDuration(o.value(QStringLiteral("at")).toString().toUtf8());
        if (!at) {
            return fail(QStringLiteral("steps[%1].at").arg(i),
                        QStringLiteral("must be a duration like \"30s\""));
        }
        s.at = *at;
        s.caption = demoText(o.value(QStringLiteral("caption")).toString());
        // The label stays English: it is recorded in the run's events and reports; the
        // console translates it where it shows it (demoText()).
        s.label = o.value(QStringLiteral("label")).toString();
        if (o.contains(QStringLiteral("mock"))) {
            MockConfig check = d.mock;
            if (auto applied = check.apply(o.value(QStringLiteral("mock")).toObject()); !applied) {
                return within(QStringLiteral("steps[%1].mock.").arg(i), applied.error());
            }
            s.mock = o.value(QStringLiteral("mock")).toObject();
        }
        if (o.contains(QStringLiteral("limits"))) {
            TrafficLimits check = d.limits;
            if (auto applied = check.apply(o.value(QStringLiteral("limits")).toObject());
                !applied) {
                return within(QStringLiteral("steps[%1].").arg(i), applied.error());
            }
            s.limits = o.value(QStringLiteral("limits")).toObject();
        }
        if (o.contains(QStringLiteral("load"))) {
            s.load = o.value(QStringLiteral("load")).toDouble();
            if (!(*s.load > 0)) {
                return fail(QStringLiteral("steps[%1].load").arg(i),
                            QStringLiteral("must be above 0"));
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
        const QString id = QFileInfo(name).completeBaseName();
        if (!doc.isObject()) {
            if (errors) {
                *errors << name + QStringLiteral(": ") + parseError.errorString();
            }
            continue;
        }
        if (auto demo = Demo::fromJson(doc.object(), id); demo) {
            out << std::move(demo).value();
        } else if (errors) {
            *errors << id + QStringLiteral(": ") + demo.error().text();
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

Result<void> DemoPlayer::play(const Demo& demo) {
    if (m_session->running()) {
        return Error{Error::Kind::Unavailable, {}, tr("a run is already going: stop it first")};
    }
    stop();
    m_demo = demo;
    MockConfig mock = demo.mock;
    if (auto applied = m_session->setMockConfig(mock); !applied) {
        return applied;
    }
    Q_EMIT mockApplied(mock);
    m_session->applyLimits(demo.limits);
    Q_EMIT limitsApplied(demo.limits);
    if (auto started = m_session->startRun(demo.scenario); !started) {
        return started;
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
    return {};
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
        // Both checked when the demo was read (Demo::fromJson).
        (void)mock.apply(*step.mock);
        (void)m_session->setMockConfig(mock, step.label);
        Q_EMIT mockApplied(mock);
    }
    if (step.limits) {
        TrafficLimits limits = m_session->limits();
        (void)limits.apply(*step.limits);
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
