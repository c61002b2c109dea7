#include "app/admincommands.h"

#include "app/commandline.h"
#include "app/signalwatcher.h"
#include "core/result.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>

#include <QCoroNetworkReply>
#include <QCoroTask>
#include <QCoroTimer>

#include <cmath>
#include <memory>
#include <unistd.h>

namespace sluice {

namespace {

struct AdminReply {
    int status = 0;
    QByteArray body;
    QString error; ///< transport error, when no HTTP answer came
};

// One admin call, awaited; parameters by value (a coroutine's references would dangle).
QCoro::Task<AdminReply> adminCall(QNetworkAccessManager* nam, QUrl url, QByteArray method,
                                  QByteArray body, QByteArray token) {
    QNetworkRequest request(url);
    request.setTransferTimeout(5000);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    if (!token.isEmpty()) {
        request.setRawHeader("Authorization", "Bearer " + token);
    }
    std::unique_ptr<QNetworkReply> reply(method == "POST" ? co_await nam->post(request, body)
                                                          : co_await nam->get(request));
    AdminReply out;
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.body = reply->readAll();
    if (out.status == 0) {
        out.error = reply->error() == QNetworkReply::OperationCanceledError
                        ? QStringLiteral("no answer in 5 s")
                        : reply->errorString();
    }
    co_return out;
}

struct Target {
    QUrl base;
    QByteArray token;
};

void addTargetOptions(QCommandLineParser& parser) {
    parser.addOption({QStringLiteral("gateway"),
                      QStringLiteral("The gateway's URL (default $SLUICE_GATEWAY, else "
                                     "http://127.0.0.1:8080)."),
                      QStringLiteral("url")});
    parser.addOption({QStringLiteral("admin-token"),
                      QStringLiteral("Admin token (default $SLUICE_ADMIN_TOKEN)."),
                      QStringLiteral("token")});
}

Target targetOf(const QCommandLineParser& parser) {
    QString url = parser.value(QStringLiteral("gateway"));
    if (url.isEmpty()) {
        url = qEnvironmentVariable("SLUICE_GATEWAY", QStringLiteral("http://127.0.0.1:8080"));
    }
    if (!url.contains(QLatin1String("://"))) {
        url.prepend(QStringLiteral("http://"));
    }
    QByteArray token = parser.value(QStringLiteral("admin-token")).toUtf8();
    if (token.isEmpty()) {
        token = qgetenv("SLUICE_ADMIN_TOKEN");
    }
    return {QUrl(url), token};
}

// Parses and handles --help; returns an exit code when the command should stop.
std::optional<int> parse(QCommandLineParser& parser, const QStringList& arguments,
                         const QString& me) {
    parser.addHelpOption();
    if (!parser.parse(arguments)) {
        cli::printError(me + QStringLiteral(": ") + parser.errorText());
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        cli::printOut(cli::helpFor(parser, me));
        return 0;
    }
    return std::nullopt;
}

// One call, run to the end (the CLI has no loop of its own to return to): the answer's JSON, or
// why not (unreachable, or the gateway's error, naming its field when it gave one).
Result<QJsonObject> call(const Target& t, const QString& path, QByteArray method = "GET",
                         QByteArray body = {}) {
    QNetworkAccessManager nam;
    QUrl url = t.base;
    url.setPath(path);
    const AdminReply r = QCoro::waitFor(adminCall(&nam, url, method, body, t.token));
    if (r.status == 0) {
        return Error{
            Error::Kind::Unavailable,
            {},
            QStringLiteral("cannot reach the gateway at %1: %2").arg(t.base.toString(), r.error)};
    }
    const QJsonObject json = QJsonDocument::fromJson(r.body).object();
    if (r.status != 200) {
        return Error{r.status == 400 ? Error::Kind::Invalid : Error::Kind::Unavailable,
                     json.value(QStringLiteral("field")).toString(),
                     QStringLiteral("the gateway answered %1: %2")
                         .arg(r.status)
                         .arg(json.value(QStringLiteral("error"))
                                  .toString(QString::fromUtf8(r.body.left(300))))};
    }
    return json;
}

// call(), saying why on stderr when it failed.
Result<QJsonObject> callOrSay(const Target& t, const QString& path, const QString& me,
                              QByteArray method = "GET", QByteArray body = {}) {
    auto answer = call(t, path, std::move(method), std::move(body));
    if (!answer) {
        cli::printError(me + QStringLiteral(": ") + answer.error().message);
    }
    return answer;
}

QString ms(const QJsonObject& latency, const char* metric, const char* p) {
    const QJsonValue v = latency.value(QLatin1String(metric)).toObject().value(QLatin1String(p));
    if (!v.isDouble()) {
        return QStringLiteral("-");
    }
    const double x = v.toDouble();
    return x >= 1000 ? QStringLiteral("%1 s").arg(x / 1000, 0, 'f', 2)
                     : QStringLiteral("%1 ms").arg(x, 0, 'f', x >= 10 ? 0 : 2);
}

// The alert rules the console uses, on one stats answer.
QStringList alertsOf(const QJsonObject& s) {
    QStringList out;
    const double limit = s.value(QStringLiteral("limit")).toDouble();
    const double inFlight = s.value(QStringLiteral("in_flight")).toDouble();
    if (limit > 0 && inFlight > 0.95 * limit) {
        out << QStringLiteral("CRITICAL in flight above 95% of the limit");
    } else if (limit > 0 && inFlight > 0.8 * limit) {
        out << QStringLiteral("warning  in flight above 80% of the limit");
    }
    if (s.value(QStringLiteral("queued")).toDouble() > 50) {
        out << QStringLiteral("CRITICAL more than 50 requests queued");
    }
    if (s.value(QStringLiteral("rejected_share")).toDouble() > 0.05) {
        out << QStringLiteral("CRITICAL more than 5% of requests rejected");
    }
    if (s.value(QStringLiteral("breaker")).toString() == QLatin1String("open")) {
        out << QStringLiteral("CRITICAL circuit breaker open");
    }
    return out;
}

// One line per upstream key of the gateway's pool: its headroom as the provider last said.
QStringList keyLines(const QJsonObject& s) {
    QStringList out;
    const auto figure = [](const QJsonObject& k, const char* left, const char* limit) {
        const QJsonValue l = k.value(QLatin1String(left));
        return l.isDouble() ? QStringLiteral("%1/%2")
                                  .arg(l.toDouble())
                                  .arg(k.value(QLatin1String(limit)).toDouble())
                            : QStringLiteral("?");
    };
    for (const QJsonValue& v : s.value(QStringLiteral("keys")).toArray()) {
        const QJsonObject k = v.toObject();
        QString line =
            QStringLiteral("key %1  in flight %2  requests %3  429s %4  left %5 req "
                           "%6 tok  reset %7s")
                .arg(k.value(QStringLiteral("key")).toString())
                .arg(k.value(QStringLiteral("in_flight")).toInt())
                .arg(k.value(QStringLiteral("requests")).toDouble())
                .arg(k.value(QStringLiteral("rate_limited")).toDouble())
                .arg(figure(k, "remaining_requests", "limit_requests"),
                     figure(k, "remaining_tokens", "limit_tokens"))
                .arg(k.value(QStringLiteral("reset_requests_ms")).toDouble() / 1000, 0, 'f', 1);
        if (k.value(QStringLiteral("cooling_ms")).toDouble() > 0) {
            line += QStringLiteral("  cooling %1s")
                        .arg(k.value(QStringLiteral("cooling_ms")).toDouble() / 1000, 0, 'f', 1);
        }
        if (k.value(QStringLiteral("retired")).toBool()) {
            line += QStringLiteral("  RETIRED");
        }
        out << QStringLiteral("            ") + line;
    }
    if (!out.isEmpty()) {
        out.front().replace(0, 12, QStringLiteral("keys        "));
    }
    return out;
}

QString statsText(const QJsonObject& s) {
    const QJsonObject lat = s.value(QStringLiteral("latency")).toObject();
    QStringList out;
    out << QStringLiteral("in flight   %1 / %2   queued %3 (%4 waiting for budget)   breaker %5")
               .arg(s.value(QStringLiteral("in_flight")).toInt())
               .arg(s.value(QStringLiteral("limit")).toInt())
               .arg(s.value(QStringLiteral("queued")).toInt())
               .arg(s.value(QStringLiteral("waiting_budget")).toInt())
               .arg(s.value(QStringLiteral("breaker")).toString());
    out << QStringLiteral("processed   %1   done %2   rejected %3 (%4%)   failed %5   caller "
                          "gone %6")
               .arg(s.value(QStringLiteral("processed")).toDouble())
               .arg(s.value(QStringLiteral("done")).toDouble())
               .arg(s.value(QStringLiteral("rejected")).toDouble())
               .arg(s.value(QStringLiteral("rejected_share")).toDouble() * 100, 0, 'f', 1)
               .arg(s.value(QStringLiteral("failed")).toDouble())
               .arg(s.value(QStringLiteral("client_gone")).toDouble());
    out << QStringLiteral("rate        %1 req/s sent   %2 ok/s   %3 errors/s   upstream 429s %4")
               .arg(s.value(QStringLiteral("rps")).toDouble(), 0, 'f', 1)
               .arg(s.value(QStringLiteral("ok_per_s")).toDouble(), 0, 'f', 1)
               .arg(s.value(QStringLiteral("errors_per_s")).toDouble(), 0, 'f', 1)
               .arg(s.value(QStringLiteral("upstream_429")).toDouble());
    out << QStringLiteral("latency     e2e p50 %1 p99 %2   ttft p50 %3 p99 %4   overhead p50 %5 "
                          "p99 %6")
               .arg(ms(lat, "e2e", "p50_ms"), ms(lat, "e2e", "p99_ms"), ms(lat, "ttft", "p50_ms"),
                    ms(lat, "ttft", "p99_ms"), ms(lat, "overhead", "p50_ms"),
                    ms(lat, "overhead", "p99_ms"));
    const QJsonArray failures = s.value(QStringLiteral("failures")).toArray();
    if (!failures.isEmpty()) {
        QStringList parts;
        for (const QJsonValue& v : failures) {
            parts << QStringLiteral("%1 %2")
                         .arg(v.toObject().value(QStringLiteral("label")).toString())
                         .arg(v.toObject().value(QStringLiteral("count")).toDouble());
        }
        out << QStringLiteral("failures    ") + parts.join(QStringLiteral(", "));
    }
    out << keyLines(s);
    for (const QString& alert : alertsOf(s)) {
        out << QStringLiteral("ALERT       ") + alert;
    }
    for (const QJsonValue& alarm : s.value(QStringLiteral("alarms")).toArray()) {
        out << QStringLiteral("ALARM       ") +
                   alarm.toObject().value(QStringLiteral("message")).toString();
    }
    return out.join(QLatin1Char('\n'));
}

QJsonValue valueOf(const QString& text) {
    bool ok = false;
    const double number = text.toDouble(&ok);
    if (ok) {
        return number;
    }
    if (text == QLatin1String("true") || text == QLatin1String("false")) {
        return text == QLatin1String("true");
    }
    return text;
}

} // namespace

int runStatsCommand(const QStringList& arguments) {
    const QString me = QStringLiteral("sluice stats");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("What a running gateway is doing now."));
    addTargetOptions(parser);
    parser.addOption({QStringLiteral("json"), QStringLiteral("The raw JSON of /admin/stats.")});
    if (const auto stop = parse(parser, arguments, me)) {
        return *stop;
    }
    const auto stats = callOrSay(targetOf(parser), QStringLiteral("/admin/stats"), me);
    if (!stats) {
        return 1;
    }
    cli::printOut(parser.isSet(QStringLiteral("json"))
                      ? QString::fromUtf8(QJsonDocument(*stats).toJson(QJsonDocument::Indented))
                      : statsText(*stats));
    return 0;
}

int runConfigCommand(const QStringList& arguments) {
    const QString me = QStringLiteral("sluice config");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Reads or changes a running gateway's config, live (queue and budgets are kept):\n"
        "  sluice config show                  the whole config\n"
        "  sluice config get KEY               one field, e.g. max_concurrent\n"
        "  sluice config set KEY VALUE [...]   e.g. sluice config set max_concurrent 150"));
    addTargetOptions(parser);
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("show, get or set"));
    if (const auto stop = parse(parser, arguments, me)) {
        return *stop;
    }
    const QStringList args = parser.positionalArguments();
    const QString action = args.value(0);
    const Target target = targetOf(parser);
    if (action == QLatin1String("show") || (action == QLatin1String("get") && args.size() == 1)) {
        const auto config = callOrSay(target, QStringLiteral("/admin/config"), me);
        if (!config) {
            return 1;
        }
        cli::printOut(QString::fromUtf8(QJsonDocument(*config).toJson(QJsonDocument::Indented)));
        return 0;
    }
    if (action == QLatin1String("get") && args.size() == 2) {
        const auto config = callOrSay(target, QStringLiteral("/admin/config"), me);
        if (!config) {
            return 1;
        }
        if (!config->contains(args[1])) {
            cli::printError(QStringLiteral("%1: no field '%2' (fields: %3)")
                                .arg(me, args[1], config->keys().join(QStringLiteral(", "))));
            return 2;
        }
        const QJsonValue v = config->value(args[1]);
        cli::printOut(
            v.isString()
                ? v.toString()
                : QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact))
                      .mid(1)
                      .chopped(1));
        return 0;
    }
    if (action == QLatin1String("set") && args.size() >= 3 && args.size() % 2 == 1) {
        QJsonObject change;
        for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
            change.insert(args[i], valueOf(args[i + 1]));
        }
        const auto config = callOrSay(target, QStringLiteral("/admin/config"), me, "POST",
                                      QJsonDocument(change).toJson(QJsonDocument::Compact));
        if (!config) {
            return 1;
        }
        cli::printOut(QStringLiteral("config version %1")
                          .arg(config->value(QStringLiteral("version")).toInt()));
        return 0;
    }
    cli::printError(me + QStringLiteral(": give show, get [KEY] or set KEY VALUE (see --help)"));
    return 2;
}

int runMonitorCommand(const QStringList& arguments) {
    const QString me = QStringLiteral("sluice monitor");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "A live view of a running gateway, like top: concurrency against the limit, queue,\n"
        "rates, rejected share, latency, failures and the console's alert rules."));
    addTargetOptions(parser);
    parser.addOption({QStringLiteral("count"),
                      QStringLiteral("Stop after N updates (default: until Ctrl+C)."),
                      QStringLiteral("n")});
    if (const auto stop = parse(parser, arguments, me)) {
        return *stop;
    }
    QString error;
    std::int64_t count = -1;
    if (parser.isSet(QStringLiteral("count"))) {
        const auto n = cli::parseInteger(QStringLiteral("--count"),
                                         parser.value(QStringLiteral("count")), 1, 1e9, &error);
        if (!n) {
            cli::printError(me + QStringLiteral(": ") + error);
            return 2;
        }
        count = *n;
    }
    const Target target = targetOf(parser);
    const bool tty = ::isatty(STDOUT_FILENO) == 1;
    SignalWatcher watcher;
    bool stop = false;
    QObject::connect(&watcher, &SignalWatcher::terminationRequested, qApp,
                     [&stop] { stop = true; });
    QNetworkAccessManager nam;
    int shown = 0;
    bool reachable = true;
    QUrl url = target.base;
    url.setPath(QStringLiteral("/admin/stats"));
    // Top-down, one update a second; the loop yields to the event loop while it waits.
    auto loop = [&]() -> QCoro::Task<> {
        QTimer tick;
        while (!stop && (count < 0 || shown < count)) {
            const AdminReply r = co_await adminCall(&nam, url, "GET", {}, target.token);
            QString screen;
            if (r.status == 200) {
                reachable = true;
                screen = QStringLiteral("Sluice gateway %1   %2\n\n%3")
                             .arg(target.base.toString(),
                                  QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss")),
                                  statsText(QJsonDocument::fromJson(r.body).object()));
            } else {
                reachable = false;
                screen = QStringLiteral("Sluice gateway %1: disconnected (%2)")
                             .arg(target.base.toString(),
                                  r.status ? QStringLiteral("HTTP %1").arg(r.status) : r.error);
            }
            cli::printOut((tty ? QStringLiteral("\033[H\033[2J") : QString()) + screen +
                          (tty ? QString() : QStringLiteral("\n")));
            ++shown;
            if (count >= 0 && shown >= count) {
                break;
            }
            tick.start(1000);
            co_await tick;
        }
        QCoreApplication::quit();
    };
    QTimer::singleShot(0, qApp, [&loop] { loop(); });
    QCoreApplication::exec();
    return reachable ? 0 : 1;
}

} // namespace sluice
