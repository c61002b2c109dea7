#pragma once

#include "core/engine/clock.h"
#include "core/server/mock/mockserver.h"
#include "tests/support/httptestclient.h"
#include "tests/support/mockfixture.h"

#include <QHostAddress>
#include <QNetworkAccessManager>
#include <QTest>

#include <memory>

namespace sluice::test {

/// A mock server on a free loopback port and a client, made anew for every test function: the
/// shared setup of the mock's tests (a second base of their test class, after QObject).
class MockServerFixture {
protected:
    /// From init(): a fresh client.
    void setUpClient() { m_nam = std::make_unique<QNetworkAccessManager>(); }
    /// From cleanup(): the client, then the server.
    void tearDown() {
        m_nam.reset();
        m_server.reset();
    }
    void start(const MockConfig& config, const Clock* clock = nullptr) {
        m_server = std::make_unique<MockServer>(config, nullptr, clock);
        QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
    }
    QUrl url(const QString& path) const { return QUrl(m_server->baseUrl().toString() + path); }
    QJsonObject stats() { return get(*m_nam, url(QStringLiteral("/mock/stats"))).json(); }
    Response postConfig(const QByteArray& json) {
        return post(*m_nam, url(QStringLiteral("/mock/config")), json);
    }

    std::unique_ptr<MockServer> m_server;
    std::unique_ptr<QNetworkAccessManager> m_nam;
};

/// A quick mock: no rate limits, 64 slots, 8 tokens after 5 ms, one a millisecond.
inline MockConfig fastMockConfig() {
    return unlimitedMock(5, 1, 8, 64);
}

} // namespace sluice::test
