#include "ui/gateway/sharedkeydemo.h"

#include "ui/gateway/demotraffic.h"
#include "ui/gateway/gatewaycockpit.h"
#include "ui/panels/chartspanel.h"
#include "ui/session.h"

#include <QTimer>

namespace sluice {

namespace {

constexpr int kCapacity = 16;

QList<GatewayClient> demoClients() {
    auto client = [](const char* name, const char* token, int maxPriority, double weight) {
        GatewayClient c;
        c.name = QLatin1String(name);
        c.token = token;
        c.maxPriority = maxPriority;
        c.weight = weight;
        return c;
    };
    return {client("checkout", "demo-token-checkout", 0, 1),
            client("assistant", "demo-token-assistant", 1, 1),
            client("batch-indexer", "demo-token-batch", 2, 1)};
}

} // namespace

SharedKeyDemo::SharedKeyDemo(Session* session, GatewayCockpit* cockpit, QObject* parent)
    : QObject(parent)
    , m_session(session)
    , m_cockpit(cockpit)
    , m_traffic(new DemoTraffic(this)) {
    connect(&session->gateway(), &InProcessGatewayFeed::started, this, [this] {
        if (!std::exchange(m_waitingForGateway, false)) {
            return;
        }
        m_traffic->start(QUrl(m_session->gateway().baseUrl()),
                         {{QStringLiteral("checkout"), "demo-token-checkout", 0, 3},
                          {QStringLiteral("assistant"), "demo-token-assistant", 1, 8},
                          {QStringLiteral("batch-indexer"), "demo-token-batch", 2, 14}});
        for (const int at : {30, 70, 100}) {
            auto* timer = new QTimer(this);
            timer->setSingleShot(true);
            connect(timer, &QTimer::timeout, this, [this, at] { step(at); });
            timer->start(at * 1000);
            m_timers.append(timer);
        }
    });
    connect(&session->gateway(), &InProcessGatewayFeed::failed, this, [this] {
        m_waitingForGateway = false;
        stop();
    });
}

SharedKeyDemo::~SharedKeyDemo() = default;

QString SharedKeyDemo::title() {
    return tr("Three programs share one key");
}

Result<void> SharedKeyDemo::play(const QString& listen) {
    if (m_session->running()) {
        return Error::invalid({}, tr("a run is going: stop it first"));
    }
    if (!m_session->mockRunning()) {
        return Error{Error::Kind::Unavailable, {}, tr("the built-in mock is not running")};
    }
    stop();
    m_cockpit->stopGateway();
    m_mockBefore = m_session->mockConfig();
    MockConfig mock = m_mockBefore;
    mock.rpm = 0;
    mock.tpm = 0;
    mock.capacity = kCapacity;
    mock.ttftMs = 150;
    mock.tpotMs = 12;
    mock.tokensMin = 20;
    mock.tokensMax = 30;
    mock.jitter = 0.2;
    mock.faults = {};
    if (auto applied = m_session->setMockConfig(mock); !applied) {
        return applied;
    }
    GatewayStartOptions options;
    options.listen = listen.isEmpty() ? QStringLiteral("127.0.0.1:0") : listen;
    options.mock = true;
    options.clients = demoClients();
    options.maxConcurrent = kCapacity;
    options.queueSize = 500;
    // One shared upstream key, so the Keys view has its row.
    qputenv("SLUICE_DEMO_SHARED_KEY", "sk-demo-shared-key-7f3a");
    options.keys = GatewayStartOptions::Keys::Environment;
    options.keyEnv = QStringLiteral("SLUICE_DEMO_SHARED_KEY");
    // The gateway may still be closing: it starts when stopped.
    m_waitingForGateway = true;
    m_playing = true;
    auto start = [this, options] {
        if (auto started = m_cockpit->startGateway(options); !started) {
            m_waitingForGateway = false;
            m_playing = false;
            Q_EMIT captionChanged(title(), started.error().text());
        }
    };
    if (m_session->gateway().state() != GatewayHost::State::Stopped) {
        connect(&m_session->gateway(), &InProcessGatewayFeed::stopped, this, start,
                Qt::SingleShotConnection);
    } else {
        start();
    }
    Q_EMIT captionChanged(
        title(), tr("Three programs send through the console's gateway with one "
                    "upstream key: checkout (high priority, 3 callers), assistant "
                    "(normal, 8) and batch-indexer (low, 14). Watch the Clients tab: "
                    "the gateway serves the urgent ones first; the batch waits its turn."));
    return {};
}

void SharedKeyDemo::step(int at) {
    MockConfig mock = m_session->mockConfig();
    if (at == 30) {
        mock.capacity = kCapacity / 2;
        (void)m_session->setMockConfig(mock);
        m_cockpit->panelsCharts()->addMarker(tr("mock capacity halved (%1)").arg(mock.capacity));
        Q_EMIT captionChanged(
            title(), tr("The provider's capacity halves: each request takes twice as "
                        "long, the queue grows. Watch Clients: checkout's p95 barely "
                        "moves, batch-indexer's queue and p95 climb and its share falls."));
    } else if (at == 70) {
        mock.capacity = kCapacity;
        (void)m_session->setMockConfig(mock);
        m_cockpit->panelsCharts()->addMarker(tr("mock capacity back (%1)").arg(mock.capacity));
        Q_EMIT captionChanged(title(),
                              tr("Capacity is back: the queue drains, low priority first to "
                                 "recover last. Try the limits panel: a lower max concurrency "
                                 "holds more in the gateway's queue, never at the provider."));
    } else {
        Q_EMIT captionChanged(title(),
                              tr("Keep watching, or select a request in Requests and open "
                                 "Request detail to see where it waited. Gateway → Stop ends it."));
    }
}

void SharedKeyDemo::stop() {
    qDeleteAll(m_timers);
    m_timers.clear();
    m_traffic->stop();
    if (std::exchange(m_playing, false)) {
        (void)m_session->setMockConfig(m_mockBefore);
        Q_EMIT finished();
    }
}

} // namespace sluice
