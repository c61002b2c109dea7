#include "core/server/gateway/clienttable.h"

#include "core/jsonfields.h"
#include "core/net/llmformat.h"

#include <QFile>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace sluice {

namespace {

constexpr Nanos kWindow = std::chrono::seconds(10);
constexpr int kMaxModels = 50; // distinct model labels; others count as "other"

QByteArray label(const QString& value) {
    QByteArray v = value.toUtf8();
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    return v;
}

RateLevel perMinute(std::int64_t limit) {
    return RateLevel{limit, std::chrono::minutes(1), 0};
}

} // namespace

Result<QList<GatewayClient>> parseClients(const QJsonValue& json, const QString& field,
                                          const QList<GatewayClient>& known) {
    if (!json.isArray()) {
        return Error::invalid(field, QStringLiteral("must be an array of clients"));
    }
    QList<GatewayClient> clients;
    QSet<QString> names;
    QSet<QByteArray> tokens;
    const QJsonArray array = json.toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QString at = QStringLiteral("%1[%2]").arg(field).arg(i);
        if (!array.at(i).isObject()) {
            return Error::invalid(at, QStringLiteral("must be an object"));
        }
        const QJsonObject o = array.at(i).toObject();
        Error error;
        Fields f(o, at, &error);
        GatewayClient c;
        QString token;
        f.only({QStringLiteral("name"), QStringLiteral("token"), QStringLiteral("weight"),
                QStringLiteral("max_priority"), QStringLiteral("rpm"), QStringLiteral("tpm"),
                QStringLiteral("max_concurrent"), QStringLiteral("max_timeout")}) &&
            f.string(QStringLiteral("name"), &c.name) &&
            f.string(QStringLiteral("token"), &token) &&
            f.number(QStringLiteral("weight"), &c.weight, 0.001, 1e6) &&
            f.integer(QStringLiteral("max_priority"), &c.maxPriority, 0, 9) &&
            f.integer(QStringLiteral("rpm"), &c.rpm, 0, 1e9) &&
            f.integer(QStringLiteral("tpm"), &c.tpm, 0, 1e12) &&
            f.integer(QStringLiteral("max_concurrent"), &c.maxConcurrent, 0, 1000000) &&
            f.duration(QStringLiteral("max_timeout"), &c.maxTimeout, std::chrono::hours(1), true);
        if (error.message.isEmpty() && c.name.isEmpty()) {
            f.fail(QStringLiteral("name"), QStringLiteral("is required"));
        }
        if (error.message.isEmpty() && token.isEmpty()) {
            f.fail(QStringLiteral("token"), QStringLiteral("is required"));
        }
        if (!error.message.isEmpty()) {
            return error;
        }
        c.token = token.toUtf8();
        // A masked token posted back: the same client's token, unchanged.
        for (const GatewayClient& k : known) {
            if (k.name == c.name && maskKey(k.token) == token) {
                c.token = k.token;
            }
        }
        if (c.token == token.toUtf8() && token.contains(QLatin1String("..."))) {
            return Error::invalid(at + QStringLiteral(".token"),
                                  QStringLiteral("is masked: give the token itself"));
        }
        if (names.contains(c.name)) {
            return Error::invalid(at + QStringLiteral(".name"),
                                  QStringLiteral("\"%1\" is used twice").arg(c.name));
        }
        if (tokens.contains(c.token)) {
            return Error::invalid(at + QStringLiteral(".token"),
                                  QStringLiteral("is another client's token too"));
        }
        names.insert(c.name);
        tokens.insert(c.token);
        clients.append(c);
    }
    return clients;
}

QJsonArray clientsJson(const QList<GatewayClient>& clients) {
    QJsonArray out;
    for (const GatewayClient& c : clients) {
        out.append(QJsonObject{
            {QStringLiteral("name"), c.name},
            {QStringLiteral("token"), maskKey(c.token)},
            {QStringLiteral("weight"), c.weight},
            {QStringLiteral("max_priority"), c.maxPriority},
            {QStringLiteral("rpm"), static_cast<double>(c.rpm)},
            {QStringLiteral("tpm"), static_cast<double>(c.tpm)},
            {QStringLiteral("max_concurrent"), c.maxConcurrent},
            {QStringLiteral("max_timeout"), static_cast<double>(c.maxTimeout.count()) / 1e9},
        });
    }
    return out;
}

Result<QList<GatewayClient>> readClientsFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error::invalid(QStringLiteral("clients"),
                              QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    }
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError) {
        return Error::invalid(QStringLiteral("clients"),
                              QStringLiteral("%1 is not JSON: %2").arg(path, error.errorString()));
    }
    if (doc.isObject() && doc.object().contains(QStringLiteral("clients"))) {
        return parseClients(doc.object().value(QStringLiteral("clients")),
                            QStringLiteral("clients"));
    }
    return parseClients(doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object()),
                        QStringLiteral("clients"));
}

void ClientTable::setClients(const QList<GatewayClient>& clients, Nanos now) {
    std::vector<State> next;
    std::vector<int> moved(m_clients.size(), -1);
    for (const GatewayClient& c : clients) {
        const auto old = std::find_if(m_clients.begin(), m_clients.end(),
                                      [&c](const State& s) { return s.config.name == c.name; });
        State s;
        if (old != m_clients.end()) {
            s = std::move(*old);
            moved[static_cast<std::size_t>(old - m_clients.begin())] =
                static_cast<int>(next.size());
        }
        s.config = c;
        s.requests.setLevel(perMinute(c.rpm), now);
        s.tokens.setLevel(perMinute(c.tpm), now);
        next.push_back(std::move(s));
    }
    // Open requests follow their client to its new index; a removed client's are no one's.
    for (auto& [id, open] : m_open) {
        if (open.client >= 0) {
            open.client = moved[static_cast<std::size_t>(open.client)];
        }
    }
    m_clients = std::move(next);
    m_byToken.clear();
    for (int i = 0; i < size(); ++i) {
        m_byToken.insert(client(i).token, i);
    }
}

int ClientTable::find(const QByteArray& token) const {
    return token.isEmpty() ? -1 : m_byToken.value(token, -1);
}

ClientTable::Refusal ClientTable::admit(int index, std::uint64_t id, std::int64_t tokens,
                                        Nanos now) {
    State& s = m_clients.at(static_cast<std::size_t>(index));
    ++s.received;
    trim(s.receivedAt, now);
    s.receivedAt.push_back(now);
    const GatewayClient& c = s.config;
    if (c.maxConcurrent > 0 && s.open >= c.maxConcurrent) {
        return {QStringLiteral("client %1 has %2 requests open, its max_concurrent")
                    .arg(c.name)
                    .arg(s.open),
                std::chrono::seconds(1)};
    }
    if (s.tokens.tooLarge(tokens)) {
        return {QStringLiteral("the request's %1 tokens exceed client %2's tpm (%3)")
                    .arg(tokens)
                    .arg(c.name)
                    .arg(c.tpm),
                Nanos{0}};
    }
    const Nanos wait = std::max(s.requests.waitTime(now), s.tokens.waitTime(now));
    if (wait > Nanos{0}) {
        return {QStringLiteral("client %1 is over its own %2")
                    .arg(c.name, s.requests.waitTime(now) > Nanos{0} ? QStringLiteral("rpm")
                                                                     : QStringLiteral("tpm")),
                wait};
    }
    s.requests.charge(1, now);
    s.tokens.charge(tokens, now);
    ++s.open;
    m_open[id] = Open{index, tokens};
    return {};
}

void ClientTable::ended(int index, std::uint64_t id, const QString& model, int status,
                        const RequestRecord& r, bool refused, Nanos now) {
    if (const auto it = m_open.find(id); it != m_open.end()) {
        if (it->second.client >= 0) {
            State& s = m_clients.at(static_cast<std::size_t>(it->second.client));
            --s.open;
            // What it used, when it used anything: a refusal or a request never sent costs none.
            const std::int64_t used =
                r.firstSentAt.count() > 0 ? r.promptTokens + r.completionTokens : 0;
            s.tokens.adjust(used - it->second.reserved);
            index = it->second.client;
        }
        m_open.erase(it);
    }
    if (index >= 0 && r.firstSentAt.count() > 0) {
        State& s = m_clients.at(static_cast<std::size_t>(index));
        trim(s.sentAt, now);
        s.sentAt.push_back(r.firstSentAt);
        trim(m_sentAt, now);
        m_sentAt.push_back(r.firstSentAt);
        if (r.state == RequestState::Done) {
            s.totals.push_back(r.totalTime());
            if (s.totals.size() > 1000) {
                s.totals.pop_front();
            }
        }
    }
    answered(index, model, status, refused, now);
}

void ClientTable::answered(int index, const QString& model, int status, bool refused, Nanos now) {
    Q_UNUSED(now);
    if (index >= 0 && refused) {
        ++m_clients.at(static_cast<std::size_t>(index)).rejected;
    }
    if (status <= 0) {
        return; // the caller left: counted as client_gone, it got no answer
    }
    QString m = model;
    if (!m.isEmpty() && !m_models.contains(m)) {
        if (m_models.size() < kMaxModels) {
            m_models.insert(m, 1);
        } else {
            m = QStringLiteral("other");
        }
    }
    const QString name = index >= 0 ? client(index).name : QString();
    ++m_answers[{name, m, status}];
}

int ClientTable::clientOf(std::uint64_t id) const {
    const auto it = m_open.find(id);
    return it == m_open.end() ? -1 : it->second.client;
}

void ClientTable::trim(std::deque<Nanos>& times, Nanos now) {
    while (!times.empty() && times.front() < now - kWindow) {
        times.pop_front();
    }
    while (times.size() > 100000) {
        times.pop_front();
    }
}

QJsonObject ClientTable::statsJson(const std::vector<RequestStatus>& live, Nanos now) const {
    std::vector<int> inFlight(m_clients.size(), 0), queued(m_clients.size(), 0);
    for (const RequestStatus& st : live) {
        const int c = clientOf(st.id);
        if (c < 0) {
            continue;
        }
        const bool waiting = st.state == RequestState::Queued ||
                             st.state == RequestState::WaitingBudget ||
                             st.state == RequestState::Retrying;
        ++(waiting ? queued : inFlight)[static_cast<std::size_t>(c)];
    }
    auto recent = [now](const std::deque<Nanos>& times) {
        return std::count_if(times.begin(), times.end(),
                             [now](Nanos t) { return t >= now - kWindow; });
    };
    const auto allSent = static_cast<double>(recent(m_sentAt));
    QJsonObject out;
    for (std::size_t i = 0; i < m_clients.size(); ++i) {
        const State& s = m_clients[i];
        double p95 = 0;
        if (!s.totals.empty()) {
            std::vector<Nanos> t(s.totals.begin(), s.totals.end());
            const auto rank =
                static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(t.size()))) - 1;
            std::nth_element(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(rank), t.end());
            p95 = static_cast<double>(t[rank].count()) / 1e6;
        }
        const auto sent = static_cast<double>(recent(s.sentAt));
        out.insert(s.config.name,
                   QJsonObject{
                       {QStringLiteral("weight"), s.config.weight},
                       {QStringLiteral("rps"),
                        static_cast<double>(recent(s.receivedAt)) / toSeconds(kWindow)},
                       {QStringLiteral("in_flight"), inFlight[i]},
                       {QStringLiteral("queued"), queued[i]},
                       {QStringLiteral("received"), static_cast<double>(s.received)},
                       {QStringLiteral("rejected"), static_cast<double>(s.rejected)},
                       {QStringLiteral("total_p95_ms"), p95},
                       {QStringLiteral("share"), allSent > 0 ? sent / allSent : 0.0},
                   });
    }
    return out;
}

QByteArray ClientTable::metricsText(const std::vector<RequestStatus>& live) const {
    QByteArray out;
    out += "# HELP sluice_requests_total Requests answered by the gateway, by client, model and "
           "the HTTP status the caller got.\n# TYPE sluice_requests_total counter\n";
    if (m_answers.empty()) {
        out += "sluice_requests_total{code=\"200\"} 0\n";
    }
    for (const auto& [key, count] : m_answers) {
        const auto& [client, model, code] = key;
        QByteArray labels;
        if (!client.isEmpty()) {
            labels += "client=\"" + label(client) + "\",";
        }
        if (!model.isEmpty()) {
            labels += "model=\"" + label(model) + "\",";
        }
        out += "sluice_requests_total{" + labels + "code=\"" + QByteArray::number(code) + "\"} " +
               QByteArray::number(count) + '\n';
    }
    if (m_clients.empty()) {
        return out;
    }
    std::vector<int> open(m_clients.size(), 0), queued(m_clients.size(), 0);
    for (const RequestStatus& st : live) {
        if (const int c = clientOf(st.id); c >= 0) {
            const bool waiting =
                st.state == RequestState::Queued || st.state == RequestState::WaitingBudget;
            ++(waiting ? queued : open)[static_cast<std::size_t>(c)];
        }
    }
    auto perClient = [&](const char* name, const char* type, const char* help, auto value) {
        out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
        for (std::size_t i = 0; i < m_clients.size(); ++i) {
            out += QByteArray(name) + "{client=\"" + label(m_clients[i].config.name) + "\"} " +
                   QByteArray::number(value(i)) + '\n';
        }
    };
    perClient("sluice_client_in_flight", "gauge", "A client's requests sent upstream.",
              [&](std::size_t i) { return open[i]; });
    perClient("sluice_client_queue_depth", "gauge", "A client's requests waiting in the queue.",
              [&](std::size_t i) { return queued[i]; });
    perClient("sluice_client_rejected_total", "counter",
              "A client's requests turned away (overload or its own limits).",
              [&](std::size_t i) { return m_clients[i].rejected; });
    perClient("sluice_client_weight", "gauge", "A client's weight in the queue.",
              [&](std::size_t i) { return m_clients[i].config.weight; });
    return out;
}

} // namespace sluice
